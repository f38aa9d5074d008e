"""Photo-like scenes of our own making, for tests and benchmarks of image matching.

Each scene is drawn from a seed alone (numpy and Pillow, no file read), so a test or a
benchmark can make hundreds of distinct images without shipping or downloading any: a sky
(gradient, clouds or haze, sometimes night), a horizon at a varying height, a textured
ground, a road in perspective, buildings as rectangles with windows, roofs, a few in ruin,
their shadows, rubble, and sensor noise with a slight vignette. Unrelated scenes share this
layout on purpose: matching must tell them apart although they look alike, as photos of one
street after an attack do.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

WIDTH, HEIGHT = 640, 480
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
