"""The case store on both back ends: a case opens, takes records and verifies clean."""

from siteline.domain.entities import Custody, EvidenceItem, Site
from siteline.services import audit, cases, evidence, sites


def test_a_new_case_records_itself_and_verifies(case, backend):
    summary = cases.summary(case)
    assert summary["backend"] == ("sqlite" if backend == "sqlite" else "postgresql")
    assert summary["audit_entries"] == 1
    assert audit.verify(case).ok


def test_records_added_survive_reopening(case, key_file):
    site = sites.add_site(case, Site("Northgate Hospital", lat=10.5, lon=20.25))
    item = evidence.add_evidence(
        case,
        EvidenceItem(kind="photo", data=b"\x89PNG fake", site_id=site["id"]),
        Custody(method="test"),
    )
    case.close()
    reopened = cases.open_case(case.folder, key_file=key_file)
    try:
        assert evidence.get_evidence(reopened, item["id"])["site_id"] == site["id"]
        assert evidence.read_original(reopened, item["id"]) == b"\x89PNG fake"
        assert audit.verify(reopened).ok
    finally:
        reopened.close()
