"""The tables of a case, as SQLAlchemy Core metadata.

Migrations under `migrations/versions` create exactly these tables; a test compares the
two so that they never drift. Times are stored as UTC text in one fixed shape
(see `domain.values.STORED_FORMAT`) beside their precision, so that every database
orders them alike and an export carries them unchanged. JSON columns are text.
"""

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

metadata = MetaData()


def _time(name: str, nullable: bool = True) -> list[Column]:
    return [
        Column(f"{name}_at", String(20), nullable=nullable),
        Column(f"{name}_precision", String(10), nullable=nullable),
    ]


def _location(name: str) -> list[Column]:
    return [
        Column(f"{name}_lat", Float),
        Column(f"{name}_lon", Float),
        Column(f"{name}_precision", String(10)),
    ]


def _lifecycle() -> list[Column]:
    return [
        Column("created_at", String(20), nullable=False),
        Column("deleted_at", String(20)),
        Column("deleted_reason", Text),
    ]


case_info = Table(
    "case_info",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("case_uid", String(36), nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text),
    Column("key_fingerprint", String(32)),
    *_lifecycle(),
)

sites = Table(
    "sites",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("aliases", Text, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("operator", Text),
    Column("lat", Float),
    Column("lon", Float),
    Column("geometry_wkt", Text),
    Column("notes", Text),
    *_lifecycle(),
)

sources = Table(
    "sources",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", Text, nullable=False),
    Column("kind", String(40), nullable=False),
    Column("reliability", String(1), nullable=False),
    Column("url", Text),
    Column("identity_sealed", Text),
    Column("native", Text),
    Column("notes", Text),
    *_lifecycle(),
)

blobs = Table(
    "blobs",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("size", Integer, nullable=False),
    Column("media_type", String(120)),
    Column("encrypted", Boolean, nullable=False),
    Column("stored_sha256", String(64), nullable=False),
    *_lifecycle(),
)

evidence = Table(
    "evidence",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(40), nullable=False),
    Column("title", Text),
    Column("text", Text),
    Column("sealed", Text),
    Column("blob_sha256", String(64), ForeignKey("blobs.id")),
    Column("original_filename", Text),
    Column("source_id", Integer, ForeignKey("sources.id")),
    Column("site_id", Integer, ForeignKey("sites.id")),
    Column("source_url", Text),
    *_time("published"),
    *_time("captured"),
    *_time("collected", nullable=False),
    *_location("claimed"),
    *_location("verified"),
    Column("credibility", Integer, nullable=False),
    Column("verification_status", String(20), nullable=False),
    Column("sensitivity", String(20), nullable=False),
    Column("graphic", Boolean, nullable=False),
    Column("language", String(20)),
    Column("native", Text),
    # Added by migration 0003, for ingest: where an item came from and who posted it.
    Column("ingest_key", Text),  # its identity in its source ("twitter:1234", "acled:SYR1")
    Column("within_id", Integer, ForeignKey("evidence.id")),  # the item whose original holds it
    Column("platform", String(40)),
    Column("platform_id", Text),
    Column("author_handle", Text),
    Column("author_name", Text),
    Column("details", Text),  # JSON: what ingest found (links, dates, places, a candidate…)
    *_lifecycle(),
)

# Added by migration 0003: how evidence items relate (a post embedded in an article, a reply,
# a repost, a quote, a newer version of an item).
evidence_relations = Table(
    "evidence_relations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("relation", String(20), nullable=False),
    Column("related_id", Integer, ForeignKey("evidence.id"), nullable=False),
    *_lifecycle(),
)

# Added by migration 0003: places a text may name, from an imported gazetteer.
gazetteer_entries = Table(
    "gazetteer_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("gazetteer", Text, nullable=False),  # which gazetteer (its file's name by default)
    Column("entry_id", Text),  # the gazetteer's own id
    Column("name", Text, nullable=False),
    Column("aliases", Text, nullable=False),  # JSON list
    Column("lat", Float),
    Column("lon", Float),
    Column("kind", Text),
    Column("parent", Text),
    *_lifecycle(),
)

derived_items = Table(
    "derived_items",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id")),
    Column("kind", String(40), nullable=False),
    Column("blob_sha256", String(64), ForeignKey("blobs.id")),
    Column("parents", Text, nullable=False),
    Column("method", Text, nullable=False),
    Column("method_version", Text, nullable=False),
    Column("parameters", Text, nullable=False),
    *_lifecycle(),
)

# Added by migration 0004: the perceptual hashes of photos and of the frames of videos,
# for near-duplicate matching; recomputable from the original by `pipeline`.
media_hashes = Table(
    "media_hashes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("variant", String(40), nullable=False),  # "whole", "trimmed", "crop10", "frame"…
    Column("frame_s", Float),  # a video frame's time in seconds; none for a photo
    Column("pdq", String(64), nullable=False),  # 256 bits as 64 hex digits
    Column("quality", Integer, nullable=False),  # PDQ's own, 0-100
    Column("pipeline", String(40), nullable=False),
    *_lifecycle(),
)

