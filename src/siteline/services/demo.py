"""The demonstration case: a small, wholly fictional investigation built through the services.

Vessarin is an invented city. Its hospitals, sources, witnesses, posts, images and
statements are written for this demo and describe nothing that happened. The coordinates
lie in the open Atlantic on purpose, so that no map can mistake the demo for a real place.

The story: in the night of 14 March 2019 an airstrike hit Vessarin General Hospital. Posts,
a photo, two satellite scenes, an article, a witness and a monitoring dataset record it; a
defence spokesperson later says satellite photos show no change at the hospital. The
claim is set against the evidence and found contradicted.
"""

from __future__ import annotations

import os
import secrets
import shutil
import struct
import zlib
from collections.abc import Callable
from pathlib import Path

from siteline.domain.entities import (
    Claim,
    Custody,
    DerivedItem,
    EvidenceItem,
    Site,
    Source,
)
from siteline.domain.values import FuzzyTime, Location
from siteline.errors import CaseError
from siteline.keys import write_new_key
from siteline.services import (
    accounts,
    audit,
    cases,
    claims,
    demo_findings,
    demo_imagery,
    demo_ingest,
    demo_media,
    derived,
    evidence,
    sites,
    sources,
)
from siteline.services.report import build_report
from siteline.store import case_folder
from siteline.store.case_folder import Case

CASE_NAME = "Vessarin General Hospital strike (fictional demo)"
CASE_DESCRIPTION = (
    "A demonstration case about an invented city. Every name, post, image, testimony and "
    "statement in it was written for Siteline's demo; none of it describes real events."
)

SITES = {
    "general": Site(
        name="Vessarin General Hospital",
        aliases=["VGH", "Old Quarter Hospital"],
        operator="Vessarin Health Directorate",
        lat=14.0512,
        lon=-33.2087,
        notes="Fictional. Three-storey main block with a courtyard and an east wing.",
    ),
    "children": Site(
        name="Saint Ilyan Children's Hospital",
        aliases=["Ilyan Hospital", "Hospital Two"],
        operator="Relief Medical Alliance",
        polygon_wkt=(
            "POLYGON((-33.1956 14.0577, -33.1944 14.0577, -33.1944 14.0586, "
            "-33.1956 14.0586, -33.1956 14.0577))"
        ),
        notes="Fictional. Its compound is drawn as a polygon.",
    ),
}

SOURCES = {
    "courier": Source(
        name="The Vessarin Courier",
        kind="outlet",
        reliability="B",
        url="https://courier.example.org",
    ),
    "watch": Source(
        name="@OldQuarterWatch",
        kind="social_account",
        reliability="C",
        url="https://social.example.org/OldQuarterWatch",
        notes="Neighbourhood account that has posted from the Old Quarter since 2017.",
    ),
    "ilyan_staff": Source(
        name="@IlyanStaff",
        kind="social_account",
        reliability="C",
        url="https://social.example.org/IlyanStaff",
        notes="Account of the staff of Saint Ilyan Children's Hospital.",
    ),
    "spokesperson": Source(
        name="Karand Defence Communications Office",
        kind="official_body",
        reliability="D",
        notes="The (fictional) state's military press office.",
    ),
    "orbital": Source(
        name="Orbital Survey Demo Imagery",
        kind="imagery_provider",
        reliability="A",
    ),
    "lark": Source(
        name="Witness LARK",
        kind="witness",
        reliability="C",
        identity="Fictional person: night-shift nurse, east wing, reachable through the clinic",
    ),
    "monitor": Source(
        name="Health Attacks Monitor (demo dataset)",
        kind="dataset",
        reliability="B",
        native={"publisher_grade": "established monitor"},
    ),
}

CENTRE = Location(14.0512, -33.2087, "exact")

ARTICLE = """\
Hospital in Vessarin's Old Quarter hit overnight, staff say

VESSARIN, 15 March - Part of Vessarin General Hospital was destroyed in the early hours of
Thursday, when what residents described as two loud blasts struck the courtyard and the
east wing. Staff said three people were killed and eleven injured, among them two nurses.

The hospital, known locally as the Old Quarter Hospital, had moved its surgical ward to the
basement in February. A doctor who asked not to be named said the east wing roof had
"folded in on itself" and that patients were moved to Saint Ilyan Children's Hospital.

The Karand Defence Communications Office has not answered our questions."""

POST_NIGHT = """\
@OldQuarterWatch: Two huge explosions near the General Hospital just now. Windows gone on
our street. Ambulances cannot get through the north gate. #Vessarin"""

POST_ILYAN = """\
@IlyanStaff: Shells just hit the east gate of Ilyan Hospital. Windows of two wards are
gone, the children are in the corridor. Nobody hurt that we know of. #Vessarin"""

