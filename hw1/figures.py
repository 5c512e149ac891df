"""Every figure of the report, drawn from saved results (the only module that uses matplotlib).

Each `draw_partN(stored, artifacts_dir, figures_dir)` returns {name: Figure}. Figures are saved at
their print size (inches), so font sizes in points are what the reader sees on paper; the report
shows each image at `width_in`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors  # noqa: E402

from .storage import atomic_path  # noqa: E402

DPI = 200
STYLE = {
    "font.size": 8,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8,
    "xtick.labelsize": 7,
    "ytick.labelsize": 7,
    "legend.fontsize": 7,
    "figure.titlesize": 9,
    "axes.grid": False,
    "mathtext.fontset": "cm",
    "savefig.dpi": DPI,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
# One palette for the whole report: blue = L2 / class 0 / training, orange = CE / class 1 / test.
BLUE, ORANGE, GREEN, RED, GREY = "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#7f7f7f"


@dataclass(frozen=True)
class Figure:
    path: str  # relative to the output folder, e.g. "figures/part1_output.png"
    width_in: float


def _save(fig: plt.Figure, figures_dir: Path, name: str) -> Figure:
    figures_dir.mkdir(parents=True, exist_ok=True)
    target = figures_dir / f"{name}.png"
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.03)
    width = fig.get_size_inches()[0]
    plt.close(fig)
    return Figure(path=f"{figures_dir.name}/{target.name}", width_in=round(float(width), 2))


# ----------------------------------------------------------------------------------------- Part 1

_PART1_SURFACES = {
    # name: (z label, colour map, symmetric colour scale around 0?)
    "output": (r"$\hat{y} = \sigma(wx + b)$", "viridis", False),
    "l2_loss": (r"$\mathcal{L}_{L2}$", "viridis", False),
    "l2_grad_w": (r"$\partial \mathcal{L}_{L2} / \partial w$", "coolwarm", True),
    "ce_loss": (r"$\mathcal{L}_{CE}$", "viridis", False),
    "ce_grad_w": (r"$\partial \mathcal{L}_{CE} / \partial w$", "coolwarm", True),
}


def draw_part1(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    arrays = np.load(artifacts_dir / stored.result.artifact)
    w, b = arrays["w"], arrays["b"]
    w_grid, b_grid = np.meshgrid(w, b, indexing="xy")
    # Both gradients share one z-range and colour scale so their sizes compare at a glance.
    grad_limit = max(np.abs(arrays["l2_grad_w"]).max(), np.abs(arrays["ce_grad_w"]).max())
    figures = {}
    with plt.style.context(["default", STYLE]):
        for name, (zlabel, cmap, symmetric) in _PART1_SURFACES.items():
            z = arrays[name]
            fig = plt.figure(figsize=(3.3, 2.9))
            ax = fig.add_subplot(projection="3d")
            if symmetric:
                norm = colors.Normalize(-grad_limit, grad_limit)
                ax.set_zlim(-grad_limit, grad_limit)
            else:
                norm = colors.Normalize(z.min(), z.max())
            # 60 x 60 facets: smooth at print size and fast to draw (matplotlib would otherwise
            # downsample to 50 x 50 silently).
            ax.plot_surface(w_grid, b_grid, z, cmap=cmap, norm=norm, rcount=60, ccount=60,
                            linewidth=0, antialiased=False)
            ax.set_xlabel("weight $w$", labelpad=-2)
            ax.set_ylabel("bias $b$", labelpad=-2)
            ax.set_zlabel(zlabel, labelpad=0)
            ax.set_xlim(w[0], w[-1])
            ax.set_ylim(b[0], b[-1])
            ax.tick_params(pad=-1)
            ax.view_init(elev=25, azim=-60)
            ax.set_box_aspect(None, zoom=0.88)
            figures[name] = _save(fig, figures_dir, f"part1_{name}")

        # Slice along b = 0: the two gradients against w on one axis, where the difference is plain.
        row = int(np.argmin(np.abs(b)))
        fig, ax = plt.subplots(figsize=(3.6, 2.3))
        ax.plot(w, arrays["l2_grad_w"][row], color=BLUE, label=r"$\partial\mathcal{L}_{L2}/\partial w$")
        ax.plot(w, arrays["ce_grad_w"][row], color=ORANGE, label=r"$\partial\mathcal{L}_{CE}/\partial w$")
        ax.axhline(0, color=GREY, linewidth=0.6)
        ax.set_xlim(w[0], w[-1])
        ax.set_ylim(-grad_limit * 1.1, grad_limit * 1.1)
        ax.set_xlabel("weight $w$ (bias $b = 0$, so $z = w$)")
        ax.set_ylabel("gradient w.r.t. $w$")
        ax.legend(frameon=False, loc="upper left")
        figures["grad_slice"] = _save(fig, figures_dir, "part1_grad_slice")
    return figures
