"""Part 1's figures: the surfaces over the (w, b) grid and a slice of the gradients."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colors

from ...toolkit.plotting import (
    BLUE,
    GREY,
    ORANGE,
    STYLE,
    Figure,
    load_npz,
    plt,
    save_figure,
)

_PART1_SURFACES = {
    # name: (z label, colour map, symmetric colour scale around 0?)
    "output": (r"$\hat{y} = \sigma(wx + b)$", "viridis", False),
    "l2_loss": (r"$\mathcal{L}_{L2}$", "viridis", False),
    "l2_grad_w": (r"$\partial \mathcal{L}_{L2} / \partial w$", "coolwarm", True),
    "ce_loss": (r"$\mathcal{L}_{CE}$", "viridis", False),
    "ce_grad_w": (r"$\partial \mathcal{L}_{CE} / \partial w$", "coolwarm", True),
}


def draw(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    arrays = load_npz(artifacts_dir / stored.result.artifact)
    w, b = arrays["w"], arrays["b"]
    w_grid, b_grid = np.meshgrid(w, b, indexing="xy")
    # Both gradients share one z-range and colour scale so their sizes compare at a glance.
    grad_limit = max(np.abs(arrays["l2_grad_w"]).max(), np.abs(arrays["ce_grad_w"]).max())
    figures = {}
    with plt.style.context(["default", STYLE]):
        for name, (zlabel, cmap, symmetric) in _PART1_SURFACES.items():
            z = arrays[name]
            # Shown at 4.6 in (70% of the text width) with 8.5 pt ticks, so the grid values read on paper.
            fig = plt.figure(figsize=(4.6, 3.7))
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
            ax.tick_params(pad=-1, labelsize=8.5)
            ax.view_init(elev=25, azim=-60)
            ax.set_box_aspect(None, zoom=0.88)
            figures[name] = save_figure(fig, figures_dir, f"part1_{name}")

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
        figures["grad_slice"] = save_figure(fig, figures_dir, "part1_grad_slice")
    return figures
