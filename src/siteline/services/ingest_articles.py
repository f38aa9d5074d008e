"""Articles into a case: the article with its original bytes and its cleaned body, each
embedded post an item within it, and each quoted statement a candidate claim.

What the extractor found (dates, places, figures, boilerplate taken out) is kept in the
article's details. A post embedded in two articles is one item, related to both. A whole
run is one transaction; a file that cannot be read is reported and the others are kept.
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Iterable
from pathlib import Path

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import RelationKind
from siteline.errors import InvalidInput, SitelineError
from siteline.ingest.model import Post, RowProblem, Statement
from siteline.services.gazetteer import place_index
from siteline.services.ingest import (
    IngestReport,
    add_keyed_items,
    add_relations,
    build_or_report,
    input_files,
    problem_message,
)
from siteline.services.ingest_posts import post_details
from siteline.store.case_folder import Case
from siteline.store.transaction import Transaction
from siteline.store.transaction import utc_now_stored as _now

ARTICLE_FILES = ("*.txt", "*.html", "*.htm")


def ingest_articles(
    case: Case, paths: Iterable[Path], article_date: FuzzyTime | None = None
) -> IngestReport:
    """Reads every article named (or found in a folder named) into the case."""
    from siteline.ingest.articles.extract import extract_article

    files = input_files(paths, ARTICLE_FILES)
    places = place_index(case)
    report = IngestReport()
    with case.write() as transaction:
        for path in files:
            try:
                data = path.read_bytes()
                if not data.strip():
                    raise InvalidInput(str(path), "the file is empty: there is no article in it")
                found = extract_article(data, article_date=article_date, places=places)
            except SitelineError as error:
                report.problems.append(RowProblem(str(path), None, problem_message(error)))
                continue
            except OSError as error:
                report.problems.append(
                    RowProblem(str(path), None, f"cannot be read ({error.strerror})")
                )
                continue
            _add_article(case, transaction, path, data, found, report)
    return report


def _add_article(case, transaction, path: Path, data: bytes, found, report) -> None:
    details = found.to_json()
    details.pop("body", None)
    details.pop("posts", None)
    article = build_or_report(
        report,
        str(path),
        None,
        EvidenceItem,
        kind="article",
        title=found.title or path.stem,
        text=found.body,
        data=data,
        original_filename=path.name,
        media_type=mimetypes.guess_type(path.name)[0] or "text/plain",
        published=found.article_date,
        ingest_key=f"article:{path.name}",
        details=details,
    )
    if article is None:
        return
    how = Custody(method="ingested from an article file", tool="siteline ingest", notes=str(path))
    added_before = report.added
    try:
        [article_id] = add_keyed_items(case, transaction, [(article, how)], report)
    except InvalidInput as error:
        report.problems.append(RowProblem(str(path), None, str(error)))
        return
    report.files += 1
    if report.added == added_before:
        return  # the same article as before: its posts and claims are in the case already
    items = []
    for post in found.posts:
        item = build_or_report(report, str(path), None, _post_item, post, article_id, path)
        if item is not None:
            items.append((item, _post_custody(path, post)))
    known_before = set(report.item_ids)
    post_ids = add_keyed_items(case, transaction, items, report)
    added_now = set(report.item_ids) - known_before
    # A post already in the case from another article is related to this one too.
    earlier = [(post_id, article_id) for post_id in post_ids if post_id not in added_now]
    add_relations(transaction, earlier, RelationKind.EMBEDDED_IN, report)
    _add_candidate_claims(transaction, article_id, found, report)


def post_key(post: Post) -> str:
    """Embedded posts carry no platform id: they are known by author, day and text."""
    digest = hashlib.sha256(" ".join(post.text.split()).encode()).hexdigest()[:16]
    day = post.published.stored[:10] if post.published else "undated"
    return f"{post.platform}-embedded:{(post.handle or '').lower()}:{day}:{digest}"


def _post_item(post: Post, article_id: int, path: Path) -> EvidenceItem:
    return EvidenceItem(
        kind="social_post",
        title=f"@{post.handle}: {' '.join(post.text.split())[:80]}",
        text=post.text,
        within_id=article_id,
        published=post.published,
        ingest_key=post_key(post),
        platform=post.platform,
        author_handle=post.handle,
        author_name=post.display_name,
        details=post_details(post) | {"found_in": path.name},
    )


def _post_custody(path: Path, post: Post) -> Custody:
    return Custody(
        method="embedded post found in an article",
        tool="siteline ingest",
        tool_version=__version__,
        notes=f"within {path} ({post.form or 'embedded'} form)",
    )


def _add_candidate_claims(transaction: Transaction, article_id: int, found, report) -> None:
    """Each quoted statement, as a claim awaiting a person's confirmation."""
    rows = []
    for statement in found.statements:
        stated = statement.date or found.article_date
        if stated is None:
            continue  # a claim needs a date; the statement stays in the article's details
        rows.append(_claim_row(statement, stated, article_id))
    transaction.insert_many("claim", rows)
    report.claims += len(rows)


def _claim_row(statement: Statement, stated: FuzzyTime, article_id: int) -> dict:
    return {
        "speaker": statement.speaker,
        "stated_at": stated.stored,
        "stated_precision": stated.precision.value,
        "quote": statement.quote,
        "evidence_id": article_id,
        "proposition_kind": "other",
        "proposition": statement.quote,
        "verdict": "unresolved",
        "status": "candidate",
        "created_at": _now(),
    }
