"""Part 2's figures: the hidden plane, the input plane and the loss curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colors

from ...toolkit.plotting import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    SMALLEST,
    STYLE,
    Figure,
    load_npz,
    plt,
    save_figure,
)

_XOR_POINTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
_XOR_LABELS = np.array([0, 1, 1, 0])
_CLASS_COLOURS = colors.ListedColormap(["#c6dbef", "#fdd0a2"])  # light blue: output < 0.5, light orange: > 0.5


def _xor_points(ax, coordinates: np.ndarray, annotate: bool = True) -> None:
    for label, colour, marker in ((0, BLUE, "o"), (1, ORANGE, "s")):
        chosen = _XOR_LABELS == label
        ax.scatter(coordinates[chosen, 0], coordinates[chosen, 1], c=colour, marker=marker, s=28,
                   edgecolors="black", linewidths=0.6, zorder=3, label=f"label {label}")
    if annotate:
        # Points the hidden layer maps to (almost) the same place share one label.
        labelled: list[tuple[np.ndarray, list[str]]] = []
        for point, xy in zip(_XOR_POINTS.astype(int), coordinates):
            name = f"({point[0]},{point[1]})"
            for place, names in labelled:
                if np.abs(place - xy).max() < 0.08:
                    names.append(name)
                    break
            else:
                labelled.append((xy, [name]))
        for (x, y), names in labelled:
            inside = -1 if x > 0.3 else 1  # keep labels inside the panel
            above = 5 if y < 0.5 else -11  # below points near the top edge, above the others
            ax.annotate(" ".join(names), (x, y), textcoords="offset points", xytext=(4 * inside, above),
                        ha="left" if inside > 0 else "right", fontsize=SMALLEST,
                        bbox={"boxstyle": "square,pad=0.1", "facecolor": "white", "edgecolor": "none", "alpha": 0.75})


def _snapshot_title(step: int, loss: float) -> str:
    return f"step {step:,}, loss {loss:#.3g}"


def _snapshot_grid(r, draw_panel, xlabel: str, ylabel: str, columns: int = 4) -> plt.Figure:
    """One square panel per snapshot, titled with its step and loss; axis labels on the outer panels."""
    count = len(r.snapshot_steps)
    rows = (count + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(6.5, 1.7 * rows + 0.3), squeeze=False,
                             sharex=True, sharey=True)
    for k, ax in enumerate(axes.flat):
        if k >= count:
            ax.axis("off")
            continue
        draw_panel(ax, k)
        ax.set_aspect("equal")
        ax.set_title(_snapshot_title(r.snapshot_steps[k], r.snapshot_loss[k]), fontsize=SMALLEST)
        if k % columns == 0:
            ax.set_ylabel(ylabel)
        if k >= count - columns:  # no panel below: its own x tick labels (sharex hides them above a row)
            ax.set_xlabel(xlabel)
            ax.tick_params(labelbottom=True)
    fig.tight_layout(pad=0.3, h_pad=0.6, w_pad=1.2)  # room between one panel's "1" and the next one's "-1"
    return fig


def _hidden_figure(r) -> plt.Figure:
    """The hidden plane at each snapshot: the four images, the output layer's line and its two sides."""
    # tanh maps into (-1, 1)^2; the axes reach a little further, so points near a corner are not cut.
    limit = 1.15
    axis = np.linspace(-limit, limit, 201)
    h1, h2 = np.meshgrid(axis, axis, indexing="xy")
    last = len(r.snapshot_steps) - 1

    def hidden_panel(ax, k):
        w2, b2 = np.asarray(r.snapshot_w2[k]), r.snapshot_b2[k]
        side = (w2[0] * h1 + w2[1] * h2 + b2) > 0  # output > 0.5 where the logit is positive
        ax.imshow(side, extent=(-limit, limit, -limit, limit), origin="lower", cmap=_CLASS_COLOURS,
                  vmin=0, vmax=1, interpolation="nearest", aspect="auto")
        if abs(w2[1]) > 1e-12:
            ax.plot(axis, -(w2[0] * axis + b2) / w2[1], color="black", linewidth=0.9)
        elif abs(w2[0]) > 1e-12:
            ax.axvline(-b2 / w2[0], color="black", linewidth=0.9)
        _xor_points(ax, np.asarray(r.snapshot_hidden[k]), annotate=k == last)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(-limit, limit)

    return _snapshot_grid(r, hidden_panel, "$h_1$", "$h_2$")


