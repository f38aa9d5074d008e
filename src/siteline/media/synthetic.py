"""Photo-like scenes of our own making, and copies of them as platforms change them, for
the tests and the benchmark of image matching.

Each scene is drawn from a seed alone (numpy and Pillow, no file read), so a test or a
benchmark can make hundreds of distinct images without shipping or downloading any: a sky
(gradient, clouds or haze, sometimes night), a horizon at a varying height, a textured
ground, a road in perspective, buildings as rectangles with windows, roofs, a few in ruin,
their shadows, rubble, and sensor noise with a slight vignette. Unrelated scenes share this
layout on purpose: matching must tell them apart although they look alike, as photos of one
street after an attack do.

CHANGES lists what happens to a re-posted copy (re-encoding, scaling, crops, borders, bars,
caption and watermark bands, a mirror image, and some of them together); each copy is saved
as a JPEG, as a platform saves an upload.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 640, 480
ORIGINAL_QUALITY = 95  # JPEG quality of an original, as a camera saves it
COPY_QUALITY = 85  # JPEG quality of a copy, as a platform re-encodes an upload
# Soil, dry grass, green field, sand, asphalt, ash: the base colours of the ground.
GROUNDS = np.array(
    [[120, 95, 70], [150, 135, 80], [85, 115, 60], [190, 170, 130], [90, 90, 95], [70, 65, 60]],
    dtype=np.float32,
)


def scene(seed: int, width: int = WIDTH, height: int = HEIGHT) -> np.ndarray:
    """The (height, width, 3) uint8 scene of `seed`: the same seed always gives the same
    pixels, different seeds unrelated scenes."""
    rng = np.random.default_rng([seed, 0x5173])
    horizon = int(height * rng.uniform(0.2, 0.65))
    canvas = np.empty((height, width, 3), dtype=np.float32)
    canvas[:horizon] = sky(rng, width, horizon)
    canvas[horizon:] = ground(rng, width, height - horizon)
    image = Image.fromarray(np.clip(canvas, 0, 255).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    road(rng, draw, width, height, horizon)
    for _ in range(int(rng.integers(2, 9))):
        building(rng, draw, width, height, horizon)
    rubble(rng, draw, width, height, horizon)
    if rng.random() < 0.5:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.2)))  # focus, motion
    return finish(rng, np.asarray(image, dtype=np.float32))


def sky(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A vertical gradient between two sky colours, with soft clouds or haze."""
    night = rng.random() < 0.15
    top = rng.uniform(5, 40, 3) if night else rng.uniform([60, 90, 150], [160, 190, 255])
    bottom = top + (rng.uniform(0, 40, 3) if night else rng.uniform(20, 90, 3))
    along = np.linspace(0.0, 1.0, max(height, 1), dtype=np.float32)[:, None, None]
    gradient = top * (1 - along) + bottom * along
    clouds = smooth_noise(rng, width, height, cells=int(rng.integers(3, 9)))
    amount = rng.uniform(0, 90) if not night else rng.uniform(0, 15)
    cover = np.clip(clouds * 1.6 - rng.uniform(0.2, 0.9), 0, 1)[..., None]
    return gradient * (1 - cover * amount / 255) + cover * amount


