"""Reading saved pictures back in tests: decoded pixels, matplotlib's colours, one colour's blobs.

The picture tests import this module by name (pytest puts ``tests/``, the folder of the root
``conftest.py``, on ``sys.path``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read_rgb(path: str | Path) -> np.ndarray:
    """(height, width, 3) int RGB values 0..255 of the PNG at ``path`` (asserts it is a PNG)."""
    import matplotlib.image

    path = Path(path)
    assert path.read_bytes()[:8] == PNG_MAGIC, f"{path} is not a PNG"
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[2] in (3, 4), pixels.shape
    if pixels.dtype != np.uint8:
        pixels = np.round(pixels * 255)
    return pixels[..., :3].astype(np.int64)


def rgb(colour) -> np.ndarray:
    """(3,) float RGB 0..255 of a matplotlib colour (``"#d95f02"``, a name or an RGBA tuple)."""
    from matplotlib.colors import to_rgb

    return np.array(to_rgb(colour)) * 255


def over(colour, alpha: float, under=(255.0, 255.0, 255.0)) -> np.ndarray:
    """The RGB a fill of ``colour`` with ``alpha`` shows over ``under`` (white by default)."""
    return alpha * rgb(colour) + (1 - alpha) * np.asarray(under, dtype=float)


def colour_counts(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ``(k, 3)`` distinct RGB colours of ``image`` and how many pixels show each."""
    codes, counts = np.unique(
        (image[..., 0] << 16) | (image[..., 1] << 8) | image[..., 2], return_counts=True
    )
    return np.stack([codes >> 16, (codes >> 8) & 255, codes & 255], axis=1), counts


def distinct_colours(image: np.ndarray) -> int:
    """How many different RGB colours ``image`` holds."""
    return len(colour_counts(image)[1])


def matching(image: np.ndarray, colour: np.ndarray, tol: float = 6) -> np.ndarray:
    """(height, width) bool: the pixels within ``tol`` of ``colour`` in every channel."""
    return (np.abs(image - np.asarray(colour, dtype=float)) <= tol).all(axis=-1)


@dataclass(frozen=True)
class Blob:
    """A connected region of pixels: its pixel count, bounding box and centre (row, col)."""

    pixels: int
    rows: tuple[int, int]
    cols: tuple[int, int]

    @property
    def height(self) -> int:
        return self.rows[1] - self.rows[0]

    @property
    def width(self) -> int:
        return self.cols[1] - self.cols[0]

    @property
    def centre(self) -> np.ndarray:
        """(row, col) centre of the bounding box (rows grow downwards)."""
        return np.array([sum(self.rows) / 2, sum(self.cols) / 2])


def blobs(mask: np.ndarray, min_pixels: int = 1) -> list[Blob]:
    """The connected regions of ``mask`` with at least ``min_pixels`` pixels, largest first."""
    from scipy import ndimage

    labels, count = ndimage.label(mask)
    found = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        pixels = int((labels[box] == index).sum())
        if pixels >= min_pixels:
            rows, cols = box
            found.append(Blob(pixels, (rows.start, rows.stop), (cols.start, cols.stop)))
    return sorted(found, key=lambda blob: -blob.pixels)
