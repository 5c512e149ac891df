"""Part 4's figures: example attacks, the perturbation-size distributions and the target grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...toolkit.plotting import (
    BLUE,
    GREEN,
    GREY,
    ORANGE,
    RED,
    SMALLEST,
    STYLE,
    Figure,
    draw_digit,
    plt,
    save_figure,
)


def _draw_examples(examples: list[dict], saved: dict, figures_dir: Path, name: str, targeted: bool) -> Figure:
    rows = max(1, len(examples))
    fig, axes = plt.subplots(rows, 4, figsize=(6.7, 1.75 * rows),
                             gridspec_kw={"width_ratios": [1, 1.2, 1, 2.3]}, squeeze=False)
    classes = np.arange(10)
    for k, example in enumerate(examples):
        row = example.row
        original = saved["original"][row].numpy()
        adversarial = saved["adversarial"][row].numpy()
        delta = adversarial - original  # >= 0 by construction
        ax_o, ax_d, ax_a, ax_p = axes[k]
        draw_digit(ax_o, original)
        ax_o.set_title(f"original: {example.label}", fontsize=SMALLEST)
        shown = ax_d.imshow(delta.reshape(28, 28), cmap="magma", vmin=0, vmax=max(float(delta.max()), 1e-6),
                            interpolation="nearest")
        ax_d.set_xticks([])
        ax_d.set_yticks([])
        ax_d.set_title("perturbation $I_\\epsilon$", fontsize=SMALLEST)
        fig.colorbar(shown, ax=ax_d, fraction=0.046, pad=0.03).ax.tick_params(labelsize=SMALLEST)
        draw_digit(ax_a, adversarial)
        goal = f"\ntarget {example.target}" if targeted else ""  # own line: on one it ran into the next panel's label
        ax_a.set_title(f"adversarial: {example.prediction_after}{goal}", fontsize=SMALLEST)
        width = 0.4
        ax_p.bar(classes - width / 2, example.probabilities_before, width, color=GREY, label="original image")
        ax_p.bar(classes + width / 2, example.probabilities_after, width, color=RED, label="adversarial image")
        ax_p.axhline(0.9, color="black", linestyle=":", linewidth=0.7)
        ax_p.set_xticks(classes)
        ax_p.set_ylim(0, 1.02)
        ax_p.set_ylabel("softmax probability", fontsize=SMALLEST)
        # The key is in the axis label: a legend inside the panel would hide bars.
        ax_p.set_xlabel("class (grey: original image, red: adversarial image)", fontsize=SMALLEST)
        ax_p.set_title(f"{example.steps} steps, $L_\\infty$ = {example.linf:.2f}, "
                       f"$L_2$ = {example.l2:.2f}, {example.changed_pixels} pixels changed", fontsize=SMALLEST)
    fig.tight_layout(pad=0.3, w_pad=0.8, h_pad=0.8)
    return save_figure(fig, figures_dir, name)


def draw(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    import torch

    r = stored.result
    saved = torch.load(artifacts_dir / r.artifact, weights_only=True)
    figures = {}
    with plt.style.context(["default", STYLE]):
        figures["untargeted_examples"] = _draw_examples(r.untargeted_examples, saved, figures_dir,
                                                        "part4_untargeted_examples", targeted=False)
        figures["targeted_examples"] = _draw_examples(r.targeted_examples, saved, figures_dir,
                                                      "part4_targeted_examples", targeted=True)
        figures["distributions"] = _draw_distributions(stored.config, saved, figures_dir)
        figures["target_grid"] = _draw_target_grid(r.pair_grid_index, saved, figures_dir)
    return figures


def _draw_distributions(config, saved: dict, figures_dir: Path) -> Figure:
    """Distributions over every attacked image (successful attacks only): steps, L-inf, L2, final confidence."""
    is_targeted = saved["target"] >= 0
    success = saved["success"]
    fig, axes = plt.subplots(1, 4, figsize=(6.7, 2.15))
    series = (("untargeted", ~is_targeted & success, BLUE), ("targeted", is_targeted & success, ORANGE))
    panels = (
        ("steps", np.arange(0, config.max_steps + 2, max(1, (config.max_steps + 1) // 30)), "steps to stop"),
        ("linf", np.linspace(0, 2, 31), "$L_\\infty$ of $I_\\epsilon$"),
        ("l2", 30, "$L_2$ of $I_\\epsilon$"),
        ("original_probability", np.linspace(config.confidence, 1, 21), "final confidence"),
    )
    for ax, (key, bins, label) in zip(axes, panels):
        values = saved[key].double().numpy()
        if isinstance(bins, int):
            bins = np.linspace(0, max(values.max(), 1e-6), bins)
        for title, chosen, colour in series:
            ax.hist(values[chosen.numpy()], bins=bins, color=colour, alpha=0.55, label=title)
        ax.set_xlabel(label)
        ax.tick_params(labelsize=SMALLEST)
    axes[0].set_ylabel("images")
    # Above the panels: inside one it sat on the bars.
    fig.legend(*axes[0].get_legend_handles_labels(), frameon=False, fontsize=SMALLEST, loc="upper center", ncol=2)
    fig.tight_layout(pad=0.3, w_pad=0.6, rect=(0, 0, 1, 0.87))
    return save_figure(fig, figures_dir, "part4_distributions")


def _draw_target_grid(pair_grid_index, saved: dict, figures_dir: Path) -> Figure:
    """10 x 10 grid: source digit (rows) x target digit (columns); the diagonal shows originals."""
    fig, axes = plt.subplots(10, 10, figsize=(5.0, 5.3))  # fits below a half-page figure
    for s in range(10):
        for t in range(10):
            ax = axes[s, t]
            row = pair_grid_index[s][t]
            if row < 0:
                ax.axis("off")
                ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
                continue
            draw_digit(ax, (saved["original"] if s == t else saved["adversarial"])[row].numpy())
            if s == t:
                for spine in ax.spines.values():
                    spine.set_visible(True)
                    spine.set_edgecolor(GREEN)
                    spine.set_linewidth(1.5)
            if s == 0:
                ax.set_title(str(t), fontsize=10, pad=2)
            if t == 0:
                ax.set_ylabel(str(s), fontsize=10, rotation=0, labelpad=8, va="center")
    fig.supxlabel("target digit", fontsize=10, y=0.005)
    fig.supylabel("true digit", fontsize=10, x=0.005)
    fig.tight_layout(pad=0.2, w_pad=0.1, h_pad=0.1, rect=(0.03, 0.02, 1, 1))  # room for the row labels beside "true digit"
    return save_figure(fig, figures_dir, "part4_target_grid")
