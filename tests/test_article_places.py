"""The place index (sites, gazetteer, world) and the gazetteer CSV reader."""

from __future__ import annotations

from conftest import shared_data

from siteline.ingest.articles import PlaceIndex
from siteline.ingest.gazetteer import read_gazetteer_csv, world_entries
from siteline.ingest.model import PlaceEntry

SITES = [
    PlaceEntry("M10 hospital", "site", aliases=["M10", "al-Sakhour"], site_id=1),
    PlaceEntry("Eastgate General Hospital", "site", aliases=["EGH"], site_id=2),
]


def names(index: PlaceIndex, text: str) -> list[tuple[str, str, str]]:
    return [(p.text, p.name, p.origin) for p in index.find(text)]


def test_whole_words_case_insensitive_longest_first():
    index = PlaceIndex.from_entries(
        [*SITES, PlaceEntry("Eastgate", "gazetteer", gazetteer_id="9")], include_world=False
    )
    assert names(index, "At eastgate general hospital and M10.") == [
        ("eastgate general hospital", "Eastgate General Hospital", "site"),
        ("M10", "M10 hospital", "site"),
    ]
    assert names(index, "Eastgate's market; AM10 and EGHX are not places") == [
        ("Eastgate", "Eastgate", "gazetteer")
    ]
    assert names(index, "the Al-Sakhour district") == [("Al-Sakhour", "M10 hospital", "site")]


def test_sites_win_over_gazetteer_over_world():
    index = PlaceIndex.from_entries(
        [
            PlaceEntry("Aleppo", "world"),
            PlaceEntry("Aleppo", "gazetteer", gazetteer_id="834"),
            PlaceEntry("Aleppo city hospital", "site", aliases=["Aleppo"], site_id=3),
        ],
        include_world=False,
    )
    [found] = index.find("Strikes in Aleppo.")
    assert (found.origin, found.site_id) == ("site", 3)


def test_world_names_need_their_capital():
    index = PlaceIndex.from_entries([], include_world=True)
    found = names(index, "Doctors in Aleppo and Damascus met officials from France.")
    assert [f[0] for f in found] == ["Aleppo", "Damascus", "France"]
    assert all(origin == "world" for _, _, origin in found)
    assert names(index, "the most nice reading of the march") == []


def test_world_gazetteer_is_cached_and_has_alternate_names():
    first, second = world_entries(), world_entries()
    assert first is second
    aleppo = [e for e in first if e.name == "Aleppo" and e.kind == "city"]
    assert aleppo and "Halab" in aleppo[0].aliases
    assert aleppo[0].location is not None and aleppo[0].parent == "Syria"
    assert any(e.kind == "country" and e.name == "Syria" for e in first)


def test_gazetteer_csv_reads_places_and_names_bad_rows(tmp_path):
    path = tmp_path / "places.csv"
    path.write_text(
        "id,name_en,name_ar,latitude,longitude,parent_id,parent_name_en,is_governorate,dataset_id\n"
        "834,ALEPPO,حلب,36.19,37.16,834,ALEPPO,True,0\n"
        "836,Akramiyah,الأكرمية,36.19,37.11,834,ALEPPO,False,2\n"
        "837,Nowhere,,95.0,37.0,834,ALEPPO,False,3\n"
        ",Nameless,,36.1,37.1,834,ALEPPO,False,4\n"
        "839,Sha'ar,الشعار,,,834,ALEPPO,False,5\n",
        encoding="utf-8",
    )
    result = read_gazetteer_csv(path)
    assert [e.name for e in result.records] == ["ALEPPO", "Akramiyah", "Sha'ar"]
    governorate, akramiyah, shaar = result.records
    assert governorate.kind == "governorate" and "Aleppo" in governorate.aliases
    assert "حلب" in governorate.aliases
    assert (akramiyah.parent, akramiyah.gazetteer_id, akramiyah.origin) == (
        "ALEPPO",
        "836",
        "gazetteer",
    )
    assert shaar.location is None
    assert [(p.line, "latitude" in p.message or "id" in p.message) for p in result.problems] == [
        (4, True),
        (5, True),
    ]
    index = PlaceIndex.from_entries(result.records, include_world=False)
    assert names(index, "in Sha’ar and حلب") == [
        ("Sha’ar", "Sha'ar", "gazetteer"),
        ("حلب", "ALEPPO", "gazetteer"),
    ]


def test_the_shared_syria_gazetteer_reads_cleanly():
    result = read_gazetteer_csv(shared_data("syria_gazetteer/syrian_archive_locations.csv"))
    assert len(result.records) + len(result.problems) == 532
    assert len(result.records) >= 500
    assert sum(1 for e in result.records if e.kind == "governorate") == 12


def test_a_world_name_shared_by_several_cities_is_the_biggest_of_them():
    index = PlaceIndex.from_entries([], include_world=True)
    text = "Strikes hit Homs and Palmyra, officials in Washington said."
    found = {place.text: place for place in index.find(text)}
    assert found["Homs"].name == "Homs" and found["Homs"].location.lon > 36  # not Libya's Khums
    assert found["Palmyra"].name == "Tadmur"  # Syria's Palmyra, not a town of Brazil
    assert found["Washington"].location.lon < -76  # the capital, not the English town
