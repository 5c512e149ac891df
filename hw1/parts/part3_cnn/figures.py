"""Part 3's figures: training curves, the confusion matrix and the misclassified digits."""

from __future__ import annotations

from pathlib import Path

import matplotlib.ticker
import numpy as np
from matplotlib import colors

from ...toolkit.plotting import (
    BLUE,
    ORANGE,
    RED,
    SMALLEST,
    STYLE,
    Figure,
    confidence_label,
    load_npz,
    plt,
    save_figure,
)
from .result import ACCURACY_FLOOR, FLOAT32_NOISE


def _trailing_mean(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last `window` values up to each point (fewer at the start): at an evaluation's epoch the
    curve's value is the training accuracy the text quotes for it (TrainHistory.train_accuracy_at_eval)."""
    sums = np.cumsum(np.concatenate([[0.0], np.asarray(values, dtype=float)]))
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(0, ends - window)
    return (sums[ends] - sums[starts]) / (ends - starts)


def draw_training_curves(history, figures_dir: Path, name: str) -> Figure:
    """Loss and accuracy against epochs: per iteration (raw and smoothed), per epoch, and test."""
    per_epoch = history.iterations_per_epoch
    iterations = np.arange(1, len(history.iteration_loss) + 1) / per_epoch
    loss, accuracy = np.asarray(history.iteration_loss), np.asarray(history.iteration_accuracy)
    epochs = np.arange(1, len(history.epoch_train_loss) + 1)
    window = history.smoothing_window
    with plt.style.context(["default", STYLE]):
        fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(6.5, 3.0))
        for ax, raw, per_epoch_values, test, label in (
            (ax_loss, loss, history.epoch_train_loss, history.test_loss, "cross-entropy loss"),
            (ax_acc, accuracy, history.epoch_train_accuracy, history.test_accuracy, "accuracy"),
        ):
            ax.plot(iterations, raw, color=BLUE, alpha=0.18, linewidth=0.6, label="train, per iteration")
            ax.plot(iterations, _trailing_mean(raw, window), color=BLUE, linewidth=1.2,
                    label=f"train, mean of the last {window} batches")
            # An epoch's mean belongs to the whole epoch: drawn at its middle, not its end (where it sat above the
            # curve, read as a spike).
            ax.plot(epochs - 0.5, per_epoch_values, "s", color=BLUE, markersize=4, markerfacecolor="white",
                    label="train, epoch mean (mid-epoch)")
            ax.plot(history.eval_epoch, test, "o-", color=ORANGE, markersize=3.5, linewidth=1.2, label="test")
            ax.set_xlabel("epoch")
            ax.set_ylabel(label)
            # A little room past the last epoch, so its markers are not cut at the right edge.
            last = max(iterations[-1] if len(iterations) else 1, epochs[-1] if len(epochs) else 1)
            ax.set_xlim(0, last * 1.04)
            ax.grid(alpha=0.25)
        ax_loss.set_yscale("log")
        ax_acc.axhline(0.99, color=RED, linestyle="--", linewidth=0.9, label="99% requirement")
        ax_acc.set_ylim(ACCURACY_FLOOR, 1.0)
        # A test evaluation below the axis is marked on its floor with its value, so that a dip the text quotes
        # (e.g. 62.9% at epoch 0.75) is seen, not only read.
        for epoch, value in zip(history.eval_epoch, history.test_accuracy):
            if value >= ACCURACY_FLOOR - FLOAT32_NOISE:
                continue
            ax_acc.plot([epoch], [ACCURACY_FLOOR], "v", color=ORANGE, markersize=5, clip_on=False)
            ax_acc.annotate(f"{100 * value:.1f}%", (epoch, ACCURACY_FLOOR), xytext=(0, 5),
                            textcoords="offset points", ha="center", va="bottom", fontsize=SMALLEST, color=ORANGE)
        ax_acc.yaxis.set_major_formatter(matplotlib.ticker.PercentFormatter(1.0, decimals=0))
        # Below the panels, never on a curve.
        legend = fig.legend(*ax_acc.get_legend_handles_labels(), frameon=False, loc="lower center", ncol=3)
        legend.legend_handles[0].set_alpha(0.5)  # the faint per-iteration line, visible in the legend
        fig.tight_layout(w_pad=1.5, rect=(0, 0.13, 1, 1))
        return save_figure(fig, figures_dir, name)


def draw(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    result = stored.result
    figures = {"curves": draw_training_curves(result.curves, figures_dir, "part3_curves")}
    with plt.style.context(["default", STYLE]):
        confusion = np.asarray(result.confusion)
        fig, ax = plt.subplots(figsize=(5.0, 4.3))  # cells wide enough for a four-digit count in bold
        off_diagonal = confusion * (1 - np.eye(10, dtype=int))
        # Colour only the errors: the diagonal (about 1,000 per digit) would drown everything else.
        # Cells with no error are left white (masked), as the caption says.
        image = ax.imshow(np.ma.masked_equal(off_diagonal, 0), cmap="Reds",
                          norm=colors.Normalize(0, max(off_diagonal.max(), 1)))
        for i in range(10):
            for j in range(10):
                if confusion[i, j]:
                    dark = i != j and confusion[i, j] > 0.6 * off_diagonal.max()
                    ax.text(j, i, str(confusion[i, j]), ha="center", va="center", fontsize=SMALLEST,
                            color="#1a5e1a" if i == j else ("white" if dark else "black"),
                            fontweight="bold" if i == j else "normal")
        ax.set_xticks(range(10))
        ax.set_yticks(range(10))
        ax.set_xlabel("predicted digit")
        ax.set_ylabel("true digit")
        bar = fig.colorbar(image, ax=ax, fraction=0.046, pad=0.03, label="misclassified test images")
        bar.ax.yaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
        figures["confusion"] = save_figure(fig, figures_dir, "part3_confusion")

        wrong = load_npz(artifacts_dir / result.misclassified_artifact)
        count = len(wrong["label"])
        columns = 8
        rows = max(1, (count + columns - 1) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(6.5, 1.2 * rows + 0.1), squeeze=False)
        for k, ax in enumerate(axes.flat):
            ax.axis("off")
            if k < count:
                image = wrong["image"][k].astype(float) / 127.5 - 1.0  # the model's input scale
                ax.imshow(image, cmap="gray", vmin=-1, vmax=1)
                ax.set_title(f"true {wrong['label'][k]} → {wrong['prediction'][k]}\n"
                             f"({confidence_label(wrong['confidence'][k])})", fontsize=SMALLEST, pad=2)
        fig.tight_layout(pad=0.2, h_pad=0.8, w_pad=0.2)
        figures["misclassified"] = save_figure(fig, figures_dir, "part3_misclassified")
    return figures
