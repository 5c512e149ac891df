"""Every figure of the report, drawn from saved results (the only module that uses matplotlib).

Each `draw_partN(stored, artifacts_dir, figures_dir)` returns {name: Figure}. Figures are saved at
their print size (inches), so font sizes in points are what the reader sees on paper; the report
shows each image at `width_in`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import matplotlib
import PIL.Image

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import colors  # noqa: E402

from .storage import atomic_path  # noqa: E402

DPI = 200
SMALLEST = 7.5  # pt: no text in a figure is smaller than the report's smallest text (its config tables)
STYLE = {
    "font.size": 8.5,
    "axes.titlesize": 8.5,
    "axes.labelsize": 8.5,
    "xtick.labelsize": SMALLEST,
    "ytick.labelsize": SMALLEST,
    "legend.fontsize": SMALLEST,
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


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    """All arrays of an .npz artifact (no pickles allowed), with the file closed again."""
    with np.load(path, allow_pickle=False) as archive:
        return {name: archive[name] for name in archive.files}


def _save(fig: plt.Figure, figures_dir: Path, name: str) -> Figure:
    figures_dir.mkdir(parents=True, exist_ok=True)
    target = figures_dir / f"{name}.png"
    with atomic_path(target) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight", pad_inches=0.03)
        with PIL.Image.open(tmp) as image:
            # The tight bounding box changes the size: show the image at the size it was drawn for.
            width = image.size[0] / DPI
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
    arrays = _load_npz(artifacts_dir / stored.result.artifact)
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
            # A little room past the last epoch, so its markers are not cut at the right edge.
            last = max(iterations[-1] if len(iterations) else 1, epochs[-1] if len(epochs) else 1)
            ax.set_xlim(0, last * 1.04)
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
        # Colour only the errors: the diagonal (about 1,000 per digit) would drown everything else.
        image = ax.imshow(off_diagonal, cmap="Reds", norm=colors.Normalize(0, max(off_diagonal.max(), 1)))
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
        figures["confusion"] = _save(fig, figures_dir, "part3_confusion")

        wrong = _load_npz(artifacts_dir / result.misclassified_artifact)
        count = len(wrong["label"])
        columns = 8
        rows = max(1, (count + columns - 1) // columns)
        fig, axes = plt.subplots(rows, columns, figsize=(6.7, 1.22 * rows + 0.1), squeeze=False)
        for k, ax in enumerate(axes.flat):
            ax.axis("off")
            if k < count:
                image = wrong["image"][k].astype(float) / 127.5 - 1.0  # the model's input scale
                ax.imshow(image, cmap="gray", vmin=-1, vmax=1)
                ax.set_title(f"true {wrong['label'][k]} → {wrong['prediction'][k]}\n"
                             f"({wrong['confidence'][k]:.0%})", fontsize=SMALLEST, pad=2)
        fig.tight_layout(pad=0.2, h_pad=0.8, w_pad=0.2)
        figures["misclassified"] = _save(fig, figures_dir, "part3_misclassified")
    return figures


# ----------------------------------------------------------------------------------------- Part 2

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
                        ha="left" if inside > 0 else "right", fontsize=SMALLEST)


def _snapshot_title(step: int, loss: float) -> str:
    return f"step {step:,}, loss {loss:.3g}"


def _snapshot_grid(r, draw_panel, xlabel: str, ylabel: str, columns: int = 4) -> plt.Figure:
    """One square panel per snapshot, titled with its step and loss; axis labels on the outer panels."""
    count = len(r.snapshot_steps)
    rows = (count + columns - 1) // columns
    fig, axes = plt.subplots(rows, columns, figsize=(6.7, 1.75 * rows + 0.3), squeeze=False,
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
        if k >= count - columns:
            ax.set_xlabel(xlabel)
    fig.tight_layout(pad=0.3, h_pad=0.6, w_pad=0.4)
    return fig


def draw_part2(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    r = stored.result
    arrays = _load_npz(artifacts_dir / r.artifact)
    count = len(r.snapshot_steps)
    figures = {}
    with plt.style.context(["default", STYLE]):
        # Hidden plane: tanh maps into [-1, 1]^2, so every panel shares those axes.
        limit = 1.15
        axis = np.linspace(-limit, limit, 201)
        h1, h2 = np.meshgrid(axis, axis, indexing="xy")

        def hidden_panel(ax, k):
            w2, b2 = np.asarray(r.snapshot_w2[k]), r.snapshot_b2[k]
            side = (w2[0] * h1 + w2[1] * h2 + b2) > 0  # output > 0.5 where the logit is positive
            ax.imshow(side, extent=(-limit, limit, -limit, limit), origin="lower", cmap=_CLASS_COLOURS,
                      vmin=0, vmax=1, interpolation="nearest", aspect="auto")
            if abs(w2[1]) > 1e-12:
                ax.plot(axis, -(w2[0] * axis + b2) / w2[1], color="black", linewidth=0.9)
            elif abs(w2[0]) > 1e-12:
                ax.axvline(-b2 / w2[0], color="black", linewidth=0.9)
            _xor_points(ax, np.asarray(r.snapshot_hidden[k]), annotate=k == count - 1)
            ax.set_xlim(-limit, limit)
            ax.set_ylim(-limit, limit)

        fig = _snapshot_grid(r, hidden_panel, "$h_1$", "$h_2$")
        figures["hidden"] = _save(fig, figures_dir, "part2_hidden_plane")

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

        figures["input"] = _save(_snapshot_grid(r, input_panel, "$x_1$", "$x_2$"), figures_dir, "part2_input_plane")

        # Loss curves: every seed faintly, the reported run bold; snapshots marked.
        fig, (ax_tanh, ax_id, ax_seeds) = plt.subplots(1, 3, figsize=(6.7, 2.3),
                                                       gridspec_kw={"width_ratios": [1.3, 1.3, 0.8]})
        steps = np.arange(arrays["tanh_loss_curves"].shape[1])
        floor = 1e-4
        for ax, curves, title in ((ax_tanh, arrays["tanh_loss_curves"], "tanh hidden layer"),
                                  (ax_id, arrays["identity_loss_curves"], "no activation (identity)")):
            for curve in curves[1:]:  # the study's seeds (the reported one may be among them: drawn twice)
                ax.plot(steps + 1, np.maximum(curve, floor), color=GREY, alpha=0.35, linewidth=0.6)
            ax.plot(steps + 1, np.maximum(curves[0], floor), color=BLUE if ax is ax_tanh else RED, linewidth=1.4,
                    label=f"seed {r.reported_seed} (reported)")
            ax.plot(np.asarray(r.snapshot_steps) + 1, np.maximum(curves[0][r.snapshot_steps], floor), "o",
                    color="black", markersize=3, label="snapshots")
            ax.axhline(r.best_linear_loss, color=GREEN, linestyle="--", linewidth=0.9, label="$\\log 2$")
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_ylim(floor, 2)
            ax.set_xlabel("step + 1")
            ax.set_title(title)
        ax_tanh.set_ylabel("mean cross-entropy")
        ax_tanh.legend(frameon=False, loc="lower left", fontsize=SMALLEST)
        tanh_final = np.maximum(np.asarray(r.robustness_tanh_loss), floor)
        id_final = np.maximum(np.asarray(r.robustness_identity_loss), floor)
        jitter = np.linspace(-0.15, 0.15, len(tanh_final))
        ax_seeds.scatter(np.zeros_like(tanh_final) + jitter, tanh_final, s=10,
                         c=[GREEN if ok else RED for ok in r.robustness_tanh_solved], edgecolors="none")
        ax_seeds.scatter(np.ones_like(id_final) + jitter, id_final, s=10,
                         c=[GREEN if ok else RED for ok in r.robustness_identity_solved], edgecolors="none")
        ax_seeds.set_xticks([0, 1], ["tanh", "identity"])
        ax_seeds.set_yscale("log")
        ax_seeds.set_ylim(floor, 2)
        ax_seeds.set_xlim(-0.5, 1.5)
        ax_seeds.set_title(f"final loss, {len(tanh_final)} seeds")
        fig.tight_layout(w_pad=0.8)
        figures["loss"] = _save(fig, figures_dir, "part2_loss")
    return figures


# ----------------------------------------------------------------------------------------- Part 4

def _digit(ax, image: np.ndarray) -> None:
    """An MNIST image on the fixed grey scale of the model's input range [-1, 1]."""
    ax.imshow(np.asarray(image).reshape(28, 28), cmap="gray", vmin=-1, vmax=1, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


def _draw_examples(examples: list[dict], saved: dict, figures_dir: Path, name: str, targeted: bool) -> Figure:
    rows = max(1, len(examples))
    fig, axes = plt.subplots(rows, 4, figsize=(6.7, 1.75 * rows),
                             gridspec_kw={"width_ratios": [1, 1.2, 1, 2.3]}, squeeze=False)
    classes = np.arange(10)
    for k, example in enumerate(examples):
        row = example["row"]
        original = saved["original"][row].numpy()
        adversarial = saved["adversarial"][row].numpy()
        delta = adversarial - original  # >= 0 by construction
        ax_o, ax_d, ax_a, ax_p = axes[k]
        _digit(ax_o, original)
        ax_o.set_title(f"original: {example['label']}", fontsize=SMALLEST)
        shown = ax_d.imshow(delta.reshape(28, 28), cmap="magma", vmin=0, vmax=max(float(delta.max()), 1e-6),
                            interpolation="nearest")
        ax_d.set_xticks([])
        ax_d.set_yticks([])
        ax_d.set_title("perturbation $I_\\epsilon$", fontsize=SMALLEST)
        fig.colorbar(shown, ax=ax_d, fraction=0.046, pad=0.03).ax.tick_params(labelsize=SMALLEST)
        _digit(ax_a, adversarial)
        goal = f", target {example['target']}" if targeted else ""
        ax_a.set_title(f"adversarial: {example['prediction_after']}{goal}", fontsize=SMALLEST)
        width = 0.4
        ax_p.bar(classes - width / 2, example["probabilities_before"], width, color=GREY, label="original image")
        ax_p.bar(classes + width / 2, example["probabilities_after"], width, color=RED, label="adversarial image")
        ax_p.axhline(0.9, color="black", linestyle=":", linewidth=0.7)
        ax_p.set_xticks(classes)
        ax_p.set_ylim(0, 1.02)
        ax_p.set_ylabel("softmax probability", fontsize=SMALLEST)
        # The key is in the axis label: a legend inside the panel would hide bars.
        ax_p.set_xlabel("class (grey: original image, red: adversarial image)", fontsize=SMALLEST)
        ax_p.set_title(f"{example['steps']} steps, $L_\\infty$ = {example['linf']:.2f}, "
                       f"$L_2$ = {example['l2']:.2f}, {example['changed_pixels']} pixels changed", fontsize=SMALLEST)
    fig.tight_layout(pad=0.3, w_pad=0.8, h_pad=0.8)
    return _save(fig, figures_dir, name)


def draw_part4(stored, artifacts_dir: Path, figures_dir: Path) -> dict[str, Figure]:
    import torch

    r = stored.result
    saved = torch.load(artifacts_dir / r.artifact, weights_only=True)
    figures = {}
    with plt.style.context(["default", STYLE]):
        figures["untargeted_examples"] = _draw_examples(r.untargeted_examples, saved, figures_dir,
                                                        "part4_untargeted_examples", targeted=False)
        figures["targeted_examples"] = _draw_examples(r.targeted_examples, saved, figures_dir,
                                                      "part4_targeted_examples", targeted=True)

        # Distributions over every attacked image (successful attacks only).
        is_targeted = saved["target"] >= 0
        success = saved["success"]
        fig, axes = plt.subplots(1, 4, figsize=(6.7, 1.9))
        series = (("untargeted", ~is_targeted & success, BLUE), ("targeted", is_targeted & success, ORANGE))
        panels = (
            ("steps", np.arange(0, r.max_steps + 2, max(1, (r.max_steps + 1) // 30)), "steps to stop"),
            ("linf", np.linspace(0, 2, 31), "$L_\\infty$ of $I_\\epsilon$"),
            ("l2", 30, "$L_2$ of $I_\\epsilon$"),
            ("original_probability", np.linspace(r.confidence, 1, 21), "final confidence"),
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
        axes[0].legend(frameon=False, fontsize=SMALLEST)
        fig.tight_layout(pad=0.3, w_pad=0.6)
        figures["distributions"] = _save(fig, figures_dir, "part4_distributions")

        # 10 x 10 grid: source digit (rows) x target digit (columns); the diagonal shows originals.
        fig, axes = plt.subplots(10, 10, figsize=(5.0, 5.3))  # fits below a half-page figure
        for s in range(10):
            for t in range(10):
                ax = axes[s, t]
                row = r.pair_grid_index[s][t]
                if row < 0:
                    ax.axis("off")
                    ax.text(0.5, 0.5, "—", ha="center", va="center", transform=ax.transAxes)
                    continue
                _digit(ax, (saved["original"] if s == t else saved["adversarial"])[row].numpy())
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
        fig.tight_layout(pad=0.2, w_pad=0.1, h_pad=0.1)
        figures["target_grid"] = _save(fig, figures_dir, "part4_target_grid")
    return figures
