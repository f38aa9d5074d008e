"""Every route of the workbench, for every role: one table of what each must answer, and
no answer that carries a restricted or confidential item's title, text, file name,
address or hash to a role that may not see it (nor a witness's sealed identity to anyone).

The table is checked against `app.routes`: a route added without an entry here fails."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from starlette.routing import Mount
from web_api_case import SECRETS, WITNESS_IDENTITY, populate
from web_server import web_server_fixture  # noqa: F401  (gives web_server)

from siteline.domain.roles import Permission, Role, can, visible_sensitivities

P = Permission
ANONYMOUS = "anonymous"
ROLES = [ANONYMOUS, *[role.value for role in Role]]
SERVER_ERRORS = range(500, 600)


@dataclass(frozen=True)
class Rule:
    """What a route asks of the asker, how to call it, and what a permitted role gets."""

    permission: Permission | None  # None: anyone signed in
    ok: frozenset[int]
    path: dict = field(default_factory=dict)  # path parameter → key of the case's ids
    body: object = None  # a dict (JSON), or a function of the role giving one
    files: object = None  # a function of the role giving multipart files
    params: dict = field(default_factory=dict)
    item_path: str | None = None  # the parameter naming an item: tried on hidden items too
    page: bool = False  # a page: anonymous askers are sent to sign in (303)


def ok(*codes: int) -> frozenset[int]:
    return frozenset(codes)


EVIDENCE = {"evidence_id": "public"}
NO_PROPOSAL = {"proposal_id": "missing"}

TABLE: dict[tuple[str, str], Rule] = {
    # Sites and sources.
    ("GET", "/api/sites"): Rule(P.READ_PUBLIC, ok(200)),
    ("POST", "/api/sites"): Rule(P.EDIT, ok(201), body=lambda r: {"name": f"Clinic of {r}"}),
    ("GET", "/api/sites/{site_id}"): Rule(P.READ_PUBLIC, ok(200), path={"site_id": "site"}),
    ("GET", "/api/sources"): Rule(P.READ_PUBLIC, ok(200)),
    ("POST", "/api/sources"): Rule(P.EDIT, ok(201), body=lambda r: {"name": f"Outlet {r}"}),
    # Evidence.
    ("GET", "/api/evidence"): Rule(P.READ_PUBLIC, ok(200), params={"limit": 200}),
    ("POST", "/api/evidence"): Rule(
        P.ADD_EVIDENCE,
        ok(201),
        files=lambda r: {"file": (f"{r}.txt", f"a note from the {r}".encode(), "text/plain")},
    ),
    ("GET", "/api/evidence/{evidence_id}"): Rule(
        P.READ_PUBLIC, ok(200), path=EVIDENCE, item_path="evidence_id"
    ),
    ("GET", "/api/evidence/{evidence_id}/original"): Rule(
        P.READ_PUBLIC, ok(200), path=EVIDENCE, item_path="evidence_id"
    ),
    ("POST", "/api/evidence/{evidence_id}/review"): Rule(
        P.REVIEW, ok(422), path=EVIDENCE, body={"status": "no such status"}, item_path="evidence_id"
    ),
    ("POST", "/api/evidence/{evidence_id}/sign-off"): Rule(
        P.SIGN_OFF, ok(404), path=EVIDENCE, body={}, item_path="evidence_id"
    ),
    ("POST", "/api/evidence/{evidence_id}/withdraw"): Rule(
        P.REVIEW, ok(404), path=EVIDENCE, body={}, item_path="evidence_id"
    ),
    # Incidents.
    ("GET", "/api/incidents"): Rule(P.READ_PUBLIC, ok(200)),
    ("POST", "/api/incidents"): Rule(
        P.EDIT, ok(201), body=lambda r: {"site_id": 1, "window_start": "2024-04", "title": r}
    ),
    ("GET", "/api/incidents/{incident_id}"): Rule(
        P.READ_PUBLIC, ok(200), path={"incident_id": "incident"}
    ),
    ("POST", "/api/incidents/{incident_id}/links"): Rule(
        P.LINK,
        ok(409),  # the public item is linked already
        path={"incident_id": "incident"},
        body={"evidence_id": 1, "role": "supports", "rationale": "seen"},
    ),
    # Link proposals.
    ("GET", "/api/proposals"): Rule(P.LINK, ok(200)),
    ("POST", "/api/proposals"): Rule(P.LINK, ok(200), body={}),
    ("GET", "/api/proposals/{proposal_id}"): Rule(P.LINK, ok(404), path=NO_PROPOSAL),
    ("POST", "/api/proposals/{proposal_id}/confirm"): Rule(
        P.LINK, ok(404), path=NO_PROPOSAL, body={}
    ),
    ("POST", "/api/proposals/{proposal_id}/reject"): Rule(
        P.LINK, ok(404), path=NO_PROPOSAL, body={"reason": "not one event"}
    ),
    ("POST", "/api/proposals/{proposal_id}/merge"): Rule(
        P.LINK, ok(404), path=NO_PROPOSAL, body={"proposals": [999]}
    ),
    ("POST", "/api/proposals/{proposal_id}/split"): Rule(
        P.LINK, ok(404), path=NO_PROPOSAL, body={"items": [1]}
    ),
    # Claims.
    ("GET", "/api/claims"): Rule(P.READ_PUBLIC, ok(200)),
    ("POST", "/api/claims"): Rule(
        P.DEFINE_CLAIMS,
        ok(201),
        body=lambda r: {"speaker": r, "stated": "2024-05", "quote": "q", "proposition": "p"},
    ),
    ("GET", "/api/claims/{claim_id}"): Rule(P.READ_PUBLIC, ok(200), path={"claim_id": "claim"}),
    ("POST", "/api/claims/{claim_id}/define"): Rule(
        P.DEFINE_CLAIMS,
        ok(200),
        path={"claim_id": "claim"},
        body={"proposition_kind": "other", "proposition": "no attack"},
    ),
    ("POST", "/api/claims/{claim_id}/verdict"): Rule(
        P.DEFINE_CLAIMS,
        ok(200),
        path={"claim_id": "claim"},
        body={"verdict": "contradicted", "reasons": "item #2 shows it"},
    ),
    ("GET", "/api/export/claimreview"): Rule(P.EXPORT_PUBLIC, ok(200)),
    # Queue, counts, assessment, report.
    ("GET", "/api/reviews"): Rule(P.READ_PUBLIC, ok(200)),
    ("GET", "/api/stats"): Rule(P.READ_PUBLIC, ok(200), params={"by": "site"}),
    ("POST", "/api/assess"): Rule(P.EDIT, ok(200)),
    ("GET", "/api/report"): Rule(P.EXPORT_PUBLIC, ok(200)),
    # The case, the person, tokens.
    ("GET", "/api/case"): Rule(None, ok(200)),
    ("GET", "/api/me"): Rule(None, ok(200)),
    ("GET", "/api/tokens"): Rule(None, ok(200)),
    ("POST", "/api/tokens"): Rule(P.OWN_TOKENS, ok(201), body={"label": "a script"}),
    ("DELETE", "/api/tokens/{token_id}"): Rule(None, ok(404), path={"token_id": "missing"}),
    # Pages.
    ("GET", "/"): Rule(None, ok(200), page=True),
    ("GET", "/evidence"): Rule(P.READ_PUBLIC, ok(200), page=True),
    ("GET", "/evidence/{evidence_id}"): Rule(
        P.READ_PUBLIC, ok(200), path=EVIDENCE, item_path="evidence_id", page=True
    ),
    ("GET", "/evidence/{evidence_id}/original"): Rule(
        P.READ_PUBLIC, ok(200), path=EVIDENCE, item_path="evidence_id", page=True
    ),
    ("GET", "/incidents"): Rule(P.READ_PUBLIC, ok(200), page=True),
    ("GET", "/incidents/{incident_id}"): Rule(
        P.READ_PUBLIC, ok(200), path={"incident_id": "incident"}, page=True
    ),
    ("POST", "/incidents/{incident_id}/links"): Rule(
        P.LINK, ok(303, 409, 422), path={"incident_id": "incident"}, body={}, page=True
    ),
    ("POST", "/evidence/{evidence_id}/links"): Rule(
        P.LINK, ok(303, 409, 422), path=EVIDENCE, body={}, item_path="evidence_id", page=True
    ),
    ("GET", "/reviews"): Rule(P.REVIEW, ok(200), page=True),
    ("GET", "/claims"): Rule(None, ok(200), page=True),
    ("POST", "/claims/{claim_id}/verdict"): Rule(
        P.DEFINE_CLAIMS, ok(303, 422), path={"claim_id": "claim"}, body={}, page=True
    ),
    ("GET", "/upload"): Rule(P.ADD_EVIDENCE, ok(200), page=True),
    ("POST", "/upload/file"): Rule(P.ADD_EVIDENCE, ok(303, 422), body={}, page=True),
    ("POST", "/upload/article"): Rule(P.ADD_EVIDENCE, ok(303, 422), body={}, page=True),
    ("GET", "/exports"): Rule(P.EXPORT_PUBLIC, ok(200), page=True),
    ("POST", "/exports/report"): Rule(P.EXPORT_PUBLIC, ok(200, 303, 422), body={}, page=True),
    ("POST", "/exports/claimreview"): Rule(P.EXPORT_PUBLIC, ok(200, 303, 422), body={}, page=True),
    ("GET", "/proposals"): Rule(None, ok(200), page=True),
    ("POST", "/proposals/{proposal_id}/confirm"): Rule(
        P.LINK, ok(404), path=NO_PROPOSAL, body={}, page=True
    ),
    ("POST", "/proposals/{proposal_id}/reject"): Rule(
        P.LINK, ok(404, 422), path=NO_PROPOSAL, body={"reason": "no"}, page=True
    ),
    ("GET", "/sites"): Rule(P.READ_PUBLIC, ok(200), page=True),
    ("GET", "/sites/{site_id}"): Rule(P.READ_PUBLIC, ok(200), path={"site_id": "site"}, page=True),
    **{
        ("GET", f"/sites/{{site_id}}/analyses/{{analysis_id}}/{image}"): Rule(
            P.READ_PUBLIC,
            ok(404),  # the case has no change analysis
            path={"site_id": "site", "analysis_id": "missing", "scene_id": "public"},
            page=True,
        )
        for image in ("figure.png", "overlay.png", "scenes/{scene_id}.png")
    },
    ("POST", "/reviews/{evidence_id}/step"): Rule(
        P.REVIEW, ok(303, 422), path=EVIDENCE, body={}, item_path="evidence_id", page=True
    ),
    ("POST", "/reviews/{evidence_id}/sign-off"): Rule(
        P.SIGN_OFF, ok(303, 404, 422), path=EVIDENCE, body={}, item_path="evidence_id", page=True
    ),
    ("POST", "/reviews/{evidence_id}/withdraw"): Rule(
        P.REVIEW, ok(303, 404, 422), path=EVIDENCE, body={}, item_path="evidence_id", page=True
    ),
}

# Routes anyone may reach, signed in or not (signing in and out, the sign-in page, the
# API's own description): checked apart, below, for leaks and server errors only.
OPEN_ROUTES = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("POST", "/api/session"),
    ("DELETE", "/api/session"),
    ("GET", "/api/docs"),
    ("GET", "/api/openapi.json"),
}


def every_route(routes):
    """The app's routes, those of included routers too (FastAPI keeps them apart)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from every_route(inner.routes)
        else:
            yield route


