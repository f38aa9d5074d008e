"""The workbench API over real HTTP, topic by topic: what each route gives, what it
refuses and how, on both back ends. Permissions for every route and role are in
test_web_permissions.py; the OpenAPI document is fuzzed in test_web_api_schema.py."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from web_api_case import ITEMS, RESTRICTED_QUOTE, WITNESS_IDENTITY, populate
from web_server import web_server_fixture  # noqa: F401  (gives web_server)

from siteline.domain.workflow import DEFAULT_WORKFLOW, Workflow
from siteline.services import verification
from siteline.web.models import MAX_ID


@pytest.fixture
def api(web_server):
    """(the case's ids, clients signed in as an owner, an editor, a reviewer, a viewer)."""
    ids = populate(web_server.case)
    people = {role: web_server.signed_in(f"the-{role}", role) for role in
              ("owner", "editor", "reviewer", "viewer")}  # fmt: skip
    return ids, people


# Sites and sources.


def test_a_site_is_added_listed_and_shown_with_its_incidents(api):
    ids, people = api
    added = people["editor"].post("/api/sites", json={"name": "North Clinic", "kind": "clinic"})
    assert added.status_code == 201
    assert added.json()["name"] == "North Clinic"
    names = [site["name"] for site in people["viewer"].get("/api/sites").json()]
    assert names == ["Al-Amal Hospital", "North Clinic"]
    shown = people["viewer"].get(f"/api/sites/{ids['site']}").json()
    assert [incident["id"] for incident in shown["incidents"]] == [ids["incident"]]
    assert shown["change_analyses"] == []


def test_a_site_is_refused_for_a_taken_name_a_bad_kind_or_a_missing_number(api):
    ids, people = api
    again = people["editor"].post("/api/sites", json={"name": "al-amal hospital"})
    assert again.status_code == 409 and "already used" in again.json()["error"]
    bad = people["editor"].post("/api/sites", json={"name": "X", "kind": "castle"})
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    assert people["viewer"].get("/api/sites/4242").status_code == 404
    assert people["viewer"].get(f"/api/sites/{MAX_ID + 1}").status_code == 422


def test_a_witness_identity_is_sealed_and_never_returned(api, web_server):
    _, people = api
    added = people["owner"].post(
        "/api/sources", json={"name": "W2", "kind": "witness", "identity": "Secret Person 42"}
    )
    assert added.status_code == 201
    assert added.json()["identity_sealed"] is True
    listed = people["owner"].get("/api/sources")
    assert b"Secret Person 42" not in listed.content + added.content
    assert WITNESS_IDENTITY.encode() not in listed.content
    assert {s["name"] for s in listed.json()} == {"Witness W1", "W2"}


# Evidence.


def test_the_evidence_list_pages_with_a_cursor_and_shows_only_what_a_role_may_see(api):
    ids, people = api
    first = people["owner"].get("/api/evidence", params={"limit": 2}).json()
    assert len(first["items"]) == 2 and first["next"]
    rest = people["owner"].get("/api/evidence", params={"limit": 2, "cursor": first["next"]})
    every = {item["id"] for item in first["items"] + rest.json()["items"]}
    assert every == {ids["public"], ids["restricted"], ids["confidential"]}
    assert rest.json()["next"] is None
    seen = {item["id"] for item in people["viewer"].get("/api/evidence").json()["items"]}
    assert seen == {ids["public"]}
    seen = {item["id"] for item in people["editor"].get("/api/evidence").json()["items"]}
    assert seen == {ids["public"], ids["restricted"]}


def test_the_evidence_list_filters_and_searches(api):
    ids, people = api
    found = people["editor"].get("/api/evidence", params={"q": "RESTRICTED-TEXT-b72"}).json()
    assert [item["id"] for item in found["items"]] == [ids["restricted"]]
    by_site = people["viewer"].get("/api/evidence", params={"site": ids["site"]}).json()
    assert [item["id"] for item in by_site["items"]] == [ids["public"]]
    none = people["viewer"].get("/api/evidence", params={"kind": "photo"}).json()
    assert none["items"] == []
    bad = people["viewer"].get("/api/evidence", params={"kind": "painting"})
    assert bad.status_code == 422 and bad.json()["field"] == "kind"
    assert people["viewer"].get("/api/evidence", params={"limit": 201}).status_code == 422
    bad_cursor = people["viewer"].get("/api/evidence", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422


def test_an_item_is_shown_with_custody_history_links_and_grade(api):
    ids, people = api
    item = people["viewer"].get(f"/api/evidence/{ids['public']}").json()
    assert item["title"] == ITEMS["public"]["title"]
    assert item["custody"][0]["method"] == "test"
    assert item["history"][0]["action"] in ("create", "batch")
    assert [link["incident_id"] for link in item["links"]] == [ids["incident"]]
    assert item["grade"] == "C6"
    assert item["near_duplicates"] == [] and item["verification"] == []
    assert "sealed" not in item and "native" not in item


def test_an_item_the_role_may_not_see_is_404_like_one_that_does_not_exist(api):
    ids, people = api
    hidden = people["viewer"].get(f"/api/evidence/{ids['restricted']}")
    missing = people["viewer"].get("/api/evidence/4242")
    assert hidden.status_code == missing.status_code == 404
    assert ITEMS["restricted"]["title"].encode() not in hidden.content
    assert people["editor"].get(f"/api/evidence/{ids['confidential']}").status_code == 404
    opened = people["owner"].get(f"/api/evidence/{ids['confidential']}").json()
    assert opened["text"] == ITEMS["confidential"]["text"]  # the key is loaded


def test_an_original_is_an_attachment_never_a_page(api):
    ids, people = api
    answer = people["viewer"].get(f"/api/evidence/{ids['public']}/original")
    assert answer.status_code == 200
    assert answer.content == ITEMS["public"]["data"]
    # Stored as text/html: sent as bytes to save, never as a page to show.
    assert answer.headers["content-type"] == "application/octet-stream"
    assert answer.headers["content-disposition"].startswith("attachment")
    assert answer.headers["x-content-type-options"] == "nosniff"
    sealed = people["owner"].get(f"/api/evidence/{ids['confidential']}/original")
    assert sealed.content == ITEMS["confidential"]["data"]


def test_uploads_go_in_as_a_file_a_photo_or_an_article(api):
    _, people = api
    note = people["editor"].post(
        "/api/evidence",
        files={"file": ("../../etc/notes.txt", b"plain notes", "text/plain")},
        data={"kind": "document", "sensitivity": "restricted", "title": "Notes"},
    )
    assert note.status_code == 201, note.text
    (number,) = note.json()["item_ids"]
    item = people["editor"].get(f"/api/evidence/{number}").json()
    assert (item["original_filename"], item["sensitivity"]) == ("notes.txt", "restricted")
    assert item["custody"][0]["collector"] == "the-editor"
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "PNG")
    photo = people["editor"].post(
        "/api/evidence", files={"file": ("wall.png", picture.getvalue(), "image/png")}
    )
    assert photo.status_code == 201, photo.text
    assert (photo.json()["via"], photo.json()["added"]) == ("media", 1)
    article = people["editor"].post(
        "/api/evidence",
        files={"file": ("story.html", b"<html><body><h1>Shelling</h1><p>The hospital was "
                        b"hit on 3 March 2024.</p></body></html>", "text/html")},
    )  # fmt: skip
    assert article.status_code == 201, article.text
    assert article.json()["via"] == "article"
    empty = people["editor"].post("/api/evidence", files={"file": ("e.txt", b"", "text/plain")})
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    assert (
        people["viewer"]
        .post("/api/evidence", files={"file": ("v.txt", b"x", "text/plain")})
        .status_code
        == 403
    )


def test_a_review_step_awaits_a_second_persons_sign_off(api, web_server):
    ids, people = api
    flow = DEFAULT_WORKFLOW.to_dict() | {"sign_off": ["in_review"]}
    verification.set_workflow(web_server.case, Workflow.from_dict(flow))
    url = f"/api/evidence/{ids['public']}"
    step = people["reviewer"].post(f"{url}/review", json={"status": "in_review"})
    assert step.status_code == 200, step.text
    assert step.json()["state"] == "awaiting_sign_off"
    queue = people["viewer"].get("/api/reviews").json()
    assert [s["evidence_id"] for s in queue["awaiting_sign_off"]] == [ids["public"]]
    same = people["reviewer"].post(f"{url}/sign-off", json={})
    assert same.status_code == 422 and same.json()["field"] == "actor"
    signed = people["owner"].post(f"{url}/sign-off", json={"note": "checked"})
    assert signed.status_code == 200 and signed.json()["signed_off_by"] == "the-owner"
    assert people["viewer"].get(url).json()["verification_status"] == "in_review"
    assert people["reviewer"].post(f"{url}/withdraw", json={}).status_code == 404
    bad = people["reviewer"].post(f"{url}/review", json={"status": "verified"})
    assert bad.status_code == 422


# Incidents and proposals.


def test_an_incident_shows_links_to_hidden_items_as_withheld(api):
    ids, people = api
    viewer = people["viewer"].get(f"/api/incidents/{ids['incident']}")
    links = viewer.json()["links"]
    assert links[0]["evidence_id"] == ids["public"]
    assert links[1]["evidence"] == {"id": ids["restricted"], "withheld": True,
                                    "sensitivity": "restricted"}  # fmt: skip
    assert b"restricted rationale" not in viewer.content
    owner = people["owner"].get(f"/api/incidents/{ids['incident']}").json()
    assert [link.get("title") for link in owner["links"]] == [
        ITEMS[level]["title"] for level in ("public", "restricted", "confidential")
    ]


def test_incidents_are_added_and_linked(api):
    ids, people = api
    added = people["editor"].post(
        "/api/incidents",
        json={"site_id": ids["site"], "window_start": "2024-05-01", "type": "shelling"},
    )
    assert added.status_code == 201, added.text
    number = added.json()["id"]
    link = people["editor"].post(
        f"/api/incidents/{number}/links",
        json={"evidence_id": ids["public"], "role": "supports", "rationale": "same day"},
    )
    assert link.status_code == 201
    assert (
        people["editor"]
        .post(
            f"/api/incidents/{number}/links",
            json={"evidence_id": ids["confidential"], "rationale": "x"},
        )
        .status_code
        == 404
    )  # an editor may not see it: as if it did not exist
    bad = people["editor"].post(
        "/api/incidents", json={"site_id": ids["site"], "window_start": "soon"}
    )
    assert bad.status_code == 422 and bad.json()["field"] == "window_start"
    listed = people["viewer"].get("/api/incidents", params={"site": ids["site"]}).json()
    assert [incident["id"] for incident in listed] == [ids["incident"], number]


def test_link_proposals_run_and_refuse_a_missing_one(api):
    _, people = api
    run = people["editor"].post("/api/proposals", json={})
    assert run.status_code == 200 and set(run.json()) >= {"created", "proposals"}
    assert people["editor"].get("/api/proposals").status_code == 200
    assert (
        people["editor"].post("/api/proposals/77/reject", json={"reason": "no"}).status_code == 404
    )
    assert people["viewer"].get("/api/proposals").status_code == 403


# Claims, the queue, counts, the assessment and the report.


def test_claims_hide_what_appeared_only_in_hidden_items_and_mask_reasons(api):
    ids, people = api
    board = people["viewer"].get("/api/claims")
    assert [claim["id"] for claim in board.json()] == [ids["claim"]]
    assert RESTRICTED_QUOTE.encode() not in board.content
    assert people["viewer"].get(f"/api/claims/{ids['hidden_claim']}").status_code == 404
    shown = people["viewer"].get(f"/api/claims/{ids['claim']}").json()
    assert shown["reasons"] == [f"see item a restricted item and #{ids['public']}"]
    assert "verdict_chain" not in shown
    editor = people["editor"].get(f"/api/claims/{ids['claim']}").json()
    assert editor["reasons"] == [f"see item #{ids['restricted']} and #{ids['public']}"]


def test_a_claim_is_recorded_defined_and_given_a_verdict(api):
    ids, people = api
    added = people["editor"].post(
        "/api/claims",
        json={"speaker": "Army", "stated": "2024-06-01", "quote": "We hit nothing",
              "proposition": "no strike", "evidence_id": ids["public"]},
    )  # fmt: skip
    assert added.status_code == 201, added.text
    number = added.json()["id"]
    defined = people["editor"].post(
        f"/api/claims/{number}/define",
        json={"proposition_kind": "other", "proposition": "no strike on the hospital"},
    )
    assert defined.status_code == 200 and defined.json()["proposition"].startswith("no strike")
    judged = people["editor"].post(
        f"/api/claims/{number}/verdict", json={"verdict": "contradicted", "reasons": "photos"}
    )
    assert judged.json()["verdict"] == "contradicted"
    no_reasons = people["editor"].post(
        f"/api/claims/{number}/verdict", json={"verdict": "supported"}
    )
    assert no_reasons.status_code == 422 and no_reasons.json()["field"] == "reasons"


def test_the_claimreview_export_is_public_for_a_viewer(api):
    _, people = api
    answer = people["viewer"].get("/api/export/claimreview")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/ld+json")
    # For publication: both claims appeared only in items a public output withholds (the
    # restricted one, and the public one, whose source is a witness).
    assert answer.json()["@graph"] == []
    assert RESTRICTED_QUOTE.encode() not in answer.content
    full = people["owner"].get("/api/export/claimreview").json()["@graph"]
    assert len(full) == 2


def test_stats_assess_and_report(api):
    ids, people = api
    counted = people["viewer"].get("/api/stats", params={"by": "site"})
    assert counted.status_code == 200
    assert counted.json()["groups"][0]["count"] == 1
    bad = people["viewer"].get("/api/stats", params={"since": "yesterday-ish"})
    assert bad.status_code == 422
    assessed = people["editor"].post("/api/assess")
    assert assessed.status_code == 200 and assessed.json()["checked"]["incidents"] == 1
    report = people["viewer"].get("/api/report")
    assert report.status_code == 200 and report.content.startswith(b"<!DOCTYPE html>")
    assert report.headers["content-disposition"].startswith("attachment")
    assert ITEMS["restricted"]["title"].encode() not in report.content
    asked = people["viewer"].get("/api/report", params={"include_restricted": "true"})
    assert asked.status_code == 403
