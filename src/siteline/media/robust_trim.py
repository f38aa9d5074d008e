"""Cutting what copies add around a picture: flat borders of any colour and caption bands.

A copy re-posted on social media often carries a border (black bars, a white or coloured
frame, letterbox bars) or a caption band (a strip of one colour with text in it) added
above or below the picture. PDQ sees those as part of the picture; cutting them first gives
the copy and its original the same picture to hash.

`borders.trim_borders` cuts near-black bars only; this cuts any flat colour, and caption
bands, for the `trimmed` variant of a hash set. From each edge, the colour of the outermost
line (its median) is the border's colour. A line is flat when at least FLAT_SHARE of its
pixels are within TOLERANCE of that colour. What is cut:

- a border: the flat lines from the edge, when the picture starts sharply after them
  (within SHARP_EDGE of the side, most pixels are far from the colour). A sky that drifts
  slowly from the colour of its top row does not end sharply, so it is not cut;
- a caption band (top and bottom only): lines from the edge that keep at least BAND_SHARE
  of the colour (letters on the band), up to a flat line (the band's margin below the
  letters) after which the picture starts sharply, within MAX_BAND of the height.

When nothing ends sharply, the same is tried again with STRICT_TOLERANCE: black bars above
a night sky are both dark, but padding is flat to the last bit where a sky has grain.

No side is cut to less than MIN_KEPT of its length. The cut is repeated until nothing more
is cut (a caption band added to a framed copy, or bars added to a copy with a caption), at
most MAX_ROUNDS times.
"""

from __future__ import annotations

import numpy as np

TOLERANCE = 20  # per channel, of the border's colour: lossy coding moves a flat band this much
STRICT_TOLERANCE = 6  # the same, for padding next to a picture of nearly its colour
FLAT_SHARE = 0.97  # of a border line's pixels near its colour; a speck or ringing may differ
BAND_SHARE = 0.2  # of a line through a caption's letters that keeps the band's colour (or more)
PICTURE_SHARE = 0.5  # of a line of the picture, at most, that has the border's colour
MAX_BAND = 0.2  # of the height: captions are short; a longer run is scenery
MIN_KEPT = 0.25  # of each side: a picture is never cut to less
MAX_ROUNDS = 3
SHARP_EDGE = 0.02  # of the side: the edge between a border and the picture is this narrow


def trim_flat_edges(rgb: np.ndarray) -> np.ndarray:
    """The (H, W, 3) picture without flat borders (all sides) and caption bands (top and
    bottom): a view of `rgb`, the whole of it when nothing is cut."""
    height, width = rgb.shape[:2]
    top, bottom, left, right = 0, height, 0, width
    for _ in range(MAX_ROUNDS):
        view = rgb[top:bottom, left:right]
        columns = view.transpose(1, 0, 2)
        above, below = kept_cuts(
            edge_cut(view, bands=True), edge_cut(view[::-1], bands=True), bottom - top, height
        )
        before, after = kept_cuts(
            edge_cut(columns, bands=False),
            edge_cut(columns[::-1], bands=False),
            right - left,
            width,
        )
        if not (above or below or before or after):
            break
        top, bottom, left, right = top + above, bottom - below, left + before, right - after
    return rgb[top:bottom, left:right]


def kept_cuts(first: int, last: int, length: int, full: int) -> tuple[int, int]:
    """The cuts at both ends of a side, or none when they would leave less than MIN_KEPT
    of its full length (a dark or blank picture is not all border)."""
    return (first, last) if length - first - last >= MIN_KEPT * full else (0, 0)


def edge_cut(lines: np.ndarray, *, bands: bool) -> int:
    """How many of the leading lines of `lines` (L, N, 3) to cut: a flat border, or with
    `bands` a caption band; 0 when neither ends sharply. A border next to a picture of
    nearly its colour (black bars above a night sky) is told apart with STRICT_TOLERANCE:
    padding is flat to the last bit, a sky has grain."""
    reference = np.median(lines[0], axis=0).astype(np.int16)
    for tolerance in (TOLERANCE, STRICT_TOLERANCE):
        near = near_shares_from_edge(lines, reference, tolerance)
        cut = cut_from_shares(near, len(lines), bands=bands)
        if cut:
            return cut
    return 0


def near_shares_from_edge(lines: np.ndarray, reference: np.ndarray, tolerance: int) -> np.ndarray:
    """The share of each leading line's pixels near `reference`, as deep as a band can go
    and further only where a border runs that far (most edges are picture from the first
    line)."""
    depth = max(1, int(len(lines) * (1 - MIN_KEPT)))
    edge_width = sharp_edge_lines(len(lines))
    first = min(depth, int(MAX_BAND * len(lines)) + edge_width)
    near = near_shares(lines[:first], reference, tolerance)
    if leading_run(near >= FLAT_SHARE) >= first - edge_width and first < depth:
        near = near_shares(lines[:depth], reference, tolerance)
    return near


def cut_from_shares(near: np.ndarray, length: int, *, bands: bool) -> int:
    """The lines to cut given each leading line's share of the border's colour."""
    flat = near >= FLAT_SHARE
    border = leading_run(flat)
    if bands and border:
        # A band: lines of its colour with letters on it, up to a last flat line (its
        # margin below the letters) after which the picture starts sharply.
        within = min(leading_run(near >= BAND_SHARE), int(MAX_BAND * length))
        for end in range(within, border, -1):
            if flat[end - 1] and ends_sharply(near, end, length):
                return end
    return border if ends_sharply(near, border, length) else 0


def near_shares(lines: np.ndarray, reference: np.ndarray, tolerance: int) -> np.ndarray:
    """For each line, the share of its pixels within `tolerance` of `reference` in every
    channel."""
    difference = np.abs(lines.astype(np.int16) - reference).max(axis=2)
    return (difference <= tolerance).mean(axis=1)


def ends_sharply(near: np.ndarray, run: int, length: int) -> bool:
    """Whether the picture starts right after the first `run` lines: within a few lines
    (SHARP_EDGE of the length, for lossy coding's ringing) most pixels are far from the
    border's colour. A sky that slowly drifts from that colour does not end sharply."""
    if run == 0 or run >= len(near):
        return False
    after = near[run : run + sharp_edge_lines(length)]
    return bool(after.min() < PICTURE_SHARE)


def sharp_edge_lines(length: int) -> int:
    return max(2, round(SHARP_EDGE * length))


def leading_run(flags: np.ndarray) -> int:
    """How many of the first flags are set, in a row."""
    unset = np.flatnonzero(~flags)
    return int(unset[0]) if len(unset) else len(flags)
