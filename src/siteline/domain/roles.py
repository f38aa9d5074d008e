"""Who may do what in a case: five roles and one table of their permissions.

Every face asks the same two questions of this table: `can(role, permission)` before an
act, and `visible_sensitivities(role)` before showing an item. A role that may read
confidential items still needs the case key to be loaded: the key opens sealed material,
the role only permits asking for it.
"""

from __future__ import annotations

from enum import StrEnum

from siteline.domain.vocabularies import Sensitivity, parse_term


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    EDITOR = "editor"
    REVIEWER = "reviewer"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ_PUBLIC = "read_public"
    READ_RESTRICTED = "read_restricted"
    READ_CONFIDENTIAL = "read_confidential"
    ADD_EVIDENCE = "add_evidence"
    EDIT = "edit"  # sites, sources, incidents, evidence details
    LINK = "link"  # link evidence to incidents, decide link proposals
    REVIEW = "review"  # take an item through the verification workflow
    SIGN_OFF = "sign_off"  # the second person's sign-off on a verification step
    DEFINE_CLAIMS = "define_claims"
    MANAGE_ACCOUNTS = "manage_accounts"
    EXPORT_PUBLIC = "export_public"  # public bundles, reports, datasets
    EXPORT_FULL = "export_full"  # bundles with restricted (and sealed confidential) material
    OWN_TOKENS = "own_tokens"  # create and revoke one's own API tokens


P = Permission
_VIEWER = frozenset({P.READ_PUBLIC, P.EXPORT_PUBLIC, P.OWN_TOKENS})
_REVIEWER = _VIEWER | {P.READ_RESTRICTED, P.REVIEW, P.SIGN_OFF}
_EDITOR = _VIEWER | {P.READ_RESTRICTED, P.ADD_EVIDENCE, P.EDIT, P.LINK, P.REVIEW}
_EDITOR |= {P.DEFINE_CLAIMS}
_MANAGER = _EDITOR | _REVIEWER | {P.READ_CONFIDENTIAL, P.MANAGE_ACCOUNTS, P.EXPORT_FULL}

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: _VIEWER,
    Role.REVIEWER: _REVIEWER,
    Role.EDITOR: _EDITOR,
    Role.MANAGER: _MANAGER,
    Role.OWNER: frozenset(Permission),
}

_SENSITIVITY_PERMISSION = {
    Sensitivity.PUBLIC: P.READ_PUBLIC,
    Sensitivity.RESTRICTED: P.READ_RESTRICTED,
    Sensitivity.CONFIDENTIAL: P.READ_CONFIDENTIAL,
}

# Higher manages lower: a manager may add or change editors, reviewers and viewers, but
# only an owner may make or change a manager or another owner.
RANK = {Role.VIEWER: 0, Role.REVIEWER: 1, Role.EDITOR: 2, Role.MANAGER: 3, Role.OWNER: 4}


def parse_role(value: str | Role, field: str = "role") -> Role:
    return parse_term(Role, value, field)


def can(role: str | Role, permission: str | Permission) -> bool:
    """Whether `role` has `permission`; an unknown role has none."""
    try:
        return Permission(permission) in PERMISSIONS[Role(role)]
    except ValueError:
        return False


def visible_sensitivities(role: str | Role) -> frozenset[Sensitivity]:
    """The sensitivities of the items `role` may see (confidential ones also need the key)."""
    return frozenset(
        level for level, permission in _SENSITIVITY_PERMISSION.items() if can(role, permission)
    )


def may_manage(actor_role: str | Role, target_role: str | Role) -> bool:
    """Whether someone of `actor_role` may give, change or take away `target_role`."""
    if not can(actor_role, P.MANAGE_ACCOUNTS):
        return False
    actor, target = Role(actor_role), Role(target_role)
    return actor is Role.OWNER or RANK[target] < RANK[actor]
