"""How results are printed: readable lines by default, JSON with --json."""

from __future__ import annotations

import json
from collections.abc import Iterable

import click

SEALED = "(sealed: confidential, needs the case key)"

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


def emit_json(value) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def emit_record(record: dict, as_json: bool, title: str | None = None) -> None:
    """A record as 'field: value' lines, leaving out empty fields and nested lists."""
    if as_json:
        emit_json(record)
        return
    if title:
        click.echo(title)
    for key, value in record.items():
        if value is None or isinstance(value, list | dict):
            continue
        click.echo(f"  {key}: {value}")


def emit_table(rows: Iterable[dict], columns: list[str], as_json: bool) -> None:
    rows = list(rows)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(row.get(column)) for column in columns] for row in rows]
    widths = [
        max(len(column), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)
    ]
    click.echo(
        "  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))
    )
    for line in cells:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)))


def _cell(value) -> str:
    if value is None:
        return "-"
    text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= 48 else text[:47] + "…"


def emit_section(title: str, rows: list[dict], columns: list[str]) -> None:
    click.echo(f"{title}:")
    if not rows:
        click.echo("  (none)")
    for row in rows:
        click.echo(
            "  - "
            + ", ".join(
                f"{column}={row.get(column)}" for column in columns if row.get(column) is not None
            )
        )