POST_MORNING = """\
@OldQuarterWatch: Morning update. The east wing of VGH is gone, the courtyard has a hole in
it the size of a bus. Staff are moving patients to Ilyan Hospital. Please share."""

TESTIMONY = """\
I was on the night shift in the east wing. At about twenty past two the lights went out
and then the first blast came from the courtyard side. The second came a minute later and
the ceiling of the corridor fell. We carried four patients down to the basement. In the
morning I saw the crater by the old fountain, where the generator shed used to be."""

QUOTE = "Satellite photographs of 10 and 15 March show no changes at Vessarin General Hospital."

STATEMENT = f"""\
Statement of the Karand Defence Communications Office, 16 March 2019.

Reports of a strike on the hospital in Vessarin are fabricated. Our forces do not target
medical facilities.
{QUOTE}
We call on the media not to repeat the claims of armed groups."""

DATASET_ROW = """\
record_id,incident_date,facility,facility_type,attack_type,killed,injured,certainty
HAM-DEMO-0042,2019-03-14,Vessarin General Hospital,hospital,aerial bombardment,3,11,Confirmed"""

# The report is written into the demo's folder, stamped with a fixed time so that every
# build of the demo gives the same bytes.
REPORT_NAME = "report.html"
DEMO_LOGIN = "demo"
REPORT_TIME = "2019-04-01T00:00:00Z"

DEMO_CUSTODY = "written for the Siteline demonstration case (fictional material)"


# Small images, written byte by byte so the demo needs no imaging library.


def png(width: int, height: int, pixel: Callable[[int, int], tuple[int, int, int]]) -> bytes:
    """An 8-bit RGB PNG whose pixel at (x, y) is `pixel(x, y)`."""
    rows = b"".join(
        b"\x00" + bytes(channel for x in range(width) for channel in pixel(x, y))
        for y in range(height)
    )

    def chunk(tag: bytes, data: bytes) -> bytes:
        checksum = zlib.crc32(tag + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows, 9))
        + chunk(b"IEND", b"")
    )


def photo_pixel(x: int, y: int) -> tuple[int, int, int]:
    """A dusty gradient: the courtyard at dawn, as far as 64 x 48 pixels can say."""
    return (min(255, 60 + x * 3), min(255, 50 + y * 3), 90)


def scene_pixel(crater: bool) -> Callable[[int, int], tuple[int, int, int]]:
    """Ground, the hospital's roof as a pale block, and after the strike a dark crater."""

    def pixel(x: int, y: int) -> tuple[int, int, int]:
        if crater and (x - 40) ** 2 + (y - 30) ** 2 <= 36:
            return (25, 22, 20)
        if 16 <= x < 48 and 12 <= y < 24:
            return (215, 210, 200)
        return (120 + (x + y) % 7, 110, 85)

    return pixel


THUMBNAIL_STEP = 4