# Added by migration 0004: near-duplicates found when an item came in: one of its probes
# (a crop, a rotation, a frame…) within `radius` bits of a hash already in the case.
media_matches = Table(
    "media_matches",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),  # the newer
    Column("matched_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("distance", Integer, nullable=False),
    Column("probe", String(60), nullable=False),  # what of the newer item matched
    Column("frame_s", Float),
    Column("matched_variant", String(40), nullable=False),  # what of the older item
    Column("matched_frame_s", Float),
    Column("frames", Integer, nullable=False),  # how many frame pairs matched (videos)
    Column("radius", Integer, nullable=False),
    *_lifecycle(),
)

custody = Table(
    "custody",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("object_type", String(20), nullable=False),
    Column("object_id", Integer, nullable=False),
    Column("collector", Text, nullable=False),
    Column("tool", Text, nullable=False),
    Column("tool_version", Text, nullable=False),
    Column("collected_at", String(20), nullable=False),
    Column("method", Text, nullable=False),
    Column("source_url", Text),
    Column("sha256", String(64)),
    Column("notes", Text),
    *_lifecycle(),
)

incidents = Table(
    "incidents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=False),
    Column("title", Text),
    *_time("window_start", nullable=False),
    *_time("window_end"),
    Column("type", String(40), nullable=False),
    Column("weapon", Text),
    Column("perpetrator", Text),
    Column("killed", Integer),
    Column("injured", Integer),
    Column("damage_class", String(20)),
    Column("certainty", String(20), nullable=False),
    Column("description", Text),
    Column("native", Text),
    # Added by migration 0005: the WHO SSA rule that gave `certainty`, and why (JSON list).
    Column("certainty_rule", Text),
    Column("certainty_reasons", Text),
    *_lifecycle(),
)

evidence_links = Table(
    "evidence_links",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("incident_id", Integer, ForeignKey("incidents.id"), nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("role", String(20), nullable=False),
    Column("rationale", Text, nullable=False),
    Column("linked_by", Text, nullable=False),
    Column("proposal_id", Integer),  # 0005: the link proposal a person confirmed, if any
    *_lifecycle(),
)

claims = Table(
    "claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("speaker", Text, nullable=False),
    *_time("stated", nullable=False),
    Column("quote", Text, nullable=False),
    Column("evidence_id", Integer, ForeignKey("evidence.id")),
    Column("proposition_kind", String(40), nullable=False),
    Column("proposition", Text, nullable=False),
    Column("site_id", Integer, ForeignKey("sites.id")),
    *_time("period_start"),
    *_time("period_end"),
    Column("count", Integer),
    Column("verdict", String(20), nullable=False),
    Column("verdict_reasons", Text),
    Column("status", String(20)),  # 0003: "candidate" when found by ingest, not yet confirmed
    # Added by migration 0005: what a claim covers beyond one site, and how its verdict was
    # reached (the rule, the chain of evidence as JSON, "computed" or the person who set it).
    Column("site_kind", String(40)),
    Column("area_wkt", Text),
    Column("count_comparison", String(20)),  # at_least, exactly, at_most
    Column("min_certainty", String(20)),  # the least certainty an incident needs to count
    Column("verdict_rule", Text),
    Column("verdict_chain", Text),
    Column("verdict_by", Text),
    *_lifecycle(),
)

# Added by migration 0005: case settings by name (the verification workflow), JSON values.
settings = Table(
    "settings",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(60), nullable=False),
    Column("value", Text, nullable=False),
    *_lifecycle(),
)

# Added by migration 0005: each step of an item's verification, with the checks it needed
# and, for a status that needs one, the second person's sign-off.
reviews = Table(
    "reviews",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("evidence_id", Integer, ForeignKey("evidence.id"), nullable=False),
    Column("from_status", String(40), nullable=False),
    Column("to_status", String(40), nullable=False),
    Column("actor", Text, nullable=False),
    Column("checks", Text, nullable=False),  # JSON: geolocation, chronolocation, source...
    Column("note", Text),
    Column("state", String(20), nullable=False),  # done, awaiting_sign_off, withdrawn
    Column("signed_off_by", Text),
    Column("signed_off_at", String(20)),
    *_lifecycle(),
)

