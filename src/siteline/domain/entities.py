"""The things an investigation is made of, as a person describes them.

Each entity checks itself when made, so that every face (command line, web, import)
refuses the same bad input with the same message. Identifiers, creation times and
audit history are the store's business and do not appear here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import Point, Polygon

from siteline.domain.values import (
    FuzzyTime,
    Location,
    check_coordinates,
    check_window,
    not_in_future,
)
from siteline.domain.vocabularies import (
    Certainty,
    CountComparison,
    DamageClass,
    EvidenceKind,
    IncidentType,
    LinkRole,
    PropositionKind,
    Reliability,
    Sensitivity,
    SiteKind,
    SourceKind,
    Verdict,
    parse_term,
)
from siteline.errors import InvalidInput


def _required_text(value: str | None, field_name: str) -> str:
    if value is None or not str(value).strip():
        raise InvalidInput(field_name, "must not be empty")
    return str(value).strip()


def _count(value: int | None, field_name: str) -> int | None:
    if value is None:
        return None
    if int(value) < 0:
        raise InvalidInput(field_name, f"{value} is negative")
    return int(value)


@dataclass
class Site:
    """A protected place. Its geometry is a point, or a polygon given as WKT."""

    name: str
    kind: SiteKind | str = SiteKind.HOSPITAL
    aliases: list[str] = field(default_factory=list)
    operator: str | None = None
    lat: float | None = None
    lon: float | None = None
    polygon_wkt: str | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        self.name = _required_text(self.name, "name")
        self.kind = parse_term(SiteKind, self.kind, "kind")
        self.aliases = [alias.strip() for alias in self.aliases if alias and alias.strip()]
        if (self.lat is None) != (self.lon is None):
            raise InvalidInput("location", "give both latitude and longitude, or neither")
        if self.lat is not None:
            check_coordinates(self.lat, self.lon, "location")
        if self.polygon_wkt:
            polygon = parse_polygon(self.polygon_wkt)
            self.polygon_wkt = polygon.wkt
            if self.lat is None:
                centre = polygon.representative_point()
                self.lat, self.lon = centre.y, centre.x

    @property
    def geometry_wkt(self) -> str | None:
        if self.polygon_wkt:
            return self.polygon_wkt
        return Point(self.lon, self.lat).wkt if self.lat is not None else None


def parse_polygon(text: str) -> Polygon:
    """A polygon in WKT, longitude first, within WGS 84 bounds, valid and closed."""
    try:
        shape = wkt.loads(text)
    except (ShapelyError, ValueError, TypeError):
        raise InvalidInput(
            "polygon", f"{text[:60]!r} is not WKT (e.g. 'POLYGON((lon lat, ...))')"
        ) from None
    if not isinstance(shape, Polygon):
        raise InvalidInput("polygon", f"expected a POLYGON, got {shape.geom_type}")
    if shape.is_empty:
        raise InvalidInput("polygon", "the polygon is empty: give its corners")
    for lon, lat in shape.exterior.coords:
        check_coordinates(lat, lon, "polygon")
    if not shape.is_valid:
        raise InvalidInput("polygon", "the polygon crosses itself")
    return shape


@dataclass
class Source:
    """Who published or provided material. A witness is known by a pseudonym only;
    their identity, when recorded, is sealed with the case key."""

    name: str
    kind: SourceKind | str = SourceKind.OTHER
    reliability: Reliability | str = Reliability.F
    url: str | None = None
    identity: str | None = None
    notes: str | None = None
    native: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.name = _required_text(self.name, "name")
        self.kind = parse_term(SourceKind, self.kind, "kind")
        self.reliability = parse_term(Reliability, self.reliability, "reliability")
        if self.identity and self.kind is not SourceKind.WITNESS:
            raise InvalidInput("identity", "only a witness source has a sealed identity")


_CONFIDENTIAL = Sensitivity.CONFIDENTIAL


@dataclass
class EvidenceItem:
    """One piece of material, with what is known of its times, place and standing. Its
    verification status is not given here: every item starts at the case's workflow's
    first status and moves only through `siteline review` (services/verification.py)."""

    kind: EvidenceKind | str
    title: str | None = None
    text: str | None = None
    data: bytes | None = None
    original_filename: str | None = None
    media_type: str | None = None
    source_id: int | None = None
    site_id: int | None = None
    source_url: str | None = None
    published: FuzzyTime | None = None
    captured: FuzzyTime | None = None
    collected: FuzzyTime | None = None
    claimed_location: Location | None = None
    verified_location: Location | None = None
    credibility: int = 6
    sensitivity: Sensitivity | str = Sensitivity.PUBLIC
    graphic: bool = False
    language: str | None = None
    native: dict[str, Any] | None = None
    # From ingest: the item's identity in its source, and the item whose original holds
    # it (a post within an export file, a row within a dataset): such an item has no
    # original bytes of its own.
    ingest_key: str | None = None
    within_id: int | None = None
    platform: str | None = None
    platform_id: str | None = None
    author_handle: str | None = None
    author_name: str | None = None
    details: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.kind = parse_term(EvidenceKind, self.kind, "kind")
        self.sensitivity = parse_term(Sensitivity, self.sensitivity, "sensitivity")
        if self.kind is EvidenceKind.TESTIMONY:
            # Testimony identifies a witness by its content: it is always confidential.
            self.sensitivity = Sensitivity.CONFIDENTIAL
        if self.within_id is not None:
            if self.data is not None:
                raise InvalidInput("evidence", "an item within another has no bytes of its own")
        elif self.data is None and not (self.text and self.text.strip()):
            raise InvalidInput("evidence", "give a file or a text")
        if not 1 <= int(self.credibility) <= 6:
            raise InvalidInput(
                "credibility", f"{self.credibility} is outside 1..6 (Admiralty code)"
            )
        for name in ("published", "captured", "collected"):
            not_in_future(getattr(self, name), name)
        if self.published and self.captured and self.captured.start > self.published.end:
            raise InvalidInput(
                "captured", f"captured {self.captured} after it was published {self.published}"
            )

    @property
    def confidential(self) -> bool:
        return self.sensitivity is _CONFIDENTIAL  # a module name: bulk adds ask it per item

    @property
    def has_own_original(self) -> bool:
        return self.within_id is None

    @property
    def original_bytes(self) -> bytes:
        return self.data if self.data is not None else self.text.encode()


@dataclass
class DerivedItem:
    """Something computed from evidence: it names its parents by hash and the exact
    method, version and parameters, so anyone can compute it again."""

    kind: str
    parents: list[str]
    method: str
    method_version: str
    parameters: dict[str, Any] = field(default_factory=dict)
    data: bytes | None = None
    media_type: str | None = None
    evidence_id: int | None = None

    def __post_init__(self) -> None:
        self.kind = _required_text(self.kind, "kind")
        self.method = _required_text(self.method, "method")
        self.method_version = _required_text(self.method_version, "method version")
        if not self.parents:
            raise InvalidInput("parents", "a derived item names at least one parent by hash")
        for parent in self.parents:
            if len(parent) != 64 or any(c not in "0123456789abcdef" for c in parent):
                raise InvalidInput("parents", f"{parent!r} is not a SHA-256 in lowercase hex")


@dataclass
class Incident:
    """One attack on a site within a time window."""

    site_id: int
    window_start: FuzzyTime
    window_end: FuzzyTime | None = None
    type: IncidentType | str = IncidentType.OTHER
    title: str | None = None
    weapon: str | None = None
    perpetrator: str | None = None
    killed: int | None = None
    injured: int | None = None
    damage_class: DamageClass | str | None = None
    certainty: Certainty | str = Certainty.POSSIBLE
    description: str | None = None
    native: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.type = parse_term(IncidentType, self.type, "type")
        self.certainty = parse_term(Certainty, self.certainty, "certainty")
        if self.damage_class is not None:
            self.damage_class = parse_term(DamageClass, self.damage_class, "damage")
        self.killed = _count(self.killed, "killed")
        self.injured = _count(self.injured, "injured")
        not_in_future(self.window_start, "window start")
        check_window(self.window_start, self.window_end, "window")


@dataclass
class EvidenceLink:
    incident_id: int
    evidence_id: int
    role: LinkRole | str
    rationale: str

    def __post_init__(self) -> None:
        self.role = parse_term(LinkRole, self.role, "role")
        self.rationale = _required_text(self.rationale, "rationale")


@dataclass
class Claim:
    """A statement by someone at some time, and the testable proposition behind it.

    Claims of every kind but 'other' get their verdict computed from the evidence
    (services/assessment.py); an 'other' claim is stated in words and judged by a person.
    """

    speaker: str
    stated: FuzzyTime
    quote: str
    proposition_kind: PropositionKind | str = PropositionKind.OTHER
    proposition: str | None = None
    evidence_id: int | None = None
    site_id: int | None = None
    period_start: FuzzyTime | None = None
    period_end: FuzzyTime | None = None
    count: int | None = None
    verdict: Verdict | str = Verdict.UNRESOLVED
    verdict_reasons: str | None = None
    site_kind: SiteKind | str | None = None  # every site of this kind
    area_wkt: str | None = None  # every site inside this polygon (WKT, longitude first)
    count_comparison: CountComparison | str | None = None  # how the stated count reads
    min_certainty: Certainty | str | None = None  # the least an incident needs to count

    def __post_init__(self) -> None:
        self.speaker = _required_text(self.speaker, "speaker")
        self.quote = _required_text(self.quote, "quote")
        self.proposition_kind = parse_term(PropositionKind, self.proposition_kind, "proposition")
        self.verdict = parse_term(Verdict, self.verdict, "verdict")
        self.count = _count(self.count, "count")
        if self.site_kind is not None:
            self.site_kind = parse_term(SiteKind, self.site_kind, "site kind")
        if self.area_wkt is not None:
            self.area_wkt = _area(self.area_wkt)
        not_in_future(self.stated, "stated")
        check_window(self.period_start, self.period_end, "period")
        self._check_proposition()
        self._set_defaults()
        self.proposition = self.proposition or self.describe()
        if self.verdict is not Verdict.UNRESOLVED:
            if self.proposition_kind is not PropositionKind.OTHER:
                raise InvalidInput(
                    "verdict",
                    f"the verdict of a '{self.proposition_kind}' claim is computed from the "
                    "evidence; only an 'other' claim takes a person's verdict",
                )
            if not (self.verdict_reasons or "").strip():
                raise InvalidInput("reasons", f"a verdict of {self.verdict} needs its reasons")

    def _check_proposition(self) -> None:
        kind = self.proposition_kind
        one_site = (
            PropositionKind.NO_CHANGE,
            PropositionKind.NOT_ATTACKED,
            PropositionKind.ATTACKED,
        )
        if kind in one_site and self.site_id is None:
            raise InvalidInput("site", f"a '{kind}' claim is about a site: give one")
        if kind in one_site and (self.site_kind is not None or self.area_wkt is not None):
            raise InvalidInput(
                "site kind" if self.site_kind is not None else "area",
                f"a '{kind}' claim is about one site: a site kind or an area does not apply",
            )
        if (
            kind is PropositionKind.NO_ATTACKS_IN_PERIOD
            and self.site_id is None
            and self.site_kind is None
            and self.area_wkt is None
        ):
            raise InvalidInput(
                "site", f"a '{kind}' claim covers a site, a kind of site or an area: give one"
            )
        if kind is not PropositionKind.OTHER and self.period_start is None:
            raise InvalidInput("period", f"a '{kind}' claim covers a period: give its start")
        if kind is PropositionKind.ATTACK_COUNT and self.count is None:
            raise InvalidInput("count", "an 'attack_count' claim states a number: give it")
        if self.count_comparison is not None and kind is not PropositionKind.ATTACK_COUNT:
            raise InvalidInput("comparison", "only an 'attack_count' claim compares a count")
        if kind is PropositionKind.OTHER and not (self.proposition or "").strip():
            raise InvalidInput("proposition", "say in words what the claim asserts")

    def _set_defaults(self) -> None:
        """A computed claim states its comparison and least certainty, so both are on record."""
        if self.proposition_kind is PropositionKind.ATTACK_COUNT:
            self.count_comparison = parse_term(
                CountComparison, self.count_comparison or CountComparison.AT_LEAST, "comparison"
            )
        if self.proposition_kind is PropositionKind.OTHER:
            if self.min_certainty is not None:
                raise InvalidInput(
                    "least certainty", "an 'other' claim is judged by a person: it has none"
                )
            return
        self.min_certainty = parse_term(
            Certainty, self.min_certainty or Certainty.PROBABLE, "least certainty"
        )

    def describe(self) -> str:
        """The proposition in words, for claims given in one of the testable forms."""
        period = (
            f"from {self.period_start} to {self.period_end}"
            if self.period_end and self.period_end != self.period_start
            else f"in {self.period_start or '?'}"
        )
        site = f"site #{self.site_id}"
        where = (
            site
            if self.site_id is not None
            else f"any {self.site_kind} site"
            if self.site_kind
            else "any protected site"
        ) + (" in the given area" if self.area_wkt else "")
        comparison = str(self.count_comparison or CountComparison.AT_LEAST).replace("_", " ")
        return {
            PropositionKind.NO_CHANGE: f"no change at {site} {period}",
            PropositionKind.NOT_ATTACKED: f"{site} was not attacked {period}",
            PropositionKind.NO_ATTACKS_IN_PERIOD: f"no attack on {where} {period}",
            PropositionKind.ATTACKED: f"{site} was attacked {period}",
            PropositionKind.ATTACK_COUNT: f"{comparison} {self.count} attack(s) on {where} "
            f"{period}",
        }.get(self.proposition_kind, self.proposition or "")


def _area(text: str) -> str:
    """An area as WKT, checked like a site's polygon, its errors named for the area."""
    try:
        return parse_polygon(text).wkt
    except InvalidInput as error:
        raise InvalidInput("area", error.problem) from None


@dataclass
class Custody:
    """How an item came into the case, in the Berkeley Protocol's terms. The tool, its
    version, the time (UTC) and the hash are filled in by the store when not given."""

    method: str
    collector: str | None = None
    tool: str = "siteline"
    tool_version: str | None = None
    source_url: str | None = None
    collected_at: FuzzyTime | None = None
    notes: str | None = None

    def __post_init__(self) -> None:
        self.method = _required_text(self.method, "custody method")
        not_in_future(self.collected_at, "collected")