def ground(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Soil, grass or asphalt: a base colour with texture at several scales."""
    base = GROUNDS[int(rng.integers(len(GROUNDS)))] + rng.normal(0, 12, 3)
    texture = sum(
        smooth_noise(rng, width, height, cells=cells) * weight
        for cells, weight in ((4, 50.0), (16, 30.0), (64, 20.0))
    )
    shade = np.linspace(0.8, 1.15, max(height, 1), dtype=np.float32)[:, None]  # nearer, lighter
    return (base + (texture - 50.0)[..., None]) * shade[..., None]


def smooth_noise(rng: np.random.Generator, width: int, height: int, cells: int) -> np.ndarray:
    """Values in 0..1 that vary smoothly over about `cells` cells across the width."""
    rows = max(2, round(cells * height / max(width, 1)) + 1)
    coarse = (rng.random((rows, cells + 1)) * 255).astype(np.uint8)
    grown = Image.fromarray(coarse).resize((width, max(height, 1)), Image.Resampling.BICUBIC)
    return np.asarray(grown, dtype=np.float32) / 255.0


def road(rng, draw: ImageDraw.ImageDraw, width: int, height: int, horizon: int) -> None:
    """A road narrowing towards a vanishing point on the horizon, with a centre line."""
    if rng.random() < 0.25:
        return
    vanish = rng.uniform(0.2, 0.8) * width
    near_half = rng.uniform(0.2, 0.6) * width
    near = rng.uniform(-0.2, 0.2) * width + width / 2
    grey = int(rng.integers(40, 120))
    polygon = [(vanish - 4, horizon), (vanish + 4, horizon)]
    polygon += [(near + near_half, height), (near - near_half, height)]
    draw.polygon(polygon, fill=(grey, grey, grey + int(rng.integers(-8, 8))))
    if rng.random() < 0.6:
        draw.line([(vanish, horizon), (near, height)], fill=(220, 210, 120), width=3)


def building(rng, draw: ImageDraw.ImageDraw, width: int, height: int, horizon: int) -> None:
    """A block standing on the horizon: wall, roof, a grid of windows, a shadow beside it;
    some are half destroyed, with a jagged top."""
    wide = int(rng.uniform(0.08, 0.35) * width)
    tall = int(rng.uniform(0.15, 0.8) * max(horizon, height * 0.2))
    left = int(rng.uniform(-0.1, 1.0) * width - wide / 2)
    base = horizon + int(rng.uniform(0, 0.12) * height)
    top = base - tall
    wall = tuple(int(value) for value in rng.uniform([90, 80, 70], [235, 225, 210]))
    shadow = tuple(int(value * 0.45) for value in wall)
    depth = int(wide * rng.uniform(0.1, 0.3)) * (1 if rng.random() < 0.5 else -1)
    side = [(left + wide, top), (left + wide + depth, top + abs(depth) // 2)]
    side += [(left + wide + depth, base), (left + wide, base)]
    if depth < 0:
        side = [
            (left, top),
            (left + depth, top + abs(depth) // 2),
            (left + depth, base),
            (left, base),
        ]
    draw.polygon(side, fill=shadow)
    draw.rectangle([left, top, left + wide, base], fill=wall)
    windows(rng, draw, (left, top, left + wide, base), wall)
    if rng.random() < 0.3:
        ruin(rng, draw, (left, top, left + wide, base))
    elif rng.random() < 0.5:
        roof = tuple(int(value * 0.7) for value in rng.uniform([120, 60, 40], [200, 120, 90]))
        draw.polygon(
            [(left - 4, top), (left + wide + 4, top), (left + wide // 2, top - wide // 4)],
            fill=roof,
        )


def windows(rng, draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], wall) -> None:
    left, top, right, bottom = box
    columns, floors = int(rng.integers(2, 7)), int(rng.integers(2, 9))
    step_x, step_y = (right - left) / columns, (bottom - top) / floors
    lit = rng.random() < 0.2
    for column in range(columns):
        for floor in range(floors):
            if rng.random() < 0.1:
                continue  # a window boarded up or blown out into the wall colour
            x0, y0 = left + column * step_x + step_x * 0.25, top + floor * step_y + step_y * 0.25
            dark = int(rng.integers(15, 70))
            colour = (230, 200, 110) if lit and rng.random() < 0.4 else (dark, dark, dark + 10)
            draw.rectangle([x0, y0, x0 + step_x * 0.5, y0 + step_y * 0.5], fill=colour)


def ruin(rng, draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int]) -> None:
    """Bite a jagged hole out of the top of a building, showing a dark inside."""
    left, top, right, bottom = box
    points = [(left, top)]
    for x in np.linspace(left, right, int(rng.integers(4, 9))):
        points.append((float(x), top + rng.uniform(0.05, 0.5) * (bottom - top)))
    points.append((right, top))
    draw.polygon(points, fill=tuple(int(v) for v in rng.uniform(20, 60, 3)))


def rubble(rng, draw: ImageDraw.ImageDraw, width: int, height: int, horizon: int) -> None:
    """Scattered debris on the ground in front of the buildings."""
    for _ in range(int(rng.integers(0, 40))):
        x, y = rng.uniform(0, width), rng.uniform(horizon, height)
        size = rng.uniform(2, 6) * (1 + 3 * (y - horizon) / max(height - horizon, 1))
        grey = int(rng.integers(50, 200))
        draw.ellipse([x, y, x + size * 1.6, y + size], fill=(grey, grey - 8, grey - 16))


def finish(rng: np.random.Generator, pixels: np.ndarray) -> np.ndarray:
    """A camera's touch: light falling from one side, a vignette, sensor noise."""
    height, width = pixels.shape[:2]
    rows, cols = np.mgrid[0:height, 0:width].astype(np.float32)
    slope = rng.uniform(-0.25, 0.25)
    light = 1.0 + slope * (cols / width - 0.5)
    radius = ((rows / height - 0.5) ** 2 + (cols / width - 0.5) ** 2) ** 0.5
    vignette = 1.0 - rng.uniform(0.0, 0.5) * radius**2
    noise = rng.normal(0.0, rng.uniform(1.0, 6.0), pixels.shape).astype(np.float32)
    shaded = pixels * (light * vignette)[..., None] + noise
    return np.clip(shaded, 0, 255).astype(np.uint8)


def scenes(count: int, first_seed: int = 0) -> list[np.ndarray]:
    """`count` unrelated scenes, seeds first_seed, first_seed + 1, …"""
    return [scene(seed) for seed in range(first_seed, first_seed + count)]


# Copies as they come back from social media: each takes the original's pixels and a
# random generator (for the amounts that vary from copy to copy) and gives the copy's pixels.

CAPTIONS = (
    "BREAKING: strike on the hospital this morning",
    "Shared from a local channel - do not repost",
    "Hospital entrance after the shelling, 14:20",
    "Eyewitness video still, northern district",
    "URGENT  medical staff evacuated",
)
BAND_COLOURS = ((255, 255, 255), (0, 0, 0), (200, 20, 30), (250, 210, 0), (20, 60, 160))


def crop(rgb: np.ndarray, top: float, bottom: float, left: float, right: float) -> np.ndarray:
    """Cut the given share of the height (top, bottom) and width (left, right)."""
    height, width = rgb.shape[:2]
    return rgb[
        round(height * top) : height - round(height * bottom),
        round(width * left) : width - round(width * right),
    ]


def pad(rgb: np.ndarray, vertical: int, horizontal: int, colour) -> np.ndarray:
    """Add `vertical` rows above and below and `horizontal` columns left and right."""
    height, width = rgb.shape[:2]
    out = np.empty((height + 2 * vertical, width + 2 * horizontal, 3), dtype=np.uint8)
    out[:] = np.asarray(colour, dtype=np.uint8)
    out[vertical : vertical + height, horizontal : horizontal + width] = rgb
    return out


def frame_to_aspect(rgb: np.ndarray, aspect: float, colour=(0, 0, 0)) -> np.ndarray:
    """Bars of `colour` that frame the picture at width / height = `aspect`: above and
    below when the frame is taller (letterbox), left and right when wider (pillarbox)."""
    height, width = rgb.shape[:2]
    if width / height > aspect:
        return pad(rgb, round((width / aspect - height) / 2), 0, colour)
    return pad(rgb, 0, round((height * aspect - width) / 2), colour)


def scale(rgb: np.ndarray, factor: float) -> np.ndarray:
    height, width = rgb.shape[:2]
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    return np.asarray(Image.fromarray(rgb).resize(size, Image.Resampling.LANCZOS))


def caption_band(rgb: np.ndarray, rng: np.random.Generator, at_top: bool) -> np.ndarray:
    """A band of one colour, 8–15 % of the height, added above or below, with a caption in
    Pillow's default font."""
    height, width = rgb.shape[:2]
    band_height = round(height * rng.uniform(0.08, 0.15))
    colour = BAND_COLOURS[int(rng.integers(len(BAND_COLOURS)))]
    band = Image.new("RGB", (width, band_height), colour)
    ink = (0, 0, 0) if sum(colour) > 400 else (255, 255, 255)
    write(band, CAPTIONS[int(rng.integers(len(CAPTIONS)))], ink, band_height)
    parts = [np.asarray(band), rgb] if at_top else [rgb, np.asarray(band)]
    return np.concatenate(parts, axis=0)


def caption_over(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A caption band of 8–15 % of the height printed over the top of the picture, hiding
    what was there (the picture keeps its size)."""
    banded = caption_band(rgb, rng, at_top=True)
    band_height = banded.shape[0] - rgb.shape[0]
    out = rgb.copy()
    out[:band_height] = banded[:band_height]
    return out


def watermark_band(rgb: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A half-transparent dark band over the lower 8–15 % of the picture, with white text."""
    height, width = rgb.shape[:2]
    band_height = round(height * rng.uniform(0.08, 0.15))
    image = Image.fromarray(rgb).convert("RGBA")
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(overlay).rectangle(
        [0, height - band_height, width, height], fill=(0, 0, 0, int(rng.integers(100, 170)))
    )
    band = overlay.crop((0, height - band_height, width, height))
    write(
        band,
        "@" + CAPTIONS[int(rng.integers(len(CAPTIONS)))][:24],
        (255, 255, 255, 230),
        band_height,
    )
    overlay.paste(band, (0, height - band_height))
    return np.asarray(Image.alpha_composite(image, overlay).convert("RGB"))


def write(band: Image.Image, text: str, ink, band_height: int) -> None:
    """Write `text` in the band, left-aligned and centred vertically, in Pillow's default
    font at half the band's height."""
    font = ImageFont.load_default(size=max(8, band_height // 2))
    top = (band_height - font.size) // 2
    ImageDraw.Draw(band).text((band_height // 3, top), text, fill=ink, font=font)


@dataclass(frozen=True)
class Change:
    """A change a re-posted copy goes through: its name, how it changes the pixels (from
    the original's pixels and a generator for the amounts that vary), and the JPEG quality
    the copy is saved at (platforms re-encode every upload)."""

    name: str
    make: Callable[[np.ndarray, np.random.Generator], np.ndarray]
    quality: int = COPY_QUALITY


def one_side(rgb: np.ndarray, rng: np.random.Generator, share: float) -> np.ndarray:
    """Cut `share` of one side, chosen at random."""
    sides = [0.0, 0.0, 0.0, 0.0]
    sides[int(rng.integers(4))] = share
    return crop(rgb, *sides)


def random_colour(rng: np.random.Generator) -> tuple[int, int, int]:
    return tuple(int(value) for value in rng.integers(0, 256, 3))


def bordered(rgb: np.ndarray, share: float, colour) -> np.ndarray:
    """A border of `share` of the height above and below, of the width left and right."""
    return pad(rgb, round(rgb.shape[0] * share), round(rgb.shape[1] * share), colour)


CHANGES = (
    Change("re-encoded, JPEG q=60", lambda rgb, rng: rgb, 60),
    Change("scaled to 50 %", lambda rgb, rng: scale(rgb, 0.5)),
    Change("cropped 5 % per side", lambda rgb, rng: crop(rgb, 0.05, 0.05, 0.05, 0.05)),
    Change("cropped 10 % per side", lambda rgb, rng: crop(rgb, 0.1, 0.1, 0.1, 0.1)),
    Change("cropped 10 % on one side", lambda rgb, rng: one_side(rgb, rng, 0.1)),
    Change("cropped 0-10 % per side, random", lambda rgb, rng: crop(rgb, *rng.uniform(0, 0.1, 4))),
    Change("10 % black border", lambda rgb, rng: bordered(rgb, 0.1, (0, 0, 0))),
    Change("10 % white border", lambda rgb, rng: bordered(rgb, 0.1, (255, 255, 255))),
    Change("10 % border, random colour", lambda rgb, rng: bordered(rgb, 0.1, random_colour(rng))),
    Change("letterbox: bars above/below (9:16)", lambda rgb, rng: frame_to_aspect(rgb, 9 / 16)),
    Change("pillarbox: bars left/right (16:9)", lambda rgb, rng: frame_to_aspect(rgb, 16 / 9)),
    Change("caption band added above", lambda rgb, rng: caption_band(rgb, rng, at_top=True)),
    Change("caption band added below", lambda rgb, rng: caption_band(rgb, rng, at_top=False)),
    Change("caption band over the top", caption_over),
    Change("watermark band over the bottom", watermark_band),
    Change("mirrored", lambda rgb, rng: np.ascontiguousarray(rgb[:, ::-1])),
    Change("cropped 5 % + JPEG q=60", lambda rgb, rng: crop(rgb, 0.05, 0.05, 0.05, 0.05), 60),
    Change(
        "cropped 5 % + caption band added below",
        lambda rgb, rng: caption_band(crop(rgb, 0.05, 0.05, 0.05, 0.05), rng, at_top=False),
    ),
    Change(
        "10 % black border + scaled to 50 %",
        lambda rgb, rng: scale(bordered(rgb, 0.1, (0, 0, 0)), 0.5),
    ),
)


def jpeg_bytes(rgb: np.ndarray, quality: int) -> bytes:
    """The pixels saved as a JPEG file of `quality` (4:2:0, as cameras and platforms do)."""
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(out, "JPEG", quality=quality)
    return out.getvalue()
