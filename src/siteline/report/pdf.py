"""The report as PDF, rendered from its HTML by WeasyPrint.

WeasyPrint is told to fetch nothing: the HTML carries every image as a data: URI, and any
other address (which the HTML never holds) is refused rather than fetched. The PDF has no
creation date, its identifier is the digest of the HTML, and the fonts it embeds carry the
report's generation time (fontTools stamps subsets with SOURCE_DATE_EPOCH, else the clock),
so the same HTML and generation time give the same PDF, byte for byte.
"""

from __future__ import annotations

import hashlib
import os
from contextlib import contextmanager
from datetime import datetime

from siteline.errors import CaseError


def weasyprint_missing() -> str | None:
    """Why WeasyPrint cannot render here, or None when it can."""
    try:
        import weasyprint  # noqa: F401  (loads pango through cffi: fails without it)
    except (ImportError, OSError) as error:
        return f"WeasyPrint cannot be loaded ({error}); install it and Debian's libpango-1.0-0"
    return None


@contextmanager
def _source_date(moment: datetime):
    """SOURCE_DATE_EPOCH set to `moment` while rendering, as it was afterwards."""
    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = str(int(moment.timestamp()))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


def render_pdf(html: str, generated_at: datetime) -> bytes:
    problem = weasyprint_missing()
    if problem:
        raise CaseError(f"--pdf: {problem}")
    from weasyprint import HTML, URLFetcher

    class DataOnly(URLFetcher):
        def fetch(self, url, headers=None):
            if not url.startswith("data:"):
                raise ValueError(f"the report loads nothing from outside itself: {url[:80]}")
            return super().fetch(url, headers)

    identifier = hashlib.sha256(html.encode()).hexdigest()[:32].encode()
    with _source_date(generated_at):
        return HTML(string=html, url_fetcher=DataOnly()).write_pdf(pdf_identifier=identifier)
