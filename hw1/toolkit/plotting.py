"""What every part's figures share: the style, the palette, saving at print size, and MNIST digits.

Each part's `figures.draw(stored, artifacts_dir, figures_dir)` returns {name: Figure}. Figures are saved at
their print size (inches), so font sizes in points are what the reader sees on paper; the report
shows each image at `width_in`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib
import matplotlib.font_manager
import PIL.Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

from ..store.storage import atomic_path  # noqa: E402

DPI = 200
FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"
# The body's typeface in the figures too: Latin Modern Roman (shipped in hw1/fonts) for text, and
# matplotlib's own Computer Modern for math, the family Latin Modern was drawn from.
for _font in sorted(FONTS_DIR.glob("lmroman10-*.otf")):
    matplotlib.font_manager.fontManager.addfont(str(_font))
SERIF = "Latin Modern Roman"
# Sizes close to the captions' 9.5 pt: labels and titles at 9 pt, ticks, legends and annotations at 8 pt
# (never below the report's smallest text, its 7.5 pt configuration tables).
SMALLEST = 8.0
STYLE = {
    "font.family": "serif",
    "font.serif": [SERIF, "DejaVu Serif"],
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "xtick.labelsize": SMALLEST,
    "ytick.labelsize": SMALLEST,
    "legend.fontsize": SMALLEST,
    "figure.titlesize": 9,
    "axes.grid": False,
    "mathtext.fontset": "cm",
    "mathtext.rm": "serif",
    "axes.unicode_minus": True,
    "axes.formatter.use_mathtext": False,
    "savefig.dpi": DPI,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# One palette for the whole report: blue = L2 / class 0 / training, orange = CE / class 1 / test.
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


@dataclass(frozen=True)
class Figure:
    path: str  # relative to the output folder, e.g. "figures/part1_output.png"
    width_in: float  # the width it was drawn for (and is shown at), inches


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an .npz artifact (no pickles allowed), with the file closed again."""
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def save_figure(fig: plt.Figure, figures_dir: Path, name: str) -> Figure:
    figures_dir.mkdir(parents=True, exist_ok=True)
    target = figures_dir / f"{name}.png"
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.03)
        with PIL.Image.open(tmp) as image:
            # The tight bounding box changes the size: show the image at the size it was drawn for.
            width = image.size[0] / DPI
    plt.close(fig)
    return Figure(path=f"{figures_dir.name}/{target.name}", width_in=round(float(width), 2))



def confidence_label(probability: float) -> str:
    """A softmax confidence in whole percent, never rounded up to a certainty it is not: 0.996 is ">99%"."""
    return f"{probability:.0%}" if probability < 0.995 else ">99%"


def draw_digit(ax, image: np.ndarray) -> None:
    """An MNIST image on the fixed grey scale of the model's input range [-1, 1]."""
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
