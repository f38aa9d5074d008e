"""The evidence figure: its PNG, its determinism, hostile labels, validation, the scale bar
and the caption."""

from __future__ import annotations

import dataclasses
import io
import math
import struct
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image

from siteline.errors import InvalidInput
from siteline.imagery.figure import (
    CAPTION,
    ELLIPSIS,
    NO_DATA_GREY,
    FigureInput,
    build_change_figure,
    clean_label,
    figure_size_px,
    format_length,
    render_change_figure,
    scale_bar_length_m,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL = {"width_in": 8.0, "dpi": 60}  # fast renders where the size does not matter


def make_input(height: int = 60, width: int = 80, **changes) -> FigureInput:
    rng = np.random.default_rng(7)
    before = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    after = before.copy()
    after[20:40, 30:50] = 255
    score = rng.random((height, width))
    score[20:40, 30:50] += 3.0
    score[:3, :] = np.nan
    fields = {
        "before": before,
        "after": after,
        "score": score,
        "changed": np.nan_to_num(score) > 2.0,
        "site_outline": [(25.0, 15.0), (55.0, 15.0), (55.0, 45.0), (25.0, 45.0)],
        "ring_outline": [(10.0, 5.0), (70.0, 5.0), (70.0, 55.0), (10.0, 55.0)],
        "pixel_size_m": 10.0,
        "north_angle_deg": 0.0,
        "before_label": "2016-09-25 (day) · provider X",
        "after_label": "2016-09-29 (day) · provider Y",
        "shift_px": (1.25, -0.5),
        "method_line": "change-vector analysis, Otsu threshold 2.31; 4.2 % of site pixels changed",
        "site_name": "Eastgate General Hospital",
        "threshold": 2.0,
    }
    fields.update(changes)
    return FigureInput(**fields)


def artists_with_gid(fig, gid: str) -> list:
    return fig.findobj(lambda artist: artist.get_gid() == gid)


def test_png_has_signature_and_the_announced_pixel_size():
    figure = make_input()
    png = render_change_figure(figure)
    assert png.startswith(PNG_SIGNATURE)
    image = Image.open(io.BytesIO(png))
    assert image.size[0] == 1800  # 12 in at 150 dpi
    assert image.size == figure_size_px(figure.score.shape, 12.0, 150)


@pytest.mark.parametrize("width_in, dpi", [(7.1, 100), (9.3, 97), (6.0, 110), (6.5, 200)])
def test_awkward_sizes_lose_no_pixel_to_float_error(width_in, dpi):
    figure = make_input(height=30, width=30)
    png = render_change_figure(figure, width_in=width_in, dpi=dpi)
    assert Image.open(io.BytesIO(png)).size == figure_size_px((30, 30), width_in, dpi)


def test_figure_height_follows_the_grid_shape():
    square = figure_size_px((100, 100))
    wide = figure_size_px((50, 100))
    assert square[0] == wide[0] == 1800
    assert wide[1] < square[1]


def test_two_renders_are_byte_identical():
    figure = make_input()
    assert render_change_figure(figure, **SMALL) == render_change_figure(figure, **SMALL)


def text_chunks(png: bytes) -> list[bytes]:
    chunks, offset = [], len(PNG_SIGNATURE)
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset : offset + 4])
        kind = png[offset + 4 : offset + 8]
        if kind in (b"tEXt", b"iTXt", b"zTXt"):
            chunks.append(png[offset + 8 : offset + 8 + length])
        offset += 12 + length
    return chunks


def test_png_carries_no_software_version():
    png = render_change_figure(make_input(), **SMALL)
    assert not any(chunk.startswith(b"Software") for chunk in text_chunks(png))
    assert b"atplotlib" not in png


def test_renders_in_threads_match_a_render_alone():
    # The figure uses matplotlib's object API only, so concurrent renders must not interfere.
    figures = [make_input(north_angle_deg=angle) for angle in (0.0, 45.0, 90.0, 135.0)]
    alone = [render_change_figure(figure, **SMALL) for figure in figures]
    with ThreadPoolExecutor(max_workers=2) as pool:
        together = list(pool.map(lambda figure: render_change_figure(figure, **SMALL), figures))
    assert together == alone


