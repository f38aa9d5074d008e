"""The workbench's pages over a real server (SQLite and PostgreSQL): each renders for a role
allowed it and is refused, or hides items, for one that is not; a restricted item's title
never reaches a viewer; hostile evidence is shown escaped; and the flows Playwright drives
(upload an article, review its post, sign off, link to an incident) work through the forms
with their CSRF tokens."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image
from web_server import serving, web_server_fixture  # noqa: F401

from siteline.domain.entities import Claim, Custody, EvidenceItem, EvidenceLink, Incident, Site
from siteline.domain.values import FuzzyTime
from siteline.services import claims, evidence, incidents, sites
from siteline.web import pages
from siteline.web.security import CSRF_HEADER

PUBLIC_TITLE = "PUBLIC-TITLE-q17 clinic after the strike"
RESTRICTED_TITLE = "RESTRICTED-TITLE-z93 names a nurse"
HOSTILE_TITLE = '<script>alert("t")</script> hostile'
HOSTILE_TEXT = '<img src=x onerror="alert(1)"> seen from the roof'
HOSTILE_URL = "javascript:alert(document.cookie)"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
ARTICLE = """Vessarin clinic hit again, medics say

Medics at the Old Quarter clinic said on Monday that a second strike hit the building.
The Karand defence office denied it, saying that \u201cno aircraft flew over the Old Quarter\u201d.

