"""Bar charts for the report, drawn by matplotlib as SVG that is the same byte for byte
every time: fixed fonts and sizes (DejaVu Sans, shipped with matplotlib, drawn as paths so
no reader needs the font), a fixed hash salt for the ids matplotlib makes, and no date.

Labels are the case's vocabulary and months only, never free text, so nothing a person or
a source wrote reaches matplotlib's text engine.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import matplotlib
from matplotlib.figure import Figure

STYLE = {
    "svg.hashsalt": "siteline-report",
    "svg.fonttype": "path",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.titlesize": 10.0,
    "axes.titleweight": "bold",
}
BAR_COLOUR = "#3b5b8c"
MIN_SLOTS = 6
WIDTH_IN, HEIGHT_IN = 6.4, 2.6
SVG_METADATA = {"Date": None, "Creator": f"Matplotlib v{matplotlib.__version__}"}


@dataclass(frozen=True)
class Chart:
    """A chart as an SVG data: URI, with its figures in words for readers without images."""

    title: str
    svg_uri: str
    rows: list[tuple[str, int]]


def bar_chart(title: str, rows: list[tuple[str, int]], chart_id: str) -> Chart:
    """Bars of counts; `rows` (label, count) in the order they are drawn."""
    with matplotlib.rc_context({**STYLE, "svg.id": chart_id}):
        figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN))
        axes = figure.add_subplot()
        # A '$' would start matplotlib's maths mode; the labels are printed as written.
        labels = [label.replace("$", r"\$") for label, _ in rows]
        counts = [count for _, count in rows]
        positions = list(range(len(rows)))
        axes.bar(positions, counts, color=BAR_COLOUR, width=0.7)
        axes.set_xticks(
            positions,
            labels,
            rotation=45 if len(rows) > 6 else 0,
            ha="right" if len(rows) > 6 else "center",
        )
        # Few bars stay bar-wide: the axis always holds room for at least MIN_SLOTS.
        spare = max(0, MIN_SLOTS - len(rows)) / 2
        axes.set_xlim(-0.5 - spare, len(rows) - 0.5 + spare)
        axes.set_ylabel("attacks")
        axes.set_title(title, loc="left")
        top = max(counts, default=0)
        axes.set_ylim(0, max(1, top) * 1.15)
        axes.yaxis.get_major_locator().set_params(integer=True)
        for position, count in zip(positions, counts, strict=True):
            axes.annotate(
                str(count),
                (position, count),
                ha="center",
                va="bottom",
                xytext=(0, 2),
                textcoords="offset points",
                fontsize=8,
            )
        figure.tight_layout()
        out = io.StringIO()
        figure.savefig(out, format="svg", metadata=SVG_METADATA)
    return Chart(
        title,
        "data:image/svg+xml;base64," + base64.b64encode(out.getvalue().encode()).decode(),
        rows,
    )