def test_renders_differ_when_the_input_does():
    figure = make_input()
    moved = dataclasses.replace(figure, north_angle_deg=90.0)
    assert render_change_figure(figure, **SMALL) != render_change_figure(moved, **SMALL)


def test_hostile_long_site_name_renders_as_plain_text():
    # "\frac{" with an unbalanced "$" makes mathtext raise: rendering proves it is never parsed.
    name = "$x^2$ \\frac{$ " + "A" * 500
    fig = build_change_figure(make_input(site_name=name), **SMALL)
    png = render_change_figure(make_input(site_name=name), **SMALL)
    assert png.startswith(PNG_SIGNATURE)
    (title,) = artists_with_gid(fig, "site-name")
    assert title.get_text().startswith("Site: $x^2$ \\frac{$ AAA")
    assert title.get_text().endswith(ELLIPSIS)
    assert title.get_window_extent().x1 <= fig.bbox.width


def test_every_label_in_the_figure_is_kept_from_mathtext():
    fig = build_change_figure(make_input(before_label="$a$", method_line="$b$"), **SMALL)
    texts = fig.findobj(lambda artist: hasattr(artist, "get_parse_math"))
    shown = [text for text in texts if "$" in text.get_text()]
    assert len(shown) == 2
    assert not any(text.get_parse_math() for text in shown)


def test_long_labels_are_shortened_to_their_panel():
    fig = build_change_figure(make_input(after_label="2016-09-29 " + "x" * 400), **SMALL)
    after_panel = fig.axes[1]
    (label,) = [text for text in after_panel.texts if text.get_text().startswith("2016-09-29")]
    assert label.get_text().endswith(ELLIPSIS)
    assert label.get_window_extent().width <= after_panel.get_window_extent().width + 1


def test_clean_label_drops_controls_and_bidi_overrides():
    assert clean_label("evil\u202e name\n\tline\x00two") == "evil name line two"
    assert clean_label("a" * 1000, max_chars=10) == "a" * 9 + ELLIPSIS


def test_grey_float_images_with_nodata_render():
    rng = np.random.default_rng(3)
    grey = rng.normal(500.0, 80.0, size=(40, 40))
    grey[:5, :5] = np.nan
    figure = make_input(
        height=40,
        width=40,
        before=grey,
        after=grey + 1.0,
        score=np.full((40, 40), np.nan),
        changed=np.zeros((40, 40), dtype=bool),
        site_outline=[],
        ring_outline=[],
    )
    assert render_change_figure(figure, **SMALL).startswith(PNG_SIGNATURE)


def test_float_rgb_with_nodata_renders_with_the_nodata_grey():
    rng = np.random.default_rng(5)
    rgb = rng.normal(900.0, 150.0, size=(40, 40, 3)).astype(np.float32)
    rgb[:10, :10, 1] = np.nan
    figure = make_input(height=40, width=40, before=rgb, after=rgb * 1.1)
    fig = build_change_figure(figure, **SMALL)
    shown = fig.axes[0].images[0].get_array()
    assert shown.min() >= 0 and shown.max() <= 1
    assert np.allclose(shown[0, 0], NO_DATA_GREY[:3])
    assert render_change_figure(figure, **SMALL).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize(
    "field, value",
    [
        ("after", np.zeros((60, 81, 3), dtype=np.uint8)),
        ("before", np.zeros((60, 80, 4), dtype=np.uint8)),
        ("before", np.zeros((60, 80, 3), dtype=complex)),
        ("before", np.zeros((60, 80, 3), dtype=bool)),
        ("score", np.zeros((61, 80))),
        ("score", np.zeros((60, 80), dtype=bool)),
        ("changed", np.zeros((60, 79), dtype=bool)),
        ("changed", np.zeros((60, 80), dtype=np.uint8)),
        ("site_outline", [(1.0, 2.0), (math.nan, 3.0)]),
        ("ring_outline", [(1.0, 2.0, 3.0)]),
        ("shift_px", (math.inf, 0.0)),
    ],
)
def test_bad_inputs_raise_invalid_input_naming_the_field(field, value):
    figure = make_input(**{field: value})
    with pytest.raises(InvalidInput) as raised:
        render_change_figure(figure, **SMALL)
    assert raised.value.field == field