def _input_figure(r, arrays: dict) -> plt.Figure:
    """The input plane at each snapshot: the whole network's decision regions and its 0.5 boundary."""
    grid_axis = arrays["grid_axis"]
    extent = (grid_axis[0], grid_axis[-1], grid_axis[0], grid_axis[-1])

    def input_panel(ax, k):
        region = arrays["tanh_regions"][k]  # (G, G) network output over the input square
        ax.imshow(region > 0.5, extent=extent, origin="lower", cmap=_CLASS_COLOURS, vmin=0, vmax=1,
                  interpolation="nearest", aspect="auto")
        ax.contour(grid_axis, grid_axis, region, levels=[0.5], colors="black", linewidths=0.9)
        _xor_points(ax, _XOR_POINTS, annotate=False)
        ax.set_xlim(extent[:2])
        ax.set_ylim(extent[2:])
        ax.set_xticks([0, 1])
        ax.set_yticks([0, 1])

    return _snapshot_grid(r, input_panel, "$x_1$", "$x_2$")


_FLOOR = 1e-4  # losses below this are drawn at it (log axes)


def _loss_panels(r, arrays: dict, ax_tanh, ax_id) -> None:
    """Left and middle: every seed's loss curve faintly, the reported run in one colour (the legend's)."""
    steps = np.arange(arrays["tanh_loss_curves"].shape[1])
    for ax, curves, title in ((ax_tanh, arrays["tanh_loss_curves"], "tanh hidden layer"),
                              (ax_id, arrays["identity_loss_curves"], "no activation (identity)")):
        for curve in curves[1:]:  # the study's seeds (the reported one may be among them: drawn twice)
            ax.plot(steps + 1, np.maximum(curve, _FLOOR), color=GREY, alpha=0.35, linewidth=0.6)
        ax.plot(steps + 1, np.maximum(curves[0], _FLOOR), color=BLUE, linewidth=1.4,
                label=f"seed {r.reported_seed} (reported)")
        ax.plot(np.asarray(r.snapshot_steps) + 1, np.maximum(curves[0][r.snapshot_steps], _FLOOR), "o",
                color="black", markersize=3, label="snapshots")
        ax.axhline(r.best_linear_loss, color="#444444", linestyle="--", linewidth=0.9, label="$\\log 2$")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_ylim(_FLOOR, 2)
        ax.set_xlabel("step + 1")
        ax.set_title(title)
    ax_tanh.set_ylabel("mean cross-entropy")


def _seeds_panel(r, ax) -> None:
    """Right: every seed's final loss, green when it solves XOR, red when not."""
    tanh_final = np.maximum(np.asarray(r.robustness_tanh_loss), _FLOOR)
    id_final = np.maximum(np.asarray(r.robustness_identity_loss), _FLOOR)
    jitter = np.linspace(-0.15, 0.15, len(tanh_final))
    ax.scatter(np.zeros_like(tanh_final) + jitter, tanh_final, s=10,
               c=[GREEN if ok else RED for ok in r.robustness_tanh_solved], edgecolors="none")
    ax.scatter(np.ones_like(id_final) + jitter, id_final, s=10,
               c=[GREEN if ok else RED for ok in r.robustness_identity_solved], edgecolors="none")
    ax.set_xticks([0, 1], ["tanh", "no activation"])
    ax.set_yscale("log")
    ax.set_ylim(_FLOOR, 2)
    ax.set_xlim(-0.5, 1.5)
    ax.set_title(f"final loss, {len(tanh_final)} seeds")


def _loss_figure(r, arrays: dict) -> plt.Figure:
    fig, (ax_tanh, ax_id, ax_seeds) = plt.subplots(1, 3, figsize=(6.5, 2.7),
                                                   gridspec_kw={"width_ratios": [1.3, 1.3, 0.8]})
    _loss_panels(r, arrays, ax_tanh, ax_id)
    # Below the panels: inside, the reported curve ran through it for some seeds.
    fig.legend(*ax_tanh.get_legend_handles_labels(), frameon=False, loc="lower center", ncol=3)
    _seeds_panel(r, ax_seeds)
    fig.tight_layout(w_pad=0.8, rect=(0, 0.08, 1, 1))
    return fig


def draw(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    r = stored.result
    arrays = load_npz(artifacts_dir / r.artifact)
    with plt.style.context(["default", STYLE]):
        return {
            "hidden": save_figure(_hidden_figure(r), figures_dir, "part2_hidden_plane"),
            "input": save_figure(_input_figure(r, arrays), figures_dir, "part2_input_plane"),
            "loss": save_figure(_loss_figure(r, arrays), figures_dir, "part2_loss"),
        }
