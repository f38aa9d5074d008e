"""Pages: Jinja2 templates (autoescaped) that extend `base.html`, and the navigation.

A page route renders with `render(request, "name.html", viewer, key=value, ...)`; the
template extends base.html and fills `{% block title %}` and `{% block content %}`. Every
page gets `case_name`, `viewer` (or None), `csrf_token` (for the hidden `csrf_token` field
every POST form needs), `nav` (the links this person may follow) and `tile_url`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.web.security import CSRF_FIELD, Viewer

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

templates = Jinja2Templates(
    env=Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
)


@dataclass(frozen=True)
class NavItem:
    """A link in the navigation bar, shown to those whose role has `permission`, in
    `order` (lowest first)."""

    label: str
    path: str
    permission: Permission = Permission.READ_PUBLIC
    order: int = 50


def render(
    request: Request,
    template: str,
    viewer: Viewer | None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    state = request.app.state
    page = {
        "case_name": state.case_name,
        "viewer": viewer,
        "csrf_token": viewer.csrf_token if viewer else None,
        "csrf_field": CSRF_FIELD,
        "nav": [item for item in state.nav if viewer and viewer.can(item.permission)],
        "tile_url": state.tile_url,
        "current_path": request.url.path,
        **context,
    }
    return templates.TemplateResponse(
        request, template, page, status_code=status_code, headers=headers
    )
