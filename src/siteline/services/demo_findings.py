"""The demo's findings, made the way an investigator makes them: the photo and the after
scene taken through the verification workflow by two people, the incidents that
`siteline link` proposes at both hospitals confirmed, the defence office's denial (found
in the follow-up article) stated as a testable proposition, and everything assessed.

Like everything in the demo, the people and events are invented.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from siteline.domain.entities import EvidenceLink
from siteline.domain.values import FuzzyTime
from siteline.services import assessment, claims, incidents, linking, linking_decisions
from siteline.services.verification import sign_off, transition
from siteline.store.case_folder import Case

ANALYST, REVIEWER = "demo analyst", "demo reviewer"
VESSARIN = "POLYGON((-33.25 14.02, -33.16 14.02, -33.16 14.09, -33.25 14.09, -33.25 14.02))"

GENERAL_INCIDENT = {
    "title": "Airstrike on Vessarin General Hospital",
    "incident_type": "airstrike",
    "details": {
        "weapon": "air-dropped bombs, type not identified",
        "perpetrator": "Karand air force (alleged)",
        "killed": 3,
        "injured": 11,
        "damage_class": "severe",
        "description": "Two blasts struck the courtyard and the east wing during the night shift.",
    },
}
ILYAN_INCIDENT = {
    "title": "Shelling of Saint Ilyan Children's Hospital",
    "incident_type": "shelling",
    "details": {
        "weapon": "artillery or mortar shells (reported)",
        "killed": 0,
        "damage_class": "moderate",
        "description": "Shells hit the east gate late on 17 March; two wards closed.",
    },
}
DENIAL = {
    "proposition_kind": "no_attacks_in_period",
    "site_kind": "hospital",
    "area_wkt": VESSARIN,
    "period_start": "2019-03-01",
    "period_end": "2019-03-19",
}
DENIAL_RATIONALE = "The defence office calls the strike fabricated."
VERIFICATION = {
    "photo": {
        "geolocation": {
            "method": "courtyard fountain, generator shed and east-wing windows matched to "
            "the 11 March satellite scene",
            "precision": "exact",
        },
        "chronolocation": {
            "method": "camera time checked against the shadows of the east wing (low sun "
            "from the east) and the posts of that morning",
        },
        "source_assessment": {"grade": "C3", "note": "neighbourhood account, local since 2017"},
    },
    "scene": {
        "geolocation": {
            "method": "the provider's georeferencing, checked on road junctions",
            "location": "14.0512,-33.2087",
            "precision": "exact",
        },
        "chronolocation": {"method": "acquisition time in the provider's metadata"},
        "source_assessment": {"grade": "A2", "note": "commercial imagery provider"},
    },
}


def make_findings(case: Case, ids: dict, site_ids: dict, after_scene: int) -> dict:
    """Verifies the photo and the after scene the change analysis used, links, states the
    denial and assesses; returns the ids made."""
    for evidence_id, checks in (
        (ids["photo"], VERIFICATION["photo"]),
        (after_scene, VERIFICATION["scene"]),
    ):
        _verify(case, evidence_id, checks)
    linking.propose_links(case)
    general = _confirm(case, site_ids["general"], GENERAL_INCIDENT, leave_out=[ids["statement"]])
    incidents.link_evidence(
        case, EvidenceLink(general, ids["statement"], "contradicts", DENIAL_RATIONALE)
    )
    _merge_into(case, general, ids["dataset_row"])
    ilyan = _confirm(case, site_ids["children"], ILYAN_INCIDENT, leave_out=[])
    denial = _state_denial(case)
    assessment.refresh(case)
    return {"incidents": {"general": general, "children": ilyan}, "denial_claim": denial}


@contextmanager
def acting_as(case: Case, person: str) -> Iterator[None]:
    """The case's actor for a while: two people verify, one asks and the other signs off."""
    before, case.actor = case.actor, person
    try:
        yield
    finally:
        case.actor = before


def _verify(case: Case, evidence_id: int, checks: dict) -> None:
    with acting_as(case, ANALYST):
        transition(case, evidence_id, "in_review")
        transition(case, evidence_id, "geolocated", {"geolocation": checks["geolocation"]})
        transition(case, evidence_id, "chronolocated", {"chronolocation": checks["chronolocation"]})
        transition(
            case, evidence_id, "verified", {"source_assessment": checks["source_assessment"]}
        )
    with acting_as(case, REVIEWER):
        sign_off(case, evidence_id, "checked the geolocation and the time again")


def _confirm(case: Case, site_id: int, spec: dict, leave_out: list[int]) -> int:
    """Confirms the open proposal of a new incident at the site with the most items."""
    proposals = [
        proposal
        for proposal in linking.list_proposals(case, status="proposed", site=site_id)
        if proposal["incident_id"] is None
    ]
    if not proposals:
        raise RuntimeError(f"the demo expected `link` to propose an incident at site #{site_id}")
    chosen = max(proposals, key=lambda proposal: (len(proposal["members"]), -proposal["id"]))
    members = {member["evidence_id"] for member in chosen["members"]}
    result = linking_decisions.confirm_proposal(
        case,
        chosen["id"],
        [item for item in leave_out if item in members],
        spec["title"],
        spec["incident_type"],
        spec["details"],
    )
    return result["incident"]["id"]


def _merge_into(case: Case, incident_id: int, evidence_id: int) -> None:
    """The monitor's row, dated only by its month of publication, gets a proposal of its
    own; the person who knows the row's incident date adds it to the incident."""
    for proposal in linking.list_proposals(case, status="proposed"):
        if evidence_id in {member["evidence_id"] for member in proposal["members"]}:
            linking_decisions.merge_proposals(case, [proposal["id"]], into_incident=incident_id)
            return


def _state_denial(case: Case) -> int:
    """The follow-up article's quote of the defence office, found by ingest as a candidate
    claim, given its testable proposition: no hospital in Vessarin attacked in March."""
    found = [
        claim
        for claim in claims.list_claims(case)
        if claim["status"] == "candidate" and "no military operations" in claim["quote"]
    ]
    if len(found) != 1:
        raise RuntimeError("the demo expected ingest to find the defence office's denial")
    spec = dict(DENIAL)
    times = {
        name: FuzzyTime.parse(spec.pop(name), "demo time")
        for name in ("period_start", "period_end")
    }
    claims.define_proposition(case, found[0]["id"], **spec, **times)
    return found[0]["id"]