# Added by migration 0005: incidents `siteline link` proposes from evidence, each with its
# score and reasons, until a person confirms, rejects, merges or splits them.
link_proposals = Table(
    "link_proposals",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("key", String(64), nullable=False),  # the digest of its site and members
    Column("site_id", Integer, ForeignKey("sites.id"), nullable=False),
    *_time("window_start"),
    *_time("window_end"),
    Column("score", Float, nullable=False),
    Column("reasons", Text, nullable=False),  # JSON list of reasons for the whole proposal
    Column("members", Text, nullable=False),  # JSON: [{evidence_id, score, reasons}]
    Column("status", String(20), nullable=False),  # proposed, confirmed, rejected, merged, split
    Column("incident_id", Integer, ForeignKey("incidents.id")),
    Column("decided_by", Text),
    Column("decision_note", Text),
    *_lifecycle(),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("at", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(20), nullable=False),
    Column("object_type", String(40), nullable=False),
    Column("object_id", String(64), nullable=False),
    Column("before", Text),
    Column("after", Text),
    Column("before_sha256", String(64), nullable=False),
    Column("after_sha256", String(64), nullable=False),
    Column("redacted", Boolean, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# Every table whose rows the audit chain accounts for, by the object type it records.
AUDITED_TABLES: dict[str, Table] = {
    "case": case_info,
    "site": sites,
    "source": sources,
    "blob": blobs,
    "evidence": evidence,
    "derived": derived_items,
    "custody": custody,
    "incident": incidents,
    "link": evidence_links,
    "claim": claims,
    "relation": evidence_relations,
    "place": gazetteer_entries,
    "hash": media_hashes,
    "match": media_matches,
    "setting": settings,
    "review": reviews,
    "proposal": link_proposals,
}

# Created by migration 0002.
Index("ix_evidence_kind", evidence.c.kind)
Index("ix_evidence_published_at", evidence.c.published_at)
Index("ix_evidence_site_id", evidence.c.site_id)
Index("ix_evidence_blob_sha256", evidence.c.blob_sha256)
Index("ix_evidence_links_incident_id", evidence_links.c.incident_id)
Index("ix_custody_object", custody.c.object_type, custody.c.object_id)
Index("ix_audit_log_object", audit_log.c.object_type, audit_log.c.object_id)

# Created by migration 0003.
Index("ix_evidence_ingest_key", evidence.c.ingest_key)
Index("ix_evidence_within_id", evidence.c.within_id)
Index("ix_evidence_relations_evidence_id", evidence_relations.c.evidence_id)
Index("ix_evidence_relations_related_id", evidence_relations.c.related_id)
Index("ix_gazetteer_entries_name", gazetteer_entries.c.name)

# Created by migration 0004.
Index("ix_media_hashes_evidence_id", media_hashes.c.evidence_id)
Index("ix_media_matches_evidence_id", media_matches.c.evidence_id)
Index("ix_media_matches_matched_id", media_matches.c.matched_id)

# Created by migration 0005.
Index("ix_settings_name", settings.c.name)
Index("ix_reviews_evidence_id", reviews.c.evidence_id)
Index("ix_link_proposals_key", link_proposals.c.key)

# Added by migration 0006: the people who may work in a case through the web workbench.
# Accounts and tokens are audited; the secrets that prove who someone is (password hashes,
# token digests) and the operational tables (sessions, sign-in attempts) are not, so that
# they never reach the audit chain or a bundle.
accounts = Table(
    "accounts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("role", String(20), nullable=False),  # see domain.roles.ROLES
    Column("disabled_at", String(20)),
    *_lifecycle(),
)

credentials = Table(
    "credentials",
    metadata,
    Column("account_id", Integer, ForeignKey("accounts.id"), primary_key=True),
    Column("password_hash", Text, nullable=False),  # argon2id, in its own encoded form
    Column("updated_at", String(20), nullable=False),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("label", Text, nullable=False),
    Column("revoked_at", String(20)),
    *_lifecycle(),
)

# A token's digest and last use: kept apart from `api_tokens` because the last use changes
# on every request (the audit chain would otherwise grow with every call) and because the
# digest is what a presented token is checked against.
token_secrets = Table(
    "token_secrets",
    metadata,
    Column("token_id", Integer, ForeignKey("api_tokens.id"), primary_key=True),
    Column("token_sha256", String(64), nullable=False),  # never the token itself
    Column("last_used_at", String(20)),
)

web_sessions = Table(
    "web_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),  # of the cookie's value
    Column("account_id", Integer, ForeignKey("accounts.id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", String(20), nullable=False),
    Column("expires_at", String(20), nullable=False),
    Column("ended_at", String(20)),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(80), nullable=False),
    Column("address", String(64), nullable=False),
    Column("at", String(20), nullable=False),
    Column("ok", Boolean, nullable=False),
)

AUDITED_TABLES["account"] = accounts
AUDITED_TABLES["token"] = api_tokens

# Created by migration 0006.
Index("ix_accounts_name", accounts.c.name, unique=True)
Index("ix_api_tokens_account_id", api_tokens.c.account_id)
Index("ix_token_secrets_sha256", token_secrets.c.token_sha256, unique=True)
Index("ix_web_sessions_account_id", web_sessions.c.account_id)
Index("ix_login_attempts_at", login_attempts.c.at)
