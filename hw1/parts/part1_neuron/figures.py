"""Part 1's figures: the surfaces over the (w, b) grid and a slice of the gradients."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colors, ticker

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
    "l2_loss": (r"$\mathcal{L}_{\mathrm{L2}}$", "viridis", False),
    "l2_grad_w": (r"$\partial \mathcal{L}_{\mathrm{L2}} / \partial w$", "coolwarm", True),
    "ce_loss": (r"$\mathcal{L}_{\mathrm{CE}}$", "viridis", False),
    "ce_grad_w": (r"$\partial \mathcal{L}_{\mathrm{CE}} / \partial w$", "coolwarm", True),
}


def _inner_ticks(low: float, high: float, count: int = 6) -> np.ndarray:
    """Round ticks strictly inside (low, high): no label at an axis end, where the 3-D axes meet and the
    end labels of two axes would collide ("6 -6")."""
    step = ticker.MaxNLocator(nbins=count, steps=[1, 2, 5, 10]).tick_values(low, high)
    step = step[1] - step[0]
    ticks = np.arange(np.ceil(low / step) * step, high + step / 2, step)
    return ticks[(ticks > low + 0.25 * step) & (ticks < high - 0.25 * step)]


def _triangles(rows: int, columns: int) -> np.ndarray:
    """Two triangles per grid cell, split along the diagonal on which w + b is constant. Every surface
    here depends on w + b alone, so each triangle edge along that diagonal lies on a level line and the
    steep ridge is drawn without the saw-tooth that cells split the other way (or quads) give it."""
    index = np.arange(rows * columns).reshape(rows, columns)
    a, right = index[:-1, :-1].ravel(), index[:-1, 1:].ravel()
    up, corner = index[1:, :-1].ravel(), index[1:, 1:].ravel()
    return np.concatenate([np.stack([a, right, up], 1), np.stack([right, corner, up], 1)])


def _surface(w: np.ndarray, b: np.ndarray, z: np.ndarray, zlabel: str, cmap: str, symmetric: bool):
    """One surface on its own z-range, with a colour bar on the same scale."""
    w_grid, b_grid = np.meshgrid(w, b, indexing="xy")  # rows: b, columns: w
    # About 3.5 in wide once cropped, shown at that size: its 8 pt ticks are 8 pt on paper.
    fig = plt.figure(figsize=(4.9, 3.5))
    ax = fig.add_subplot(projection="3d")
    if symmetric:  # a signed gradient: white at 0, its own largest magnitude at both ends
        limit = float(np.abs(z).max())
        low, high = -limit, limit
    else:
        low, high = float(z.min()), float(z.max())
    norm = colors.Normalize(low, high)
    surface = ax.plot_trisurf(w_grid.ravel(), b_grid.ravel(), z.ravel(), triangles=_triangles(len(b), len(w)),
                              cmap=cmap, norm=norm, linewidth=0, antialiased=False, shade=False)
    ax.set_xlim(w[0], w[-1])
    ax.set_ylim(b[0], b[-1])
    ax.set_xticks(_inner_ticks(w[0], w[-1]))
    ax.set_yticks(_inner_ticks(b[0], b[-1]))
    ax.set_zticks(ticker.MaxNLocator(nbins=4).tick_values(low, high))
    ax.set_zlim(low, high)  # set_zticks may have widened it
    ax.set_xlabel("weight $w$", labelpad=-4)
    ax.set_ylabel("bias $b$", labelpad=-4)
    ax.tick_params(axis="x", pad=-3)
    ax.tick_params(axis="y", pad=-3)
    ax.tick_params(axis="z", pad=1)
    ax.view_init(elev=25, azim=-60)
    ax.set_box_aspect(None, zoom=0.9)
    # The vertical axis is named above the plot: a 3-D z-label collides with the colour bar beside it.
    ax.set_title(f"vertical axis and colour: {zlabel}", fontsize=9, pad=0)
    bar = fig.colorbar(surface, ax=ax, shrink=0.62, pad=0.06, aspect=16)
    bar.set_label(zlabel)
    bar.ax.yaxis.set_major_locator(ticker.MaxNLocator(nbins=5))
    return fig


def draw(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    arrays = load_npz(artifacts_dir / stored.result.artifact)
    w, b = arrays["w"], arrays["b"]
    figures = {}
    with plt.style.context(["default", STYLE]):
        for name, (zlabel, cmap, symmetric) in _PART1_SURFACES.items():
            fig = _surface(w, b, arrays[name], zlabel, cmap, symmetric)
            figures[name] = save_figure(fig, figures_dir, f"part1_{name}")

        # Slice along b = 0: the two gradients against w on one axis, where their sizes compare.
        grad_limit = max(np.abs(arrays["l2_grad_w"]).max(), np.abs(arrays["ce_grad_w"]).max())
        row = int(np.argmin(np.abs(b)))
        fig, ax = plt.subplots(figsize=(3.8, 2.4))
        ax.plot(w, arrays["l2_grad_w"][row], color=BLUE, label=r"$\partial\mathcal{L}_{\mathrm{L2}}/\partial w$")
        ax.plot(w, arrays["ce_grad_w"][row], color=ORANGE, label=r"$\partial\mathcal{L}_{\mathrm{CE}}/\partial w$")
        ax.axhline(0, color=GREY, linewidth=0.6)
        ax.set_xlim(w[0], w[-1])
        ax.set_ylim(-grad_limit * 1.1, grad_limit * 1.1)
        ax.set_xlabel("weight $w$ (bias $b = 0$, so $z = w$)")
        ax.set_ylabel("gradient w.r.t. $w$")
        ax.legend(frameon=False, loc="upper left")
        figures["grad_slice"] = save_figure(fig, figures_dir, "part1_grad_slice")
    return figures
