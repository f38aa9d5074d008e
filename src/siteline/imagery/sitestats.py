"""What a change mask says about a site: the changed share inside it against the ring
around it, how unusual that is, and the changed objects with their sizes.

Changed pixels come in clumps (a roof, a crater, a field), so a test that counted pixels
as independent draws would find almost any difference "significant". The test here asks
instead how often a patch of the ring the size of the site changes as much as the site:
square blocks of the site's area are laid over the ring, each half a block from the next
(overlapping, so that a narrow ring still yields enough of them), and the p-value is the
share of blocks (counting the site itself) whose changed share is at least the site's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import fisher_exact
from skimage.measure import label, regionprops

# A changed region counts as an object from this many pixels; smaller ones are noise.
MIN_OBJECT_PIXELS = 4
# Round, compact and small: what a crater or a burnt-out vehicle looks like from above.
CRATER_MAX_ECCENTRICITY = 0.8
CRATER_MIN_SOLIDITY = 0.85
CRATER_DIAMETER_M = (1.0, 40.0)
MAX_OBJECTS = 50


@dataclass
class ChangeCounts:
    """Pixels valid and changed inside the site and inside the ring, added window by window."""

    site_valid: int = 0
    site_changed: int = 0
    ring_valid: int = 0
    ring_changed: int = 0

    def add(self, changed: np.ndarray, valid: np.ndarray, site: np.ndarray, ring: np.ndarray):
        self.site_valid += int(np.count_nonzero(valid & site))
        self.site_changed += int(np.count_nonzero(changed & valid & site))
        self.ring_valid += int(np.count_nonzero(valid & ring))
        self.ring_changed += int(np.count_nonzero(changed & valid & ring))

    @property
    def site_fraction(self) -> float | None:
        return self.site_changed / self.site_valid if self.site_valid else None

    @property
    def ring_fraction(self) -> float | None:
        return self.ring_changed / self.ring_valid if self.ring_valid else None


def block_fractions(
    changed: np.ndarray, valid: np.ndarray, ring: np.ndarray, side: int
) -> list[float]:
    """The changed share of each block of 2 × (side // 2) pixels a side, laid every half
    side, row by row, that lies mostly (≥ 75 %) in the ring and valid."""
    half = max(1, side // 2)
    usable = valid & ring
    in_ring = _pairs_of_cells(_cell_sums(usable, half))
    changed_in_ring = _pairs_of_cells(_cell_sums(changed & usable, half))
    keep = in_ring >= 0.75 * (2 * half) ** 2
    return (changed_in_ring[keep] / in_ring[keep]).tolist()


def _cell_sums(mask: np.ndarray, half: int) -> np.ndarray:
    """Counts of True in each half × half cell (the partial cells at the edges left out)."""
    rows, cols = mask.shape[0] // half, mask.shape[1] // half
    cells = mask[: rows * half, : cols * half].reshape(rows, half, cols, half)
    return cells.sum(axis=(1, 3), dtype=np.int32)


def _pairs_of_cells(cells: np.ndarray) -> np.ndarray:
    """Each block of 2 × 2 cells: a block every cell, one pass over the window for all."""
    return cells[:-1, :-1] + cells[1:, :-1] + cells[:-1, 1:] + cells[1:, 1:]


def site_test(counts: ChangeCounts, ring_blocks: list[float]) -> dict:
    """The site against the ring: both shares, the block test and, for reference only,
    Fisher's exact test on pixel counts (which takes pixels as independent: too eager)."""
    site, ring = counts.site_fraction, counts.ring_fraction
    result = {
        "site_changed_fraction": site,
        "ring_changed_fraction": ring,
        "site_pixels": counts.site_valid,
        "ring_pixels": counts.ring_valid,
        "ring_blocks": len(ring_blocks),
        "block_p_value": None,
        "pixel_fisher_p_value": None,
    }
    if site is None or ring is None:
        return result
    at_least = sum(1 for fraction in ring_blocks if fraction >= site)
    result["block_p_value"] = (1 + at_least) / (1 + len(ring_blocks))
    table = [
        [counts.site_changed, counts.site_valid - counts.site_changed],
        [counts.ring_changed, counts.ring_valid - counts.ring_changed],
    ]
    result["pixel_fisher_p_value"] = float(fisher_exact(table, alternative="greater").pvalue)
    return result


def site_block_side(site_pixels: float) -> int:
    """The side of a square block with the site's area, in pixels (at least 4)."""
    return max(4, round(math.sqrt(max(site_pixels, 1.0))))


def changed_objects(
    changed: np.ndarray, pixel_size_m: float, to_map, offset: tuple[int, int] = (0, 0)
) -> list[dict]:
    """The connected changed regions of at least MIN_OBJECT_PIXELS pixels, largest first:
    where (grid row/col and map x/y), how large, and whether crater-like."""
    if not changed.any():  # most windows of a large grid: no labelling to do
        return []
    regions = regionprops(_largest_regions(label(changed, connectivity=2)))
    regions.sort(key=lambda region: (-region.area, region.centroid))
    found = []
    for region in regions[:MAX_OBJECTS]:
        row, col = region.centroid
        row, col = row + offset[0], col + offset[1]
        x, y = to_map(col + 0.5, row + 0.5)
        area_m2 = float(region.area) * pixel_size_m**2
        diameter_m = float(region.equivalent_diameter_area) * pixel_size_m
        found.append(
            {
                "row": round(row, 2),
                "col": round(col, 2),
                "x": round(x, 3),
                "y": round(y, 3),
                "area_m2": round(area_m2, 2),
                "diameter_m": round(diameter_m, 2),
                "crater_like": _crater_like(region, diameter_m),
            }
        )
    return found


def _largest_regions(labels: np.ndarray) -> np.ndarray:
    """The labelled regions of at least MIN_OBJECT_PIXELS pixels, only the MAX_OBJECTS largest
    (and any the same size as the last of them) kept: a noisy change map holds tens of
    thousands of specks, and measuring each would take longer than the whole compare."""
    areas = np.bincount(labels.ravel())
    areas[0] = 0  # the background
    chosen = np.flatnonzero(areas >= MIN_OBJECT_PIXELS)
    if chosen.size > MAX_OBJECTS:
        smallest_kept = np.sort(areas[chosen])[-MAX_OBJECTS]
        chosen = chosen[areas[chosen] >= smallest_kept]
    if chosen.size == areas.size - 1:  # every region is kept
        return labels
    keep = np.zeros(areas.size, bool)
    keep[chosen] = True
    return np.where(keep[labels], labels, 0)


def _crater_like(region, diameter_m: float) -> bool:
    low, high = CRATER_DIAMETER_M
    return bool(
        low <= diameter_m <= high
        and region.eccentricity <= CRATER_MAX_ECCENTRICITY
        and region.solidity >= CRATER_MIN_SOLIDITY
    )
