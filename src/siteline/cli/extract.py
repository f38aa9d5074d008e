"""`siteline extract`: what an input holds, read without touching any case.

These commands work anywhere: they open no case folder, so an investigator can look at what
Siteline makes of a file before deciding to bring it into a case.
"""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.output import emit_json, emit_section, json_option
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.ingest.articles import PlaceIndex, extract_article
from siteline.ingest.gazetteer import read_gazetteer_csv
from siteline.ingest.model import PlaceEntry


@click.group("extract")
def extract_group() -> None:
    """Read an input and print what it holds; no case is needed or changed."""


@extract_group.command("article")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--date", "date", help="The article's date, YYYY-MM-DD (wins over the text's).")
@click.option(
    "--gazetteer",
    "gazetteers",
    multiple=True,
    type=click.Path(dir_okay=False),
    help="A gazetteer CSV of places to look for (repeatable).",
)
@click.option(
    "--site",
    "sites",
    multiple=True,
    help="A site to look for, as NAME or NAME=ALIAS,ALIAS (repeatable).",
)
@click.option("--no-world", is_flag=True, help="Leave out the built-in world gazetteer.")
@json_option
def extract_article_command(file, date, gazetteers, sites, no_world, as_json) -> None:
    """Extract the posts, body, dates, places, statements and figures of the article FILE."""
    path = Path(file)
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(file, f"cannot read the file ({error.strerror})") from None
    article_date = FuzzyTime.parse(date, "--date") if date else None
    entries = [_site(text, number) for number, text in enumerate(sites, 1)]
    for gazetteer in gazetteers:
        read = read_gazetteer_csv(gazetteer)
        for problem in read.problems:
            click.echo(f"warning: {problem}", err=True)
        entries.extend(read.records)
    index = PlaceIndex.from_entries(entries, include_world=not no_world)
    result = extract_article(data, article_date=article_date, places=index, source_name=file)
    if as_json:
        emit_json(result.to_json())
    else:
        _print(result.to_json())


def _site(text: str, number: int) -> PlaceEntry:
    name, _, aliases = text.partition("=")
    if not name.strip():
        raise InvalidInput("--site", f"{text!r} has no name: use NAME or NAME=ALIAS,ALIAS")
    return PlaceEntry(
        name=name.strip(),
        origin="site",
        aliases=[a.strip() for a in aliases.split(",") if a.strip()],
        site_id=number,
    )


def _print(found: dict) -> None:
    click.echo(f"title: {found['title'] or '-'}")
    click.echo(
        f"article date: {found['article_date'] or '-'} ({found['article_date_source'] or 'unknown'})"
    )
    click.echo(f"encoding: {found['encoding']}")
    for note in found["notes"]:
        click.echo(f"note: {note}")
    click.echo(f"posts: {len(found['posts'])}")
    for number, post in enumerate(found["posts"], 1):
        click.echo(
            f"  {number}. @{post['handle']} ({post['display_name'] or '-'}), {post['date']}, {post['form']}"
        )
        click.echo(f"     {post['text']}")
        if post["links"]:
            click.echo(f"     links: {', '.join(post['links'])}")
    emit_section(
        "boilerplate removed",
        [{"text": " ".join(b.split())} for b in found["boilerplate"]],
        ["text"],
    )
    emit_section("dates", found["dates"], ["text", "value", "precision", "in"])
    emit_section("places", found["places"], ["text", "name", "origin", "in"])
    emit_section("statements", found["statements"], ["speaker", "quote", "date", "in"])
    emit_section("figures", found["figures"], ["value", "what", "period", "in"])
    click.echo("body:")
    for line in found["body"].splitlines():
        click.echo(f"  {line}")


COMMANDS = [extract_group]
