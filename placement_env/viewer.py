"""Pictures of an env's state: legal cells, fixed blocks, placed macros and ports.

:class:`GridViewer` is the env's viewer part (passed in as ``viewer=``): :meth:`GridViewer.picture`
draws an ``(H, W, 3)`` uint8 array (``render_mode="rgb_array"``), :meth:`GridViewer.show` draws it
in a matplotlib window (``"human"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from netlists import NodeKind, Placement
from placement_env.grid import Grid
from placement_env.problem import MacroProblem

#: RGB colours of the picture.
COLOURS = {
    "background": (255, 255, 255),
    "fixed": (120, 120, 120),
    "macro": (52, 101, 164),
    "legal": (200, 235, 200),
    "port": (204, 0, 0),
}


@dataclass
class GridViewer:
    """Draws a macro problem's sub-netlist placement on its canvas.

    Attributes:
        pixels: Length of the picture's longer side (pixels).
        fps: Frames per second of the ``"human"`` window.
    """

    pixels: int = 256
    fps: float = 30.0
    _figure: Any = field(default=None, init=False, repr=False)
    _image: Any = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        if int(self.pixels) <= 0 or not self.fps > 0:
            raise ValueError(
                f"viewer needs positive pixels and fps, got {self.pixels} and {self.fps}"
            )

    def picture(
        self,
        problem: MacroProblem,
        grid: Grid,
        placement: Placement,
        legal: np.ndarray | None = None,
    ) -> np.ndarray:
        """(H, W, 3) uint8: legal cells (when ``legal`` is given), fixed blocks, the macros of
        ``placement`` (a sub-netlist placement) outlined, and ports as dots. Row 0 of the array is
        the top of the canvas."""
        nl = problem.sub
        canvas = problem.netlist.canvas
        origin = np.array([canvas.x_min, canvas.y_min])
        scale = self.pixels / max(canvas.width, canvas.height)
        height = max(int(round(canvas.height * scale)), 1)
        width = max(int(round(canvas.width * scale)), 1)
        image = np.empty((height, width, 3), dtype=np.uint8)
        image[:] = COLOURS["background"]
        if legal is not None:
            rows = np.minimum(
                (np.arange(height)[::-1] + 0.5) * grid.rows // height, grid.rows - 1
            ).astype(np.int64)
            cols = np.minimum((np.arange(width) + 0.5) * grid.cols // width, grid.cols - 1).astype(
                np.int64
            )
            image[legal[rows[:, None], cols[None, :]]] = COLOURS["legal"]
        blocks = np.flatnonzero(placement.placed & (nl.node_kinds != int(NodeKind.PORT)))
        is_macro = np.isin(blocks, problem.local)
        foot = placement.footprints(nl, blocks)
        low = (placement.positions[blocks] - foot / 2 - origin) * scale
        high = (placement.positions[blocks] + foot / 2 - origin) * scale
        for (x0, y0), (x1, y1), macro in zip(low, high, is_macro, strict=True):
            c0, c1 = int(max(np.floor(x0), 0)), int(min(np.ceil(x1), width))
            r0, r1 = int(max(height - np.ceil(y1), 0)), int(min(height - np.floor(y0), height))
            if c1 > c0 and r1 > r0:
                image[r0:r1, c0:c1] = COLOURS["macro" if macro else "fixed"]
                if macro and r1 - r0 > 2 and c1 - c0 > 2:  # outline so abutting macros show
                    image[r0, c0:c1] = image[r1 - 1, c0:c1] = 255
                    image[r0:r1, c0] = image[r0:r1, c1 - 1] = 255
        ports = np.flatnonzero(placement.placed & (nl.node_kinds == int(NodeKind.PORT)))
        if len(ports):
            xy = (placement.positions[ports] - origin) * scale
            px = np.clip(xy[:, 0].astype(np.int64), 0, width - 1)
            py = np.clip(height - 1 - xy[:, 1].astype(np.int64), 0, height - 1)
            image[py, px] = COLOURS["port"]
        return image

    def show(self, image: np.ndarray, title: str) -> None:
        """Draws ``image`` in a matplotlib window named ``title`` (opened on first use)."""
        import matplotlib.pyplot as plt

        if self._figure is None:
            plt.ion()
            self._figure = plt.figure(title)
            self._image = self._figure.gca().imshow(image)
            self._figure.gca().set_axis_off()
        else:
            self._image.set_data(image)
        self._figure.canvas.draw_idle()
        plt.pause(1.0 / self.fps)

    def close(self) -> None:
        """Closes the window, if any."""
        if self._figure is not None:
            import matplotlib.pyplot as plt

            plt.close(self._figure)
            self._figure = None