PHOTO = png(64, 48, photo_pixel)
THUMBNAIL = png(64 // THUMBNAIL_STEP, 48 // THUMBNAIL_STEP, lambda x, y: photo_pixel(x * 4, y * 4))
SCENE_BEFORE = png(64, 64, scene_pixel(crater=False))
SCENE_AFTER = png(64, 64, scene_pixel(crater=True))


def _time(text: str | None) -> FuzzyTime | None:
    return FuzzyTime.parse(text, "demo time") if text else None


# The evidence, in the order it is added. Sources and sites are named by their keys above.
EVIDENCE = {
    "article": {
        "kind": "article",
        "title": "Hospital in Vessarin's Old Quarter hit overnight, staff say",
        "text": ARTICLE,
        "source": "courier",
        "source_url": "https://courier.example.org/2019/03/15/old-quarter-hospital",
        "published": "2019-03-15",
        "claimed_location": Location(14.0512, -33.2087, "locality"),
        "credibility": 2,
        "language": "en",
    },
    "post_night": {
        "kind": "social_post",
        "title": "@OldQuarterWatch: two explosions near the General Hospital",
        "text": POST_NIGHT,
        "source": "watch",
        "source_url": "https://social.example.org/OldQuarterWatch/status/1001",
        "published": "2019-03-14T02:31Z",
        "claimed_location": Location(14.0518, -33.2080, "vicinity"),
        "credibility": 3,
        "language": "en",
    },
    "post_morning": {
        "kind": "social_post",
        "title": "@OldQuarterWatch: the east wing is gone",
        "text": POST_MORNING,
        "source": "watch",
        "source_url": "https://social.example.org/OldQuarterWatch/status/1017",
        "published": "2019-03-14T07",
        "claimed_location": Location(14.0512, -33.2087, "vicinity"),
        "credibility": 3,
        "language": "en",
    },
    "post_ilyan": {
        "kind": "social_post",
        "title": "@IlyanStaff: shells hit the east gate",
        "text": POST_ILYAN,
        "source": "ilyan_staff",
        "site": "children",
        "source_url": "https://social.example.org/IlyanStaff/status/2044",
        "published": "2019-03-17T21:12Z",
        "claimed_location": Location(14.0580, -33.1948, "vicinity"),
        "credibility": 3,
        "language": "en",
    },
    "photo": {
        "kind": "photo",
        "title": "Courtyard of Vessarin General Hospital at dawn",
        "data": PHOTO,
        "media_type": "image/png",
        "original_filename": "vgh-courtyard-dawn.png",
        "source": "watch",
        "source_url": "https://social.example.org/OldQuarterWatch/status/1017/photo/1",
        "captured": "2019-03-14T06:52Z",
        "published": "2019-03-14T07",
        "claimed_location": CENTRE,
        "credibility": 3,
        "sensitivity": "restricted",
    },
    "scene_before": {
        "kind": "satellite_scene",
        "title": "Scene over the Old Quarter, 11 March 2019",
        "data": SCENE_BEFORE,
        "media_type": "image/png",
        "original_filename": "osdi-2019-03-11-oldquarter.png",
        "source": "orbital",
        "captured": "2019-03-11T10:14:07Z",
        "claimed_location": Location(14.0512, -33.2087, "vicinity"),
        "credibility": 2,
        "native": {"provider_scene_id": "OSDI-DEMO-20190311-A", "gsd_m": 0.5},
    },
    "scene_after": {
        "kind": "satellite_scene",
        "title": "Scene over the Old Quarter, 15 March 2019",
        "data": SCENE_AFTER,
        "media_type": "image/png",
        "original_filename": "osdi-2019-03-15-oldquarter.png",
        "source": "orbital",
        "captured": "2019-03-15T10:02:41Z",
        "claimed_location": Location(14.0512, -33.2087, "vicinity"),
        "credibility": 2,
        "native": {"provider_scene_id": "OSDI-DEMO-20190315-B", "gsd_m": 0.5},
    },
    "statement": {
        "kind": "statement",
        "title": "Defence Communications Office statement on Vessarin",
        "text": STATEMENT,
        "source": "spokesperson",
        "source_url": "https://defence.karand.example.org/statements/2019-03-16",
        "published": "2019-03-16",
        "credibility": 5,
        "language": "en",
    },
    "dataset_row": {
        "kind": "dataset_row",
        "title": "Health Attacks Monitor record HAM-DEMO-0042",
        "text": DATASET_ROW,
        "source": "monitor",
        "published": "2019-04",
        "claimed_location": Location(14.05, -33.21, "locality"),
        "credibility": 2,
        "native": {
            "record_id": "HAM-DEMO-0042",
            "who_ssa_certainty": "Confirmed",
            "attack_type": "aerial bombardment",
        },
    },
}

TESTIMONY_ITEM = {
    "kind": "testimony",
    "title": "Testimony of witness LARK",
    "text": TESTIMONY,
    "source": "lark",
    "collected": "2019-03-20",
    "claimed_location": CENTRE,
    "credibility": 2,
    "language": "en",
}


CLAIM = {
    "speaker": "Spokesperson, Karand Defence Communications Office",
    "stated": "2019-03-16",
    "quote": QUOTE,
    "proposition_kind": "no_change",
    "period_start": "2019-03-10",
    "period_end": "2019-03-15",
}


# Building.


def build_demo(folder: Path, key_file: Path | None = None, replace: bool = False) -> dict:
    """Builds the demo case in `folder` and returns what it made, for the command line."""
    folder = Path(folder)
    _clear_folder(folder, replace)
    key_file, key_created = _key_for(folder, key_file)
    case = cases.init_case(folder, CASE_NAME, CASE_DESCRIPTION, key_file=key_file)
    try:
        ids = _fill(case)
        ingested = demo_ingest.ingest_follow_up(case)
        general = sites.find_site(case, ids["sites"]["general"])
        imagery = demo_imagery.add_and_compare(case, general, ids["sources"]["orbital"])
        media = demo_media.add_media(case)
        after_scene = imagery["scenes"]["after"]
        findings = demo_findings.make_findings(case, ids["evidence"], ids["sites"], after_scene)
        written = build_report(case, folder / REPORT_NAME, generated_at=REPORT_TIME)
        report = audit.verify(case)
        counts = cases.summary(case)
    except BaseException:
        case.close()
        case_folder.remove_case_folder(folder, case.description)
        raise
    case.close()
    return {
        "folder": str(folder),
        "key_file": str(key_file),
        "key_created": key_created,
        "counts": counts,
        "ids": ids,
        "ingest": ingested.as_dict(),
        "imagery": imagery,
        "media": media,
        "findings": findings,
        "report": written,
        "audit": {
            "ok": report.ok,
            "entries": report.entries,
            "records": report.records,
            "blobs": report.blobs,
            "problems": [str(problem) for problem in report.problems],
        },
    }


def add_demo_login(case: Case) -> tuple[str, str]:
    """An owner account for showing the demo in the workbench, with a new random password
    (printed once by `siteline demo`, stored only as its argon2 hash)."""
    password = secrets.token_urlsafe(12)
    accounts.add_account(case, DEMO_LOGIN, "owner", password)
    return DEMO_LOGIN, password


def _clear_folder(folder: Path, replace: bool) -> None:
    """Nothing to do for a new or empty folder; an earlier demo case goes only when asked."""
    if not folder.exists() or (folder.is_dir() and not any(folder.iterdir())):
        return
    if not replace:
        raise CaseError(f"{folder}: exists and is not empty; pass replace to rebuild the demo")
    if not (folder / case_folder.CASE_FILE).is_file():
        raise CaseError(
            f"{folder}: not a Siteline case (no {case_folder.CASE_FILE}); refusing to remove it"
        )
    description = case_folder.read_description(folder)
    if description["database"]["backend"] == "postgresql" and not os.environ.get(
        case_folder.DATABASE_URL_ENV
    ):
        raise CaseError(
            f"{folder}: its records live in PostgreSQL; set {case_folder.DATABASE_URL_ENV} "
            "so that replacing it removes them too"
        )
    case_folder.remove_case_folder(folder, description)
    if folder.exists():
        shutil.rmtree(folder)


def _key_for(folder: Path, key_file: Path | None) -> tuple[Path, bool]:
    """The key given, else `<folder>.key` beside the case folder, made if it is not there."""
    if key_file is not None:
        return Path(key_file), False
    path = folder.with_name(folder.name + ".key")
    if path.exists():
        return path, False
    write_new_key(path)
    return path, True


def _fill(case: Case) -> dict:
    site_ids = {key: sites.add_site(case, site)["id"] for key, site in SITES.items()}
    source_ids = {key: sources.add_source(case, source)["id"] for key, source in SOURCES.items()}
    evidence_ids = _add_evidence(case, site_ids, source_ids)
    derived_id = _add_thumbnail(case, evidence_ids["photo"])
    claim_id = _add_claim(case, site_ids["general"], evidence_ids)
    return {
        "sites": site_ids,
        "sources": source_ids,
        "evidence": evidence_ids,
        "derived": derived_id,
        "claim": claim_id,
    }


def _item(spec: dict, site_ids: dict, source_ids: dict) -> EvidenceItem:
    fields = {key: value for key, value in spec.items() if key != "source"}
    for name in ("published", "captured", "collected"):
        fields[name] = _time(spec.get(name))
    fields.pop("site", None)
    site_id = site_ids[spec.get("site", "general")]  # filed under the General unless said
    return EvidenceItem(site_id=site_id, source_id=source_ids[spec["source"]], **fields)


def _custody(spec: dict) -> Custody:
    return Custody(
        method=DEMO_CUSTODY, collector="siteline demo", source_url=spec.get("source_url")
    )


def _add_evidence(case: Case, site_ids: dict, source_ids: dict) -> dict[str, int]:
    batch = [(_item(spec, site_ids, source_ids), _custody(spec)) for spec in EVIDENCE.values()]
    added = evidence.add_many(case, batch)
    ids = {key: record["id"] for key, record in zip(EVIDENCE, added, strict=True)}
    testimony = _item(TESTIMONY_ITEM, site_ids, source_ids)
    ids["testimony"] = evidence.add_evidence(case, testimony, _custody(TESTIMONY_ITEM))["id"]
    return ids


def _add_thumbnail(case: Case, photo_id: int) -> int:
    parent = evidence.get_evidence(case, photo_id)["blob_sha256"]
    thumbnail = DerivedItem(
        kind="thumbnail",
        parents=[parent],
        method="siteline-demo.thumbnail",
        method_version="1.0",
        parameters={"step": THUMBNAIL_STEP, "resample": "nearest", "format": "png"},
        data=THUMBNAIL,
        media_type="image/png",
        evidence_id=photo_id,
    )
    return derived.add_derived(case, thumbnail)["id"]


def _add_claim(case: Case, site_id: int, evidence_ids: dict) -> int:
    spec = dict(CLAIM)
    times = {name: _time(spec.pop(name)) for name in ("stated", "period_start", "period_end")}
    claim = Claim(**spec, **times, site_id=site_id, evidence_id=evidence_ids["statement"])
    return claims.add_claim(case, claim)["id"]
