"""The shapes the workbench API takes (requests), for validation and the OpenAPI document.

Answers are records as the services give them, passed through `api_visibility` so that
they carry only what the viewer may see; their documents are open objects. Text in them
(titles, quotes, reasons) is returned as JSON strings, never as HTML.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from siteline.web.models import MAX_ID

Id = Field(ge=1, le=MAX_ID)
ItemId = Annotated[int, Field(ge=1, le=MAX_ID)]
SHORT = 500
LONG = 20_000


class Closed(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SiteIn(Closed):
    name: str = Field(min_length=1, max_length=SHORT)
    kind: str = Field(default="hospital", max_length=40)
    aliases: list[str] = Field(default_factory=list, max_length=50)
    operator: str | None = Field(default=None, max_length=SHORT)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    polygon_wkt: str | None = Field(default=None, max_length=LONG)
    notes: str | None = Field(default=None, max_length=LONG)


class SourceIn(Closed):
    name: str = Field(min_length=1, max_length=SHORT)
    kind: str = Field(default="other", max_length=40)
    reliability: str = Field(default="F", max_length=1)
    url: str | None = Field(default=None, max_length=2000)
    identity: str | None = Field(
        default=None, max_length=SHORT, description="A witness's identity, sealed at once."
    )
    notes: str | None = Field(default=None, max_length=LONG)


class ReviewStep(Closed):
    status: str = Field(min_length=1, max_length=40, description="The status to move to.")
    checks: dict[str, Any] | None = Field(default=None, description="What that status requires.")
    note: str | None = Field(default=None, max_length=LONG)


class Note(Closed):
    note: str | None = Field(default=None, max_length=LONG)


class IncidentIn(Closed):
    site_id: int = Id
    window_start: str = Field(min_length=1, max_length=40, description="YYYY[-MM[-DD[Thh:mm]]]")
    window_end: str | None = Field(default=None, max_length=40)
    type: str = Field(default="other", max_length=40)
    title: str | None = Field(default=None, max_length=SHORT)
    weapon: str | None = Field(default=None, max_length=SHORT)
    perpetrator: str | None = Field(default=None, max_length=SHORT)
    killed: int | None = Field(default=None, ge=0, le=MAX_ID)
    injured: int | None = Field(default=None, ge=0, le=MAX_ID)
    damage_class: str | None = Field(default=None, max_length=40)
    certainty: str = Field(default="possible", max_length=40)
    description: str | None = Field(default=None, max_length=LONG)


class LinkIn(Closed):
    evidence_id: int = Id
    role: str = Field(default="supports", max_length=40)
    rationale: str = Field(min_length=1, max_length=LONG)


class ProposeIn(Closed):
    site: str | None = Field(default=None, max_length=SHORT)
    min_score: float | None = Field(default=None, ge=0, le=1)


class ConfirmIn(Closed):
    without: list[ItemId] = Field(default_factory=list, max_length=1000)
    title: str | None = Field(default=None, max_length=SHORT)
    incident_type: str | None = Field(default=None, max_length=40)


class ReasonIn(Closed):
    reason: str = Field(min_length=1, max_length=LONG)


class MergeIn(Closed):
    proposals: list[ItemId] = Field(min_length=1, max_length=100)
    into_incident: int | None = Field(default=None, ge=1, le=MAX_ID)


class SplitIn(Closed):
    items: list[ItemId] = Field(min_length=1, max_length=1000)


class ClaimIn(Closed):
    speaker: str = Field(min_length=1, max_length=SHORT)
    stated: str = Field(min_length=1, max_length=40, description="When: YYYY[-MM[-DD]]")
    quote: str = Field(min_length=1, max_length=LONG)
    proposition: str = Field(
        min_length=1, max_length=LONG, description="What the claim asserts, in words."
    )
    evidence_id: int | None = Field(default=None, ge=1, le=MAX_ID)


class DefineIn(Closed):
    proposition_kind: str = Field(max_length=40)
    proposition: str | None = Field(default=None, max_length=LONG)
    site_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    site_kind: str | None = Field(default=None, max_length=40)
    area_wkt: str | None = Field(default=None, max_length=LONG)
    period_start: str | None = Field(default=None, max_length=40)
    period_end: str | None = Field(default=None, max_length=40)
    count: int | None = Field(default=None, ge=0, le=MAX_ID)
    count_comparison: str | None = Field(default=None, max_length=40)
    min_certainty: str | None = Field(default=None, max_length=40)


class VerdictIn(Closed):
    verdict: str = Field(max_length=40)
    reasons: str = Field(default="", max_length=LONG)


class EvidencePage(BaseModel):
    items: list[dict[str, Any]]
    next: str | None = Field(description="The cursor of the next page; none after the last.")
    order: str
