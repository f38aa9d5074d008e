"""The report as one self-contained HTML file, from the model, with Jinja2.

Autoescaping is on for every template: titles, quotes, rationales and names come from
sources and cannot be trusted, so each is printed as text, never as markup. The style
sheet is inlined and every image is a data: URI, so the file loads nothing from anywhere.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

TEMPLATE = "report.html.j2"


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("siteline.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(model: dict) -> str:
    # The style sheet is Siteline's own file, the one thing printed unescaped.
    css = Markup(
        resources.files("siteline.report").joinpath("templates/report.css").read_text("utf-8")
    )
    return environment().get_template(TEMPLATE).render(css=css, **model)
