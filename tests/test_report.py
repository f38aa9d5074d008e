"""The case report, on a real case built through the services: its sections, what it
withholds and shows when asked, hostile text, nothing loaded from outside, byte-for-byte
repeatability, the PDF, and the `report` command."""

from __future__ import annotations

import base64
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from siteline.cli import cli
from siteline.domain.entities import (
    Claim,
    Custody,
    DerivedItem,
    EvidenceItem,
    EvidenceLink,
    Incident,
    Site,
    Source,
)
from siteline.domain.values import FuzzyTime, Location
from siteline.errors import InvalidInput, KeyRequired
from siteline.report.pdf import weasyprint_missing
from siteline.services import (
    cases,
    claims,
    demo,
    derived,
    evidence,
    incidents,
    sites,
    sources,
)
from siteline.services.report import build_report
from siteline.store.case_folder import read_head

GENERATED = "2026-01-02T03:04:05Z"
HOSTILE = "<script>alert(1)</script>"
HOSTILE_TEXT = '"><img src=x onerror=alert(3)> and </pre><iframe src="https://evil.example">'
RESTRICTED_TITLE = "Ward photo with patient faces"
RESTRICTED_URL = "https://restricted.example.org/ward-photo"
RESTRICTED_FILE = "ward-faces-unblurred.jpg"
TESTIMONY_TITLE = "Testimony of nurse FALCON"
TESTIMONY_TEXT = "The second blast hit the pharmacy at twenty past two."
WITNESS_NAME = "Witness FALCON"
WITNESS_IDENTITY = "Amal Haddad, night nurse, phone 0999 123 456"
WITNESS_ITEM_TITLE = "Sketch of the ward drawn by the witness"
CONTAINER_TITLE = "Leaked casualty list of the ministry"
INNER_TITLE = "Casualty row seven of the leaked list"
INNER_TEXT = "row 7: Sami, 34, pharmacist"
RESTRICTED_SCENE_TITLE = "Restricted commercial scene of the ward"
RESTRICTED_CLAIM_QUOTE = "That photograph is staged by actors."
SECRETS = (
    RESTRICTED_TITLE, RESTRICTED_URL, RESTRICTED_FILE, TESTIMONY_TITLE, TESTIMONY_TEXT,
    WITNESS_NAME, WITNESS_ITEM_TITLE, CONTAINER_TITLE, INNER_TITLE, INNER_TEXT,
    RESTRICTED_SCENE_TITLE, RESTRICTED_CLAIM_QUOTE,
)  # fmt: skip
SECTIONS = ("summary", "map", "charts", "timeline", "claims", "analyses", "methodology", "annex")


def t(text: str) -> FuzzyTime:
    return FuzzyTime.parse(text, "test")


def png(shade: int) -> bytes:
    return demo.png(8, 8, lambda x, y: (shade, (x * 30) % 256, (y * 30) % 256))


def add(case, **fields) -> int:
    how = Custody(
        method="saved by the team", collector="analyst one", source_url=fields.get("source_url")
    )
    return evidence.add_evidence(case, EvidenceItem(**fields), how)["id"]


def add_analysis(case, site: dict, before: int, after: int, shade: int) -> int:
    """A change analysis of two scenes as imagery compare stores one: figure and JSON."""
    scenes = [evidence.get_evidence(case, number) for number in (before, after)]
    figure = png(shade)
    summary = [{"evidence_id": item["id"], "sha256": item["blob_sha256"],
                "captured_at": item["captured_at"], "captured_precision": item["captured_precision"]}
               for item in scenes]  # fmt: skip
    analysis = {
        "method": "siteline-change", "method_version": "0.1.0", "operator": "colour-structure",
        "site": {"id": site["id"], "name": site["name"]}, "before": summary[:1], "after": summary[1:],
        "threshold": {"method": "otsu", "value": 23.5}, "shift_px": [-0.5, 0.25],
        "result": {"site_changed_fraction": 0.0486, "ring_changed_fraction": 0.0006,
                   "block_p_value": 0.00625,
                   "objects": [{"lat": 20.5001, "lon": 10.5002, "diameter_m": 13.7, "crater_like": True}]},
        "what_it_shows": "A measured difference between two images; not by itself damage.",
        "change_map_sha256": "ab" * 32, "figure_sha256": evidence.sha256_hex(figure),
    }  # fmt: skip
    common = {"parents": [item["blob_sha256"] for item in scenes], "method": "siteline-change",
              "method_version": "0.1.0", "evidence_id": after}  # fmt: skip
    records = derived.add_derived_items(case, [
        DerivedItem(kind="change_figure", data=figure, media_type="image/png", **common),
        DerivedItem(kind="change_analysis", data=json.dumps(analysis).encode(),
                    media_type="application/json", **common),
    ])  # fmt: skip
    return records[1]["id"]