def app_routes(app) -> set[tuple[str, str]]:
    found = set()
    for route in every_route(app.routes):
        if isinstance(route, Mount):  # /static: files, no case data
            continue
        for method in getattr(route, "methods", None) or ():
            if method != "HEAD":
                found.add((method, route.path))
    return found


def test_the_table_names_every_route_of_the_app(web_server):
    routes = app_routes(web_server.app)
    missing = sorted(routes - set(TABLE) - OPEN_ROUTES)
    stale = sorted(set(TABLE) - routes)
    assert not missing, f"routes without an entry in the permission table: {missing}"
    assert not stale, f"entries of the permission table for no route: {stale}"


def expected(rule: Rule, role: str) -> frozenset[int]:
    if role == ANONYMOUS:
        return ok(303) if rule.page else ok(401)
    if rule.permission is not None and not can(role, rule.permission):
        return ok(403)
    return rule.ok


# The report (and its export page) names a withheld item by its number, its sensitivity
# and the SHA-256 of its original, by design (docs/report.md: the hash identifies the
# bytes only to whoever already holds a candidate copy): there, hashes are no leak.
SHOWS_WITHHELD_HASHES = {("GET", "/api/report"), ("POST", "/exports/report")}


def leaks(role: str, content: bytes, hashes_allowed: bool = False) -> list[str]:
    """The secrets in `content` that `role` may not receive."""
    seen = set() if role == ANONYMOUS else {level.value for level in visible_sensitivities(role)}
    forbidden = [WITNESS_IDENTITY]
    for level, secrets in SECRETS.items():
        if level not in seen:
            forbidden += [s for s in secrets if not (hashes_allowed and _is_hash(s))]
    return [secret for secret in forbidden if secret.encode() in content]


