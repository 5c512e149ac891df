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
import matplotlib.ticker  # noqa: E402
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


# ----------------------------------------------------------------------------------------- Part 3

def _ema(values: np.ndarray, span: int) -> np.ndarray:
    """Exponential moving average, debiased at the start (as TensorBoard's smoothing)."""
    alpha = 2.0 / (span + 1)
    out = np.empty_like(values, dtype=float)
    running, weight = 0.0, 0.0
    for i, value in enumerate(values):
        running = (1 - alpha) * running + alpha * value
        weight = (1 - alpha) * weight + alpha
        out[i] = running / weight
    return out


def draw_training_curves(history, figures_dir: Path, name: str) -> Figure:
    """Loss and accuracy against epochs: per iteration (raw and smoothed), per epoch, and test."""
    per_epoch = history.iterations_per_epoch
    iterations = np.arange(1, len(history.iteration_loss) + 1) / per_epoch
    loss, accuracy = np.asarray(history.iteration_loss), np.asarray(history.iteration_accuracy)
    epochs = np.arange(1, len(history.epoch_train_loss) + 1)
    span = max(5, per_epoch // 10)
    with plt.style.context(["default", STYLE]):
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(6.7, 2.6))
        for ax, raw, per_epoch_values, test, label in (
            (ax_loss, loss, history.epoch_train_loss, history.test_loss, "cross-entropy loss"),
            (ax_acc, accuracy, history.epoch_train_accuracy, history.test_accuracy, "accuracy"),
        ):
            ax.plot(iterations, raw, color=BLUE, alpha=0.18, linewidth=0.6, label="train, per iteration")
            ax.plot(iterations, _ema(raw, span), color=BLUE, linewidth=1.2, label=f"train, smoothed (EMA {span})")
            ax.plot(epochs, per_epoch_values, "s", color=BLUE, markersize=4, markerfacecolor="white",
                    label="train, epoch mean")
            ax.plot(history.eval_epoch, test, "o-", color=ORANGE, markersize=3.5, linewidth=1.2, label="test")
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            ax.set_xlim(0, iterations[-1] if len(iterations) else 1)
            ax.grid(alpha=0.25)
        ax_loss.set_yscale("log")
        ax_acc.axhline(0.99, color=RED, linestyle="--", linewidth=0.9, label="99% requirement")
        ax_acc.set_ylim(0.9, 1.0)
        ax_acc.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        ax_acc.legend(frameon=False, loc="lower right")
        fig.tight_layout(w_pad=1.5)
        return _save(fig, figures_dir, name)


def draw_part3(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    result = stored.result
    figures = {"curves": draw_training_curves(result.curves, figures_dir, "part3_curves")}
    with plt.style.context(["default", STYLE]):
        confusion = np.asarray(result.confusion)
        fig, ax = plt.subplots(figsize=(3.6, 3.2))
        off_diagonal = confusion * (1 - np.eye(10, dtype=int))
        # Colour only the errors (log scale): the diagonal would drown everything else.
        image = ax.imshow(off_diagonal, cmap="Reds", norm=colors.SymLogNorm(1, vmin=0, vmax=max(off_diagonal.max(), 1)))
        for i in range(10):
            for j in range(10):
                if confusion[i, j]:
                    ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=5.5,
                            color="black" if i != j else "#1a5e1a", fontweight="bold" if i == j else "normal")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
        fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="errors (log scale)")
        figures["confusion"] = _save(fig, figures_dir, "part3_confusion")

        wrong = np.load(artifacts_dir / result.misclassified_artifact)
        count = len(wrong["label"])
        columns = 8
        rows = max(1, (count + columns - 1) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(6.7, 1.0 * rows + 0.1), squeeze=False)
        for k, ax in enumerate(axes.flat):
            ax.axis("off")
            if k < count:
                image = wrong["image"][k].astype(float) / 127.5 - 1.0  # the model's input scale
                ax.imshow(image, cmap="gray", vmin=-1, vmax=1)
                ax.set_title(f"true {wrong['label'][k]} → {wrong['prediction'][k]}\n"
                             f"({wrong['confidence'][k]:.0%})", fontsize=6.5, pad=2)
        fig.tight_layout(pad=0.2, h_pad=0.4, w_pad=0.2)
        figures["misclassified"] = _save(fig, figures_dir, "part3_misclassified")
    return figures