@pytest.fixture
def investigated(case):
    """A case with an item of every sensitivity, linked to incidents, two claims, and two
    change analyses; returns the case and the numbers of what it holds."""
    north = sites.add_site(case, Site("North Hospital", aliases=["NH"], lat=20.5, lon=10.5))
    hostile_site = sites.add_site(case, Site(f"{HOSTILE} Clinic", kind="clinic", polygon_wkt=(
        "POLYGON ((10.52 20.51, 10.53 20.51, 10.53 20.52, 10.52 20.52, 10.52 20.51))")))  # fmt: skip
    sites.add_site(case, Site("Unplaced Clinic", kind="clinic"))
    outlet = sources.add_source(case, Source("Daily Courier", kind="outlet", reliability="B"))["id"]
    witness = sources.add_source(case, Source(WITNESS_NAME, kind="witness", reliability="C",
                                              identity=WITNESS_IDENTITY))["id"]  # fmt: skip
    provider = sources.add_source(
        case, Source("Sky Imaging", kind="imagery_provider", reliability="A")
    )["id"]
    place = Location(20.5, 10.5, "vicinity")
    ids = {
        "article": add(case, kind="article", title="Hospital struck at night", text="Three killed.",
                       source_id=outlet, credibility=2, published=t("2016-07-03"),
                       source_url="https://courier.example.org/strike", claimed_location=place),
        "hostile": add(case, kind="social_post", title=HOSTILE, text=HOSTILE_TEXT,
                       source_url="javascript:alert(4)", published=t("2016-07-03T02:31Z")),
        "restricted": add(case, kind="photo", title=RESTRICTED_TITLE, data=b"\xff\xd8 faces",
                          original_filename=RESTRICTED_FILE, source_url=RESTRICTED_URL,
                          sensitivity="restricted", claimed_location=place),
        "testimony": add(case, kind="testimony", title=TESTIMONY_TITLE, text=TESTIMONY_TEXT,
                         source_id=witness),
        "witness_item": add(case, kind="document", title=WITNESS_ITEM_TITLE, text="a sketch",
                            source_id=witness),
        "container": add(case, kind="document", title=CONTAINER_TITLE, data=b"name,age\n",
                         sensitivity="restricted"),
        "graphic": add(case, kind="photo", title="Wounded in the corridor", data=b"\xff\xd8 graphic",
                       graphic=True),
        "before": add(case, kind="satellite_scene", title="Scene before", data=png(10),
                      source_id=provider, captured=t("2016-07-01T10:00:00Z"), credibility=2),
        "after": add(case, kind="satellite_scene", title="Scene after", data=png(20),
                     source_id=provider, captured=t("2016-07-05T10:00:00Z"), credibility=2),
        "restricted_scene": add(case, kind="satellite_scene", title=RESTRICTED_SCENE_TITLE,
                                data=png(30), sensitivity="restricted", captured=t("2016-07-06")),
    }  # fmt: skip
    ids["inner"] = add(case, kind="dataset_row", title=INNER_TITLE, text=INNER_TEXT,
                       within_id=ids["container"])  # fmt: skip
    first = incidents.add_incident(case, Incident(
        north["id"], t("2016-07-03T02:15Z"), t("2016-07-03T02:40Z"), type="airstrike",
        title="Strike on the north wing", weapon="air-dropped bombs", killed=3, injured=11,
        damage_class="severe", certainty="confirmed", description=f"Described as {HOSTILE}"),
    )["id"]  # fmt: skip
    second = incidents.add_incident(case, Incident(
        hostile_site["id"], t("2016-08"), type="shelling", certainty="possible"))["id"]  # fmt: skip
    rationales = {
        "article": "Staff accounts, next day.",
        "hostile": f"A post that says {HOSTILE}",
        "restricted": f"The {RESTRICTED_TITLE} shows the ward.",
        "testimony": "A nurse inside describes both blasts.",
        "witness_item": "The witness drew where the blasts hit.",
        "inner": "The list names the dead.",
        "graphic": "Shows the wounded.",
        "after": "The crater is visible.",
    }
    ids["deleted"] = add(case, kind="social_post", title="Mistaken post about another town",
                         text="another town")  # fmt: skip
    rationales["deleted"] = "Linked by mistake."
    for key, rationale in rationales.items():
        incidents.link_evidence(case, EvidenceLink(first, ids[key], "supports", rationale))
    evidence.delete_evidence(case, ids["deleted"], "about another town")
    analysis = add_analysis(case, north, ids["before"], ids["after"], 90)
    hidden_analysis = add_analysis(case, north, ids["before"], ids["restricted_scene"], 120)
    claim = claims.add_claim(case, Claim(
        speaker="Defence spokesperson", stated=t("2016-07-10"), quote=f"No change at the hospital {HOSTILE}",
        proposition_kind="no_change", site_id=north["id"], period_start=t("2016-07-01"),
        period_end=t("2016-07-05")))["id"]  # fmt: skip
    judged = claims.add_claim(case, Claim(
        speaker="Hospital director", stated=t("2016-07-12"), quote="We were on the deconfliction list.",
        proposition="the hospital's coordinates were shared"))["id"]  # fmt: skip
    claims.set_verdict(case, judged, "supported", "The list itself is item #1.\nIts date is known.")
    hidden_claim = claims.add_claim(case, Claim(
        speaker="Ministry", stated=t("2016-07-11"), quote=RESTRICTED_CLAIM_QUOTE,
        evidence_id=ids["restricted"], proposition="the photo is staged"))["id"]  # fmt: skip
    # Findings as an assessment stores them, written last: a later change to the evidence
    # would compute them again.
    store_computed_verdict(case, claim, ids, first, analysis)
    with case.write() as transaction:
        transaction.update("incident", first, {"certainty": "confirmed",
            "certainty_rule": "who-ssa.confirmed.two-independent",
            "certainty_reasons": json.dumps([f"item #{ids['article']} and item #{ids['after']} agree",
                                             f"the {RESTRICTED_TITLE} places it"])})  # fmt: skip
    ids.update(incident=first, second=second, claim=claim, judged=judged, hidden_claim=hidden_claim,
               analysis=analysis, hidden_analysis=hidden_analysis)  # fmt: skip
    return case, ids


