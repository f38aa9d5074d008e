"""The controlled vocabularies of a case, and one way to read a term from a person.

The terms follow the field's own standards so that exports mean the same thing to
other tools: the Admiralty code for sources and information, UNOSAT damage classes,
WHO SSA certainty levels.
"""

from enum import StrEnum
from typing import TypeVar

from siteline.errors import InvalidInput


class EvidenceKind(StrEnum):
    ARTICLE = "article"
    SOCIAL_POST = "social_post"
    PHOTO = "photo"
    VIDEO = "video"
    SATELLITE_SCENE = "satellite_scene"
    TESTIMONY = "testimony"
    STATEMENT = "statement"
    DOCUMENT = "document"
    DATASET_ROW = "dataset_row"


class RelationKind(StrEnum):
    """How one evidence item relates to another."""

    EMBEDDED_IN = "embedded_in"  # a post quoted in an article (beyond the one it was found in)
    REPLY_TO = "reply_to"
    REPOST_OF = "repost_of"
    QUOTE_OF = "quote_of"
    ATTACHMENT_OF = "attachment_of"  # a photo or video posted with a post
    VERSION_OF = "version_of"  # a changed version of an item ingested before


class SiteKind(StrEnum):
    HOSPITAL = "hospital"
    CLINIC = "clinic"
    AMBULANCE_STATION = "ambulance_station"
    MEDICAL_WAREHOUSE = "medical_warehouse"
    SCHOOL = "school"
    MARKET = "market"
    BAKERY = "bakery"
    PLACE_OF_WORSHIP = "place_of_worship"
    RESIDENTIAL = "residential"
    SHELTER = "shelter"
    WATER_FACILITY = "water_facility"
    POWER_FACILITY = "power_facility"
    OTHER = "other"


class SourceKind(StrEnum):
    SOCIAL_ACCOUNT = "social_account"
    OUTLET = "outlet"
    OFFICIAL_BODY = "official_body"
    NGO = "ngo"
    IMAGERY_PROVIDER = "imagery_provider"
    WITNESS = "witness"
    DATASET = "dataset"
    OTHER = "other"


class Reliability(StrEnum):
    """Admiralty code, source reliability."""

    A = "A"  # completely reliable
    B = "B"  # usually reliable
    C = "C"  # fairly reliable
    D = "D"  # not usually reliable
    E = "E"  # unreliable
    F = "F"  # reliability cannot be judged


class VerificationStatus(StrEnum):
    """The statuses of the default verification workflow (a case may configure its own:
    see `domain.workflow`)."""

    COLLECTED = "collected"
    IN_REVIEW = "in_review"
    GEOLOCATED = "geolocated"
    CHRONOLOCATED = "chronolocated"
    VERIFIED = "verified"
    DISCARDED = "discarded"


class Sensitivity(StrEnum):
    PUBLIC = "public"
    RESTRICTED = "restricted"
    CONFIDENTIAL = "confidential"


class IncidentType(StrEnum):
    AIRSTRIKE = "airstrike"
    SHELLING = "shelling"
    MISSILE = "missile"
    GROUND_ATTACK = "ground_attack"
    EXPLOSIVE_DEVICE = "explosive_device"
    ARSON = "arson"
    RAID = "raid"
    OBSTRUCTION = "obstruction"
    OTHER = "other"


class DamageClass(StrEnum):
    """UNOSAT damage assessment classes."""

    DESTROYED = "destroyed"
    SEVERE = "severe"
    MODERATE = "moderate"
    POSSIBLE = "possible"
    NO_VISIBLE = "no_visible"


class Certainty(StrEnum):
    """WHO Surveillance System for Attacks on Health Care certainty levels."""

    CONFIRMED = "confirmed"
    PROBABLE = "probable"
    POSSIBLE = "possible"
    RUMOUR = "rumour"


class LinkRole(StrEnum):
    SUPPORTS = "supports"
    CONTRADICTS = "contradicts"
    CONTEXT = "context"


class Verdict(StrEnum):
    UNRESOLVED = "unresolved"
    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"


class PropositionKind(StrEnum):
    """The testable forms a claim can take."""

    NO_CHANGE = "no_change"  # no change at site S between t1 and t2
    NOT_ATTACKED = "not_attacked"  # site S was not attacked in period P
    NO_ATTACKS_IN_PERIOD = "no_attacks_in_period"  # no site (of a kind, in an area) attacked in P
    ATTACKED = "attacked"  # site S was attacked on a date (the period)
    ATTACK_COUNT = "attack_count"  # N attacks happened in P (in an area, on a kind of site)
    OTHER = "other"  # stated in words only


class CountComparison(StrEnum):
    """How a stated count reads: "73 attacks" (at least), "only 3" (at most), "exactly 5"."""

    AT_LEAST = "at_least"
    EXACTLY = "exactly"
    AT_MOST = "at_most"


E = TypeVar("E", bound=StrEnum)


def parse_term(vocabulary: type[E], value: str | E, field: str) -> E:
    """Read a term as a person types it ('Social post', 'social-post', 'social_post')."""
    if isinstance(value, vocabulary):
        return value
    normalised = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if vocabulary is Reliability:
        normalised = normalised.upper()
    try:
        return vocabulary(normalised)
    except ValueError:
        allowed = ", ".join(term.value for term in vocabulary)
        raise InvalidInput(field, f"{value!r} is not one of: {allowed}") from None