def call(client, method: str, path: str, rule: Rule, role: str, ids: dict, **override):
    values = {name: ids[key] for name, key in rule.path.items()} | override
    body = rule.body(role) if callable(rule.body) else rule.body
    options: dict = {"params": rule.params}
    if rule.files is not None:
        options["files"] = rule.files(role)
    elif body is not None:
        options["json" if not rule.page else "data"] = body
    return client.request(method, path.format(**values), **options)


def _is_hash(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


@pytest.fixture
def clients(web_server) -> tuple[dict, dict]:
    ids = populate(web_server.case)
    ids["missing"] = 999_999
    clients = {ANONYMOUS: web_server.client()}
    for role in Role:
        clients[role.value] = web_server.signed_in(f"the-{role.value}", role.value)
    return clients, ids


def test_every_route_answers_every_role_as_the_table_says_and_leaks_nothing(clients):
    clients, ids = clients
    wrong = []
    for (method, path), rule in TABLE.items():
        for role in ROLES:
            answer = call(clients[role], method, path, rule, role, ids)
            if answer.status_code not in expected(rule, role):
                wrong.append(f"{method} {path} as {role}: {answer.status_code} {answer.text[:200]}")
            hashes_allowed = (method, path) in SHOWS_WITHHELD_HASHES
            if found := leaks(role, answer.content, hashes_allowed):
                wrong.append(f"{method} {path} as {role} leaks {found}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("level", ["restricted", "confidential"])
def test_an_item_a_role_may_not_see_is_answered_as_if_it_did_not_exist(clients, level):
    clients, ids = clients
    wrong = []
    for (method, path), rule in TABLE.items():
        if rule.item_path is None:
            continue
        for role in ROLES:
            answer = call(clients[role], method, path, rule, role, ids, evidence_id=ids[level])
            may_see = role != ANONYMOUS and level in {s.value for s in visible_sensitivities(role)}
            if not may_see:
                # The very answer given for a number that is no item at all.
                missing = call(clients[role], method, path, rule, role, ids, evidence_id=999_999)
                if answer.status_code != missing.status_code or answer.status_code == 200:
                    wrong.append(
                        f"{method} {path} #{level} as {role}: {answer.status_code}, "
                        f"not {missing.status_code} as for no item"
                    )
            if answer.status_code in SERVER_ERRORS:
                wrong.append(f"{method} {path} #{level} as {role}: {answer.status_code}")
            if found := leaks(role, answer.content):
                wrong.append(f"{method} {path} #{level} as {role} leaks {found}")
    assert not wrong, "\n".join(wrong)


def test_search_never_finds_what_a_role_may_not_see(clients):
    clients, ids = clients
    for role in ROLES[1:]:
        for level, secrets in SECRETS.items():
            # The title and the text (a confidential item's text is sealed: never searched).
            for secret in secrets[: 1 if level == "confidential" else 2]:
                answer = clients[role].get("/api/evidence", params={"q": secret.split()[0]})
                assert answer.status_code == 200, answer.text
                found = {item["id"] for item in answer.json()["items"]}
                if level in {s.value for s in visible_sensitivities(role)}:
                    assert ids[level] in found, (role, secret)
                else:
                    assert ids[level] not in found and not leaks(role, answer.content)


def test_a_report_includes_withheld_material_only_for_roles_allowed_and_asking(clients):
    clients, _ = clients
    for role in ROLES[1:]:
        seen = {level.value for level in visible_sensitivities(role)}
        for level in ("restricted", "confidential"):
            answer = clients[role].get("/api/report", params={f"include_{level}": "true"})
            if level in seen:
                assert answer.status_code == 200, answer.text
                assert SECRETS[level][0].encode() in answer.content
            else:
                assert answer.status_code == 403
                assert not leaks(role, answer.content)
        plain = clients[role].get("/api/report")
        assert plain.status_code == 200
        shown = [
            secret
            for s in SECRETS.values()
            for secret in s
            if secret.encode() in plain.content and not _is_hash(secret)
        ]
        assert not shown, (role, shown)


def test_open_routes_leak_nothing_and_never_fail(clients):
    clients, _ = clients
    for role in ROLES:
        for path in ("/login", "/api/docs", "/api/openapi.json"):
            answer = clients[role].get(path)
            assert answer.status_code in (200, 303), (path, role, answer.status_code)
            assert not leaks(role, answer.content)
    wrong = clients[ANONYMOUS].post("/api/session", json={"name": "nobody", "password": "x" * 12})
    assert wrong.status_code == 401 and not leaks(ANONYMOUS, wrong.content)