def store_computed_verdict(case, claim: int, ids: dict, incident: int, analysis: int) -> None:
    """A computed verdict as the assessment stores one: the rule, the reasons as templates,
    the mentions and the chain's elements (see analysis/verdict_basis.py). The stored
    words name every item, the withheld one too: the report must not print them."""
    scene = {"before": ids["before"], "after": ids["after"]}
    mentions = {
        f"d{analysis}": {"text": f"the change analysis in derived item #{analysis}",
                         "evidence_ids": [ids["before"], ids["after"]]},
        f"e{ids['restricted']}": {"text": f"#{ids['restricted']} photo {RESTRICTED_TITLE}",
                                  "evidence_ids": [ids["restricted"]]},
    }  # fmt: skip
    reasons = [f"[[d{analysis}]] shows change (4.9 % of the site against 0.1 % of the ring)",
               f"[[e{ids['restricted']}]] shows the damaged ward"]  # fmt: skip
    chain = {
        "verdict": "contradicted", "rule": "V-NC1", "min_certainty": "probable",
        "period": "2016-07-01 to 2016-07-05", "reasons": reasons, "mentions": mentions,
        "elements": [
            {"type": "change_analysis", "id": analysis, "role": "contradicts", "reading": "change",
             "measure": "4.9 % of the site changed", "sha256": "cd" * 32,
             "scenes": [{"evidence_id": number, "period": period} for period, number in scene.items()]},
            {"type": "incident", "id": incident, "role": "contradicts", "window": "2016-07-03",
             "certainty": "confirmed", "damage_class": "severe",
             "items": [{"evidence_id": ids["article"]}, {"evidence_id": ids["restricted"]}]},
        ],
    }  # fmt: skip
    stored_words = "\n".join(
        reason.replace(f"[[e{ids['restricted']}]]", RESTRICTED_TITLE) for reason in reasons
    )
    with case.write() as transaction:
        transaction.update("claim", claim, {
            "verdict": "contradicted", "verdict_rule": "V-NC1: a change analysis shows change → contradicted",
            "verdict_chain": json.dumps(chain), "verdict_by": "computed", "verdict_reasons": stored_words})  # fmt: skip