Second strike on the clinic in the Old Quarter. pic.twitter.com/Ab12Cd34Ef
\u2014 Old Quarter Watch (@OldQuarterWatch) March 14, 2019
"""


def _add(case, title, level="public", **fields) -> int:
    item = EvidenceItem(
        kind=fields.pop("kind", "document"),
        title=title,
        text=fields.pop("text", f"{title} seen at the clinic"),
        sensitivity=level,
        **fields,
    )
    return evidence.add_evidence(case, item, Custody(method="test"))["id"]


@pytest.fixture
def made(web_server) -> dict:
    case = web_server.case
    site = sites.add_site(case, Site("Vessarin Clinic", lat=14.05, lon=-33.2))["id"]
    ids = {"site": site}
    ids["public"] = _add(case, PUBLIC_TITLE, site_id=site)
    ids["restricted"] = _add(case, RESTRICTED_TITLE, "restricted", site_id=site)
    ids["incident"] = incidents.add_incident(
        case, Incident(site, FuzzyTime.parse("2019-03-14", "w"), type="airstrike", title="Strike")
    )["id"]
    for level in ("public", "restricted"):
        incidents.link_evidence(case, EvidenceLink(ids["incident"], ids[level], "supports", "seen"))
    ids["claim"] = claims.add_claim(
        case,
        Claim(
            speaker="Defence office",
            stated=FuzzyTime.parse("2019-03-15", "s"),
            quote="nothing happened there",
            evidence_id=ids["public"],
            proposition_kind="other",
            proposition="no strike took place",
        ),
    )["id"]
    return ids


def _page_client(web_server, name: str, role: str):
    """A client signed in through the form, as a browser is: no CSRF header of its own."""
    client = web_server.signed_in(name, role)
    del client.headers[CSRF_HEADER]  # forms carry the token in a field, from the page
    return client


def _csrf(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_each_page_renders_for_a_viewer_and_forms_pages_are_refused(web_server, made):
    viewer = web_server.signed_in("vera", "viewer")
    for path in (
        "/",
        "/sites",
        f"/sites/{made['site']}",
        "/evidence",
        f"/evidence/{made['public']}",
        "/incidents",
        f"/incidents/{made['incident']}",
        "/claims",
        "/proposals",
        "/exports",
    ):
        answer = viewer.get(path)
        assert answer.status_code == 200, (path, answer.text)
        assert "text/html" in answer.headers["content-type"]
    for path in ("/upload", "/reviews"):
        assert viewer.get(path).status_code == 403
    editor = web_server.signed_in("erin", "editor")
    assert editor.get("/upload").status_code == 200
    assert editor.get("/reviews").status_code == 200
    assert web_server.client().get("/evidence").status_code == 303  # to the sign-in page


def test_a_viewer_never_sees_a_restricted_title(web_server, made):
    viewer = web_server.signed_in("vera", "viewer")
    pages_seen = [
        viewer.get(path).text
        for path in (
            "/",
            "/evidence",
            "/evidence?q=nurse",
            "/evidence?q=RESTRICTED",
            f"/sites/{made['site']}",
            f"/incidents/{made['incident']}",
            "/claims",
        )
    ]
    assert PUBLIC_TITLE in pages_seen[1]
    for page in pages_seen:
        assert RESTRICTED_TITLE not in page
        assert "RESTRICTED-TITLE" not in page
    assert "withheld" in pages_seen[5]  # the incident says an item is withheld
    assert viewer.get(f"/evidence/{made['restricted']}").status_code == 404
    assert viewer.get(f"/evidence/{made['restricted']}/original").status_code == 404
    editor = web_server.signed_in("erin", "editor")
    assert RESTRICTED_TITLE in editor.get(f"/evidence/{made['restricted']}").text
    assert RESTRICTED_TITLE in editor.get(f"/incidents/{made['incident']}").text


def test_the_dashboard_counts_only_what_the_role_may_see(web_server, made):
    viewer = web_server.signed_in("vera", "viewer").get("/").text
    manager = web_server.signed_in("mona", "manager").get("/").text
    count = re.compile(r'id="count-evidence"><td>evidence</td><td class="number">(\d+)<')
    assert count.search(viewer).group(1) == "1"
    assert count.search(manager).group(1) == "2"
    assert 'id="count-account"' not in viewer and 'id="count-account"' in manager


def test_hostile_evidence_is_escaped_and_never_runs(web_server, made):
    case = web_server.case
    hostile = _add(case, HOSTILE_TITLE, text=HOSTILE_TEXT, source_url=HOSTILE_URL)
    svg = _add(
        case,
        "an svg",
        kind="photo",
        data=SVG,
        media_type="image/svg+xml",
        original_filename="x.svg",
    )
    viewer = web_server.signed_in("vera", "viewer")
    for page in (viewer.get(f"/evidence/{hostile}").text, viewer.get("/evidence").text):
        assert "<script>alert" not in page
        assert "&lt;script&gt;" in page
        assert "<img src=x" not in page
    page = viewer.get(f"/evidence/{hostile}").text
    assert "&lt;img src=x onerror=" in page
    assert 'href="javascript:' not in page
    assert HOSTILE_URL in page  # shown as text
    shown = viewer.get(f"/evidence/{svg}").text
    assert f"/evidence/{svg}/original?inline=1" not in shown  # never inline
    original = viewer.get(f"/evidence/{svg}/original?inline=1")
    assert original.status_code == 200 and original.content == SVG
    assert original.headers["content-type"] == "application/octet-stream"
    assert original.headers["content-disposition"].startswith("attachment")


def test_urls_from_evidence_link_only_when_http(web_server, made):
    safe = _add(web_server.case, "linked", source_url="https://example.org/a?b=1")
    page = web_server.signed_in("vera", "viewer").get(f"/evidence/{safe}").text
    assert 'href="https://example.org/a?b=1"' in page
    assert 'rel="noopener noreferrer nofollow"' in page


def test_upload_review_and_sign_off_through_the_forms(web_server, made):
    editor = _page_client(web_server, "erin", "editor")
    token = _csrf(editor.get("/upload").text)
    article = ("clinic.txt", ARTICLE.encode(), "text/plain")
    refused = editor.post("/upload/article", files={"file": article})
    assert refused.status_code == 403  # no CSRF token
    answer = editor.post(
        "/upload/article",
        data={"csrf_token": token, "article_date": "2019-03-15"},
        files={"file": article},
    )
    assert answer.status_code == 303, answer.text
    article_page = editor.get(answer.headers["location"]).text
    assert "Extracted posts" in article_page and "no aircraft flew" in article_page
    post = int(re.search(r'id="extracted-(\d+)"', article_page).group(1))
    steps = [
        {"to_status": "in_review"},
        {
            "to_status": "geolocated",
            "geolocation_method": "roofline",
            "geolocation_precision": "exact",
            "geolocation_location": "14.05,-33.2",
        },
        {"to_status": "chronolocated", "chronolocation_method": "shadows"},
        {"to_status": "verified", "source_assessment_grade": "B2"},
    ]
    for step in steps:
        answer = editor.post(f"/reviews/{post}/step", data={"csrf_token": token, **step})
        assert answer.status_code == 303, answer.text
    page = editor.get(f"/evidence/{post}").text
    assert 'id="pending-step"' in page and "chronolocated" in page
    refused = editor.post(f"/reviews/{post}/sign-off", data={"csrf_token": token})
    assert refused.status_code == 403  # an editor may not sign off
    reviewer = _page_client(web_server, "rita", "reviewer")
    queue = reviewer.get("/reviews").text
    assert f'id="pending-{post}"' in queue
    answer = reviewer.post(
        f"/reviews/{post}/sign-off", data={"csrf_token": _csrf(queue), "note": "agreed"}
    )
    assert answer.status_code == 303, answer.text
    assert evidence.get_evidence(web_server.case, post)["verification_status"] == "verified"
    history = evidence.show_evidence(web_server.case, post)["history"]
    assert {"erin", "rita"} <= {entry["actor"] for entry in history}


def test_a_bad_step_is_refused_with_its_reason(web_server, made):
    editor = _page_client(web_server, "erin", "editor")
    token = _csrf(editor.get("/upload").text)
    answer = editor.post(
        f"/reviews/{made['public']}/step", data={"csrf_token": token, "to_status": "verified"}
    )
    assert answer.status_code == 422
    assert "verified" in answer.text


def test_linking_evidence_shows_on_the_incident_and_site_timeline(web_server, made):
    new = _add(web_server.case, "PHOTO-TITLE-k21 the east wing", site_id=made["site"])
    editor = _page_client(web_server, "erin", "editor")
    token = _csrf(editor.get(f"/evidence/{new}").text)
    answer = editor.post(
        f"/evidence/{new}/links",
        data={
            "csrf_token": token,
            "incident_id": str(made["incident"]),
            "role": "supports",
            "rationale": "same wing",
        },
    )
    assert answer.status_code == 303, answer.text
    assert "PHOTO-TITLE-k21" in editor.get(f"/incidents/{made['incident']}").text
    timeline = editor.get(f"/sites/{made['site']}").text
    assert f'id="timeline-incident-{made["incident"]}"' in timeline
    assert "PHOTO-TITLE-k21" in timeline
    again = editor.post(
        f"/incidents/{made['incident']}/links",
        data={"csrf_token": token, "evidence_id": str(new), "role": "supports", "rationale": "x"},
    )
    assert again.status_code == 409  # linked already
    viewer = _page_client(web_server, "vera", "viewer")
    refused = viewer.post(
        f"/evidence/{made['public']}/links",
        data={"csrf_token": token, "incident_id": "1", "role": "supports", "rationale": "x"},
    )
    assert refused.status_code == 403


def test_a_claims_verdict_changes_on_the_board(web_server, made):
    editor = _page_client(web_server, "erin", "editor")
    board = editor.get("/claims").text
    assert f'id="verdict-{made["claim"]}">unresolved<' in board
    answer = editor.post(
        f"/claims/{made['claim']}/verdict",
        data={
            "csrf_token": _csrf(board),
            "verdict": "contradicted",
            "reasons": f"the photos, and item #{made['restricted']}",
        },
    )
    assert answer.status_code == 303, answer.text
    board = editor.get("/claims").text
    assert f'id="verdict-{made["claim"]}">contradicted<' in board
    viewer = web_server.signed_in("vera", "viewer").get("/claims").text
    assert "contradicted" in viewer and RESTRICTED_TITLE not in viewer
    assert "a restricted item" in viewer and f"#{made['restricted']}" not in viewer
    assert f"item #{made['restricted']}" in board  # an editor sees the number


def test_the_map_works_without_leaflet(web_server, made, tmp_path, monkeypatch):
    monkeypatch.setattr(pages, "VENDOR", tmp_path / "no-vendor")
    page = web_server.signed_in("vera", "viewer").get("/sites").text
    assert 'id="map-missing"' in page
    assert "leaflet.js" not in page
    assert 'data-lat="14.05"' in page and "Vessarin Clinic" in page


@pytest.mark.skipif(not pages.leaflet_present(), reason="Leaflet not installed (needs npm)")
def test_the_map_loads_leaflet_from_the_package(web_server, made):
    viewer = web_server.signed_in("vera", "viewer")
    page = viewer.get("/sites").text
    assert '<script src="/static/vendor/leaflet/leaflet.js"' in page
    assert '<script src="/static/map.js"' in page and 'id="map"' in page
    script = viewer.get("/static/vendor/leaflet/leaflet.js")
    assert script.status_code == 200 and "Leaflet" in script.text[:2000]
    assert viewer.get("/static/map.js").status_code == 200


def test_the_tile_source_is_the_servers(case):
    with serving(case, tile_url="https://tiles.example.org/{z}/{x}/{y}.png") as server:
        sites.add_site(case, Site("Clinic", lat=1.0, lon=2.0))
        client = server.signed_in("vera", "viewer")
        page = client.get("/sites").text
        if pages.leaflet_present():
            assert 'data-tile-url="https://tiles.example.org/{z}/{x}/{y}.png"' in page
        policy = client.get("/sites").headers["content-security-policy"]
        assert "https://tiles.example.org" in policy


def test_graphic_media_is_blurred_until_clicked(web_server, made):
    png = bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000154a24f0d0000000049454e44ae426082"
    )
    graphic = _add(
        web_server.case, "graphic", kind="photo", data=png, media_type="image/png", graphic=True
    )
    page = web_server.signed_in("vera", "viewer").get(f"/evidence/{graphic}").text
    assert 'class="original graphic"' in page
    assert f'id="reveal-{graphic}"' in page  # the checkbox that unblurs it
    assert f"/evidence/{graphic}/original?inline=1" in page
    inline = web_server.signed_in("vic", "viewer").get(f"/evidence/{graphic}/original?inline=1")
    assert inline.headers["content-type"] == "image/png"


def test_exports_are_public_for_a_viewer(web_server, made):
    viewer = _page_client(web_server, "vera", "viewer")
    token = _csrf(viewer.get("/exports").text)
    report = viewer.post("/exports/report", data={"csrf_token": token})
    assert report.status_code == 200 and RESTRICTED_TITLE not in report.text
    refused = viewer.post("/exports/report", data={"csrf_token": token, "include_restricted": "1"})
    assert refused.status_code == 403
    claimreview = viewer.post("/exports/claimreview", data={"csrf_token": token, "full": "1"})
    assert claimreview.status_code == 200 and RESTRICTED_TITLE not in claimreview.text


def test_forms_with_a_header_token_work_too(web_server, made):
    editor = web_server.signed_in("erin", "editor")
    assert CSRF_HEADER in editor.headers
    answer = editor.post(f"/reviews/{made['public']}/step", data={"to_status": "in_review"})
    assert answer.status_code == 303


def test_the_site_page_shows_before_and_after_with_the_change_overlay(web_server, made):
    from siteline.domain.entities import Source
    from siteline.services import demo_imagery, sources

    case = web_server.case
    site = sites.find_site(case, made["site"])
    source = sources.add_source(case, Source("Imagery", kind="imagery_provider", reliability="B"))
    done = demo_imagery.add_and_compare(case, site, source["id"])
    analysis = done["analysis"]["change_analysis"]
    viewer = web_server.signed_in("vera", "viewer")
    page = viewer.get(f"/sites/{made['site']}").text
    base = f"/sites/{made['site']}/analyses/{analysis}"
    assert f'id="analysis-{analysis}"' in page and f"{base}/overlay.png" in page
    for scene in done["scenes"].values():
        picture = viewer.get(f"{base}/scenes/{scene}.png")
        assert picture.status_code == 200 and picture.content.startswith(b"\x89PNG")
    overlay = viewer.get(f"{base}/overlay.png")
    assert overlay.status_code == 200 and overlay.content.startswith(b"\x89PNG")
    with Image.open(io.BytesIO(overlay.content)) as picture:
        assert picture.mode == "RGBA" and picture.getchannel("A").getextrema()[1] > 0  # the crater
    assert viewer.get(f"{base}/scenes/{made['public']}.png").status_code == 404
