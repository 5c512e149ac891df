"""Part 5's figures: confidence and transfer, robust accuracy per budget, and the universal perturbation."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...toolkit.plotting import (
    BLUE,
    GREY,
    ORANGE,
    RED,
    SMALLEST,
    STYLE,
    Figure,
    confidence_label,
    draw_digit,
    plt,
    save_figure,
)


def draw(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    r = stored.result
    with plt.style.context(["default", STYLE]):
        return {"confidence": _confidence(r, figures_dir), "robust": _robust(r, figures_dir),
                "universal": _universal(r, artifacts_dir, figures_dir)}


def _confidence(r, figures_dir: Path) -> Figure:
    """5.1: transfer against the stopping confidence, and the perturbation size and steps it costs (one axis each)."""
    fig, (ax_transfer, ax_l2, ax_steps) = plt.subplots(1, 3, figsize=(6.7, 2.6))
    for kind, colour, key, label in (("untargeted", BLUE, "transfer_misclassified", "untargeted attack"),
                                     ("targeted", ORANGE, "transfer_hit_target", "targeted attack")):
        rows = [row for row in r.confidence if row.attack == kind]
        odds = [np.log(t / (1 - t)) for t in (row.threshold for row in rows)]
        ax_transfer.plot(odds, [100 * getattr(row, key) for row in rows], "o-", color=colour, label=label,
                         clip_on=False)  # a marker at 100% sits on the frame, drawn whole
        ax_l2.plot(odds, [row.median_l2 for row in rows], "o-", color=colour, label=kind)
        ax_steps.plot(odds, [row.median_steps for row in rows], "o-", color=colour, label=kind)
    thresholds = sorted({row.threshold for row in r.confidence})
    for ax in (ax_transfer, ax_l2, ax_steps):
        ax.set_xticks([np.log(t / (1 - t)) for t in thresholds], [f"{t:g}" for t in thresholds])
        ax.set_xlabel("stopping confidence")
    ax_transfer.set_ylim(0, 100)
    ax_transfer.set_ylabel("transfer (%)")
    ax_l2.set_ylabel("median $L_2$")
    ax_steps.set_ylabel("median steps")
    for ax in (ax_l2, ax_steps):
        ax.set_ylim(bottom=0)
    # One legend for the three panels, below them, where it hides no line.
    fig.tight_layout(w_pad=1.5, rect=(0, 0.1, 1, 1))
    fig.legend(*ax_transfer.get_legend_handles_labels(), frameon=False, fontsize=SMALLEST, loc="lower center", ncol=2)
    return save_figure(fig, figures_dir, "part5_confidence")


def _robust(r, figures_dir: Path) -> Figure:
    """5.2: robust accuracy (worst case over the bounded attacks) against the budget, one line per network."""
    fig, ax = plt.subplots(figsize=(6.4, 2.7))
    styles = {"original": (GREY, "o--"), "retrained": (BLUE, "s--"), "single-step (Goodfellow-style)": (ORANGE, "^-"),
              "adversarially trained": (RED, "o-")}
    for row in r.robustness:
        colour, style = styles.get(row.network, (GREY, "o-"))
        # The original's markers are large and hollow: its line often lies under the retrained one's.
        hollow = {"markersize": 9, "markerfacecolor": "none"} if row.network == "original" else {}
        se = [100 * (v * (1 - v) / max(row.images, 1)) ** 0.5 for v in row.robust]
        ax.errorbar(row.budgets, [100 * v for v in row.robust], yerr=se, fmt=style, color=colour, label=row.network,
                    capsize=2, clip_on=False, **hollow)  # unclipped: a point at 0% shows whole on the axis
    headline = r.robust_settings.headline
    ax.axvline(headline, color=GREY, linestyle=":", linewidth=1)
    ax.set_xlabel("$L_\\infty$ budget $b$ of the one-sided attacks (inputs in [-1, 1])")
    ax.set_ylabel("robust accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_xlim(0, max(max(row.budgets) for row in r.robustness) * 1.05)
    top = ax.secondary_xaxis("top", functions=(lambda b: b / 2, lambda b: 2 * b))
    top.set_xlabel("the same budget on the [0, 1] scale", fontsize=SMALLEST)
    top.tick_params(labelsize=SMALLEST)
    ax.legend(frameon=False, fontsize=SMALLEST, loc="center left", bbox_to_anchor=(1.02, 0.5))  # beside: no curve under it
    fig.tight_layout()
    return save_figure(fig, figures_dir, "part5_robust")


def _universal(r, artifacts_dir: Path, figures_dir: Path) -> Figure:
    """5.3: the universal perturbation itself, digits with it, the budget curve, where it sends digits."""
    import torch

    saved = torch.load(artifacts_dir / r.universal_artifact, weights_only=True)
    v = saved["perturbation"].numpy().reshape(28, 28)
    budget = float(saved["budget"])
    fig = plt.figure(figsize=(6.7, 3.9))
    grid = fig.add_gridspec(2, 4, height_ratios=[1, 1.05], hspace=0.55, wspace=0.75)
    ax_v = fig.add_subplot(grid[0, 0])
    shown = ax_v.imshow(v, cmap="magma", vmin=0, vmax=budget, interpolation="nearest")
    ax_v.set_xticks([])
    ax_v.set_yticks([])
    ax_v.set_title(f"$v$ ($L_\\infty \\leq$ {budget:g})", fontsize=SMALLEST)
    fig.colorbar(shown, ax=ax_v, fraction=0.046, pad=0.03).ax.tick_params(labelsize=SMALLEST)
    shown = r.universal_headline.examples  # label and prediction of each digit drawn here
    examples = torch.load(artifacts_dir / r.confidence_artifact, weights_only=True)["original"][:len(shown)]
    for k, (image, example) in enumerate(zip(examples, shown)):
        ax = fig.add_subplot(grid[0, k + 1])
        draw_digit(ax, np.clip(image.numpy() + v, None, 1.0))
        ax.set_title(f"{example.label} + $v$ → predicted {example.prediction}\n"
                     f"({confidence_label(example.confidence)})", fontsize=SMALLEST)
    ax_curve = fig.add_subplot(grid[1, :2])
    budgets = [row.budget for row in r.universal]
    ax_curve.plot(budgets, [100 * row.fooling_rate for row in r.universal], "o-", color=RED,
                  label="universal")
    ax_curve.plot(budgets, [100 * row.random_fooling_rate for row in r.universal], "s--", color=GREY,
                  label="random")
    ax_curve.set_xlabel("$L_\\infty$ budget of $v$ (input units)")
    ax_curve.set_ylabel("test images fooled (%)")
    ax_curve.set_ylim(0, 100)
    # Above the panel, outside the axes: inside, a curve that rises early ran through it (seed 8's universal line).
    ax_curve.legend(frameon=False, fontsize=SMALLEST, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=2,
                    borderaxespad=0.2)
    ax_classes = fig.add_subplot(grid[1, 2:])
    into = np.asarray(r.universal_headline.fooled_into)
    ax_classes.bar(np.arange(10), 100 * into / max(into.sum(), 1), color=RED)
    ax_classes.set_xticks(np.arange(10))
    ax_classes.set_xlabel("class the fooled images are sent to")
    ax_classes.set_ylabel("share of fooled images (%)")
    ax_classes.set_ylim(0, 100)
    return save_figure(fig, figures_dir, "part5_universal")
