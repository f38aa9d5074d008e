"""Protected places of a case: adding them and finding them by name, alias or number."""

from __future__ import annotations

import json

from sqlalchemy import select

from siteline.domain.entities import Site
from siteline.errors import Duplicate, NotFound
from siteline.store.case_folder import Case
from siteline.store.schema import sites
from siteline.store.transaction import Transaction


def add_site(case: Case, site: Site) -> dict:
    with case.write() as transaction:
        taken = _names_in_use(transaction)
        for name in [site.name, *site.aliases]:
            if name.casefold() in taken:
                raise Duplicate(
                    f"site name {name!r}: already used by site #{taken[name.casefold()]}"
                )
        return transaction.insert(
            "site",
            {
                "name": site.name,
                "aliases": json.dumps(site.aliases, ensure_ascii=False),
                "kind": site.kind.value,
                "operator": site.operator,
                "lat": site.lat,
                "lon": site.lon,
                "geometry_wkt": site.geometry_wkt,
                "notes": site.notes,
            },
        )


def _names_in_use(transaction: Transaction) -> dict[str, int]:
    taken = {}
    for row in transaction.connection.execute(
        select(sites).where(sites.c.deleted_at.is_(None))
    ).mappings():
        for name in [row["name"], *json.loads(row["aliases"])]:
            taken[name.casefold()] = row["id"]
    return taken


def list_sites(case: Case) -> list[dict]:
    with case.read() as connection:
        rows = connection.execute(
            select(sites).where(sites.c.deleted_at.is_(None)).order_by(sites.c.id)
        )
        return [_present(row) for row in rows.mappings()]


def find_site(case: Case, reference: str | int, field: str = "site") -> dict:
    """A site by its number, its name or one of its aliases (any letter case)."""
    wanted = str(reference).strip()
    for site in list_sites(case):
        names = [site["name"], *site["aliases"]]
        if wanted == str(site["id"]) or wanted.casefold() in (n.casefold() for n in names):
            return site
    raise NotFound(f"{field}: no site {wanted!r} in this case (see 'siteline site list')")


def _present(row) -> dict:
    site = dict(row)
    site["aliases"] = json.loads(site["aliases"])
    return site
