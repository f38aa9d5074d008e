"""What the page routes share: the template filters they use, whether the third-party
browser code (Leaflet, htmx: fetched by scripts/web-assets.sh, never kept in the
repository) is installed, and the redirect after a form.

Importing this module registers the filters, so every `routes_page_*` module imports it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.responses import RedirectResponse

from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.web.page_views import safe_link
from siteline.web.rendering import STATIC, templates

VENDOR = STATIC / "vendor"
LEAFLET_FILES = ("leaflet/leaflet.js", "leaflet/leaflet.css")
# A form's free text, at most: bigger is refused rather than stored.
MAX_FORM_TEXT = 20_000


def leaflet_present() -> bool:
    """Whether Leaflet is installed beside the static files (`make install` fetches it)."""
    return all((VENDOR / name).is_file() for name in LEAFLET_FILES)


def when(stored: str | None, precision: str | None = None) -> str:
    """A stored time in words at its precision ("2024-03", "2024-03-05 14:00Z")."""
    if not stored:
        return "unknown"
    if precision is None:
        return stored
    try:
        time = FuzzyTime.from_stored(stored, precision)
    except (ValueError, InvalidInput):
        return stored
    return str(time) if time else "unknown"


def see_other(path: str, **query: str | int | None) -> RedirectResponse:
    """The answer to a form that changed something: 303 to the page that shows it (POST,
    redirect, GET), with a short notice in the query when given."""
    given = {key: str(value) for key, value in query.items() if value not in (None, "")}
    target = f"{path}?{urlencode(given)}" if given else path
    return RedirectResponse(target, status_code=303)


def form_text(value: str | None, field: str, required: bool = False) -> str | None:
    """A form field's text, stripped; None when empty; refused when too long or missing."""
    text = (value or "").strip()
    if len(text) > MAX_FORM_TEXT:
        raise InvalidInput(field, f"at most {MAX_FORM_TEXT} characters")
    if required and not text:
        raise InvalidInput(field, "fill it in")
    return text or None


def form_id(value: str | None, field: str, required: bool = True) -> int | None:
    """A record number typed in a form ("12" or "#12")."""
    text = (value or "").strip().lstrip("#")
    if not text:
        if required:
            raise InvalidInput(field, "give a record number")
        return None
    if not text.isdigit() or not 1 <= int(text) <= 2**31 - 1:
        raise InvalidInput(field, f"{value!r} is not a record number")
    return int(text)


templates.env.filters["safe_link"] = safe_link
templates.env.filters["when"] = when