def test_before_shape_mismatch_is_named_on_after():
    figure = make_input(before=np.zeros((60, 80), dtype=np.uint8))
    with pytest.raises(InvalidInput, match="differs from before's") as raised:
        render_change_figure(figure, **SMALL)
    assert raised.value.field == "after"


@pytest.mark.parametrize("pixel_size_m", [0.0, -1.0, math.nan, math.inf, "10 m", None])
def test_pixel_size_must_be_positive_and_finite(pixel_size_m):
    with pytest.raises(InvalidInput) as raised:
        render_change_figure(make_input(pixel_size_m=pixel_size_m), **SMALL)
    assert raised.value.field == "pixel_size_m"


@pytest.mark.parametrize("angle", [math.nan, math.inf, "north"])
def test_north_angle_must_be_a_finite_number(angle):
    with pytest.raises(InvalidInput) as raised:
        render_change_figure(make_input(north_angle_deg=angle), **SMALL)
    assert raised.value.field == "north_angle_deg"


@pytest.mark.parametrize(
    "options",
    [{"width_in": 2.0}, {"width_in": math.nan}, {"dpi": 0}, {"dpi": 72.5}, {"width_in": 200.0}],
)
def test_unusable_figure_sizes_are_refused(options):
    with pytest.raises(InvalidInput):
        render_change_figure(make_input(), **options)


@pytest.mark.parametrize(
    "panel_width_m, expected",
    [(1000.0, 200.0), (900.0, 200.0), (37_000.0, 10_000.0), (3.0, 0.5), (50.0, 10.0)],
)
def test_scale_bar_length_is_the_nearest_round_number(panel_width_m, expected):
    assert scale_bar_length_m(panel_width_m) == expected


def test_scale_bar_length_is_round_and_about_a_fifth():
    for panel_width_m in np.geomspace(0.07, 4.0e6, 97):
        length = scale_bar_length_m(float(panel_width_m))
        mantissa = length / 10.0 ** math.floor(math.log10(length))
        assert min(abs(mantissa - m) for m in (1, 2, 5)) < 1e-9, length
        assert panel_width_m / 8 <= length <= panel_width_m / 3, (panel_width_m, length)


def test_scale_bar_shows_its_round_length():
    # 80 px of 10 m: a fifth of 800 m is 160 m, so the bar is 200 m.
    fig = build_change_figure(make_input(), **SMALL)
    (label,) = artists_with_gid(fig, "scale-bar-label")
    assert label.get_text() == "200 m"
    (bar,) = artists_with_gid(fig, "scale-bar")
    assert np.ptp(bar.get_xdata()) == pytest.approx(20.0)  # 200 m in 10 m pixels


def test_length_labels():
    assert [format_length(v) for v in (0.5, 1.0, 200.0, 1000.0, 20_000.0)] == [
        "50 cm",
        "1 m",
        "200 m",
        "1 km",
        "20 km",
    ]


@pytest.mark.parametrize("angle, direction", [(0.0, (0, 1)), (90.0, (1, 0)), (180.0, (0, -1))])
def test_north_arrow_points_where_north_is(angle, direction):
    fig = build_change_figure(make_input(north_angle_deg=angle), **SMALL)
    (arrow,) = artists_with_gid(fig, "north-arrow")
    tail_x, tail_y = arrow.xyann  # offset of the tail from the tip, in points
    assert (-tail_x, -tail_y) == pytest.approx((22 * direction[0], 22 * direction[1]), abs=1e-9)
    (letter,) = artists_with_gid(fig, "north-label")
    assert letter.get_rotation() == pytest.approx((-angle) % 360)


def test_caption_says_what_the_figure_shows_and_what_it_is_not():
    text = CAPTION.lower()
    assert "what this figure shows" in text
    assert "measured difference between two" in text and "site outline" in text
    assert "what it is not" in text
    assert "not evidence of damage" in text and "cause" in text


def test_caption_is_drawn_in_full():
    fig = build_change_figure(make_input(), **SMALL)
    (caption,) = artists_with_gid(fig, "caption")
    assert " ".join(caption.get_text().split()) == CAPTION
    box = caption.get_window_extent()
    assert box.x1 <= fig.bbox.width and box.y0 >= 0