def build(case, tmp_path: Path, name: str = "report.html", **options) -> str:
    options.setdefault("generated_at", GENERATED)
    build_report(case, tmp_path / name, **options)
    return (tmp_path / name).read_text(encoding="utf-8")


class Checked(HTMLParser):
    """Parses the report, checking that every element it opens it closes, in order."""

    VOID = {"meta", "br", "img", "hr", "input", "link", "col", "area", "base", "wbr", "source"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.open: list[str] = []
        self.tags: list[tuple[str, dict]] = []
        self.ids: set[str] = set()
        self.feed(text)
        self.close()
        assert self.open == [], f"elements left open: {self.open}"

    def handle_starttag(self, tag, attrs):
        self._record(tag, attrs)
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self._record(tag, attrs)

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes {self.open[-1:]}"
        self.open.pop()

    def _record(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if "id" in attributes:
            self.ids.add(attributes["id"])


def decoded_images(html: str) -> str:
    """The text of every SVG image embedded as a data: URI."""
    found = re.findall(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)", html)
    return "".join(base64.b64decode(data).decode() for data in found)


def test_the_report_has_every_section_and_parses(investigated, tmp_path):
    case, ids = investigated
    page = Checked(build(case, tmp_path))
    assert set(SECTIONS) <= page.ids
    for anchor in (f"incident-{ids['incident']}", f"claim-{ids['claim']}",
                   f"analysis-{ids['analysis']}", f"item-{ids['article']}", "generated-at"):  # fmt: skip
        assert anchor in page.ids
    assert [tag for tag, _ in page.tags].count("svg") == 1  # the map, drawn inline


def test_the_report_tells_the_story_with_grades_rules_and_chains(investigated, tmp_path):
    case, ids = investigated
    html = build(case, tmp_path)
    assert "2016-07-03T02:15Z (minute) to 2016-07-03T02:40Z (minute)" in html
    assert "who-ssa.confirmed.two-independent" in html
    assert f"item #{ids['article']} and item #{ids['after']} agree" in html
    assert "the [withheld] places it" in html  # a reason quoting a withheld title, scrubbed
    assert "B2</abbr>" in html  # the article: source B, credibility 2
    assert "V-NC1: a change analysis shows change → contradicted" in html and "(computed)" in html
    assert f"the change analysis in derived item #{ids['analysis']} shows change" in html
    assert "a restricted item shows the damaged ward" in html  # a reason naming a withheld item
    assert (
        f'href="#analysis-{ids["analysis"]}"' in html
        and f'href="#incident-{ids["incident"]}"' in html
    )
    assert "The list itself is item #1.</li><li>Its date is known." in html  # a person's reasons
    assert "4.86 %" in html and "0.00625" in html and "crater-like" in html
    figure = re.search(
        rf'id="analysis-{ids["analysis"]}".*?src="data:image/png;base64,([^"]+)"', html, re.S
    )
    assert base64.b64decode(figure.group(1)) == png(90)
    assert f"[change analysis #{ids['hidden_analysis']} withheld" in html
    assert "saved by the team" in html and "analyst one" in html  # custody
    assert evidence.get_evidence(case, ids["article"])["blob_sha256"] in html
    assert "2016-08 (month)" in html  # the second incident's window, to its precision
    assert f"[item #{ids['deleted']} is not in the case: deleted]" in html
    assert "Mistaken post about another town" not in html


def test_nothing_restricted_confidential_or_from_a_witness_leaks_by_default(investigated, tmp_path):
    case, ids = investigated
    html = build(case, tmp_path)
    everything = html + decoded_images(html)
    for secret in (*SECRETS, WITNESS_IDENTITY, "0999 123 456"):
        assert secret not in everything, secret
    for key, level in (("restricted", "restricted"), ("testimony", "confidential"),
                       ("witness_item", "confidential"), ("inner", "restricted")):  # fmt: skip
        assert f"[{level} item #{ids[key]} withheld]" in html
    # The project's choice (docs/bundles.md): a withheld original keeps its SHA-256.
    assert evidence.get_evidence(case, ids["restricted"])["blob_sha256"] in html
    assert f"[claim #{ids['hidden_claim']} withheld" in html
    assert "Wounded in the corridor" in html  # a graphic item is named, never pictured


def test_restricted_and_confidential_items_show_only_when_asked(investigated, tmp_path):
    case, ids = investigated
    restricted = build(case, tmp_path, "restricted.html", include_restricted=True)
    for shown in (
        RESTRICTED_TITLE,
        RESTRICTED_URL,
        CONTAINER_TITLE,
        INNER_TEXT,
        RESTRICTED_CLAIM_QUOTE,
    ):
        assert shown in restricted
    for hidden in (TESTIMONY_TITLE, TESTIMONY_TEXT, WITNESS_ITEM_TITLE, WITNESS_NAME):
        assert hidden not in restricted
    assert "This edition includes restricted material" in restricted
    everything = build(
        case, tmp_path, "all.html", include_restricted=True, include_confidential=True
    )
    for shown in (TESTIMONY_TITLE, TESTIMONY_TEXT, WITNESS_ITEM_TITLE, WITNESS_NAME):
        assert shown in everything
    assert WITNESS_IDENTITY not in everything  # a sealed identity is never opened for a report
    assert not re.search(r"item #\d+ withheld\]", everything)


def test_confidential_material_without_the_key_is_refused_and_nothing_is_written(
    investigated, tmp_path
):
    case, _ = investigated
    case.close()
    keyless = cases.open_case(case.folder)
    try:
        with pytest.raises(KeyRequired, match="needs the case key"):
            build_report(keyless, tmp_path / "r.html", include_confidential=True)
        assert not (tmp_path / "r.html").exists()
        public = build(keyless, tmp_path)  # the public edition needs no key
        assert "[confidential item #" in public
    finally:
        keyless.close()


def test_hostile_text_is_escaped_never_markup(investigated, tmp_path):
    case, _ = investigated
    html = build(case, tmp_path, include_restricted=True, include_confidential=True)
    page = Checked(html)
    assert "script" not in {tag for tag, _ in page.tags}
    assert "iframe" not in {tag for tag, _ in page.tags}
    assert not any(name.startswith("on") for _, attributes in page.tags for name in attributes)
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(3)&gt;" in html
    assert 'href="javascript:' not in html


def test_the_report_loads_nothing_from_outside(investigated, tmp_path):
    case, _ = investigated
    html = build(case, tmp_path, include_restricted=True, include_confidential=True)
    page = Checked(html)
    for tag, attributes in page.tags:
        assert tag not in ("link", "script", "iframe", "object", "embed", "base")
        for name in ("src", "href", "xlink:href", "poster", "srcset"):
            value = attributes.get(name)
            assert value is None or value.startswith(("#", "data:")), (tag, name, value)
    assert not re.search(r"url\((?!['\"]?data:)", html)
    assert "@import" not in html
    assert not re.search(r"""(?:href|src)=["'](?:https?:)?//""", decoded_images(html))


def test_the_same_case_gives_the_same_report_byte_for_byte(investigated, tmp_path):
    case, _ = investigated
    head = read_head(case.folder)
    first = (tmp_path / "one.html", tmp_path / "two.html", tmp_path / "three.html")
    build_report(case, first[0], generated_at=GENERATED)
    build_report(case, first[1], generated_at=GENERATED)
    build_report(case, first[2], generated_at="2027-05-06T07:08:09Z")
    one, two, three = (path.read_bytes() for path in first)
    assert one == two
    assert one != three
    assert three.count(b"2027-05-06T07:08:09Z") == 1  # the generation time, stated once
    assert three.replace(b"2027-05-06T07:08:09Z", GENERATED.encode()) == one
    assert read_head(case.folder) == head  # making a report changes nothing in the case


def test_a_bad_generation_time_or_a_folder_as_target_is_refused(investigated, tmp_path):
    case, _ = investigated
    with pytest.raises(InvalidInput, match="generated_at: 'yesterday' is not a time"):
        build_report(case, tmp_path / "r.html", generated_at="yesterday")
    with pytest.raises(InvalidInput, match="is a folder"):
        build_report(case, tmp_path)


def test_the_pdf_renders_the_same_bytes_each_time(investigated, tmp_path):
    problem = weasyprint_missing()
    if problem:
        pytest.skip(problem)
    case, _ = investigated
    build_report(case, tmp_path / "a.pdf", pdf=True, generated_at=GENERATED)
    build_report(case, tmp_path / "b.pdf", pdf=True, generated_at=GENERATED)
    data = (tmp_path / "a.pdf").read_bytes()
    assert data.startswith(b"%PDF-")
    assert data == (tmp_path / "b.pdf").read_bytes()
    assert RESTRICTED_TITLE.encode() not in data


def test_the_demo_case_report_embeds_its_change_figure_and_withholds_what_is_not_public(tmp_path):
    built = demo.build_demo(tmp_path / "demo")
    case = cases.open_case(tmp_path / "demo", key_file=Path(built["key_file"]))
    try:
        html = build(case, tmp_path)
        hidden = [item for item in evidence.list_evidence(case) if item["sensitivity"] != "public"]
        cited = {
            link["evidence_id"]
            for incident in incidents.list_incidents(case)
            for link in incidents.show_incident(case, incident["id"])["links"]
        }
    finally:
        case.close()
    assert hidden and cited
    for item in hidden:
        assert item["title"] not in html
        if item["id"] in cited:
            assert f"[{item['sensitivity']} item #{item['id']} withheld]" in html
    assert demo.TESTIMONY.splitlines()[0] not in html
    assert html.count('src="data:image/png;base64,') == 1  # the change figure
    assert "crater-like" in html and "contradicted" in html


@pytest.fixture
def report_cli(investigated, key_file, tmp_path, monkeypatch):
    case, _ = investigated
    case.close()
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: str, key: bool = False):
        options = ["--key-file", str(key_file)] if key else []
        return runner.invoke(cli, [*options, "report", str(case.folder), *args])

    return invoke


def test_the_report_command_writes_the_report_and_says_what_it_withheld(report_cli, tmp_path):
    result = report_cli("--generated-at", GENERATED)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "report.html").read_text().count(GENERATED) == 1
    assert re.search(r"withheld: \d+ confidential, \d+ restricted", result.output)
    result = report_cli("--out", "all.html", "--include-restricted", "--include-confidential",
                        "--json", key=True)  # fmt: skip
    assert result.exit_code == 0, result.output
    written = json.loads(result.output)
    assert written["withheld"] == {} and written["path"] == "all.html"


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["--include-confidential"], 6, "needs the case key"),
        (["--generated-at", "soon"], 2, "generated_at: 'soon' is not a time"),
        (["--bogus"], 2, "No such option '--bogus'"),
    ],
)
def test_the_report_command_refuses_with_a_clear_status(
    report_cli, tmp_path, args, status, message
):
    result = report_cli(*args)
    assert result.exit_code == status
    assert message in result.output
    assert not (tmp_path / "report.html").exists()


def test_a_report_of_a_folder_that_is_no_case_is_refused(tmp_path):
    result = CliRunner().invoke(cli, ["report", str(tmp_path / "nothing")])
    assert result.exit_code == 5
    assert "not a Siteline case" in result.output
