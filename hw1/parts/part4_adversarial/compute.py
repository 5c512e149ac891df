"""Part 4: constrained adversarial images against the Part 3 CNN, and what a retrained CNN sees.

Question 1: untargeted attacks; Question 2: targeted attacks (target = label + k mod 10, k random
in 1..9, so any source/target pair can occur); Question 3, two readings: (a) a second CNN trained from
scratch with Part 3's recipe and another seed is fed the adversarial images (transfer); (b) the Part 3
network is fine-tuned with the adversarial images of a share of the attacked test images added to its
training data (true labels), beside a control fine-tuned on clean images only; both are fed the
adversarial images of the held-back test images and attacked afresh (retraining.py).
"""

from __future__ import annotations

import dataclasses
import time

from ...lazy import torch
from ...store.storage import atomic_path
from ...toolkit.networks import load_cnn, predict, save_weights
from ...toolkit.runtime import RunContext
from ..contract import StoredPart
from .config import Part4Config
from .retraining import _retraining
from ...store.schema import from_data
from .result import (
    ADVERSARIAL,
    RETRAINED,
    AttackExample,
    AttackSummary,
    Part4Result,
    SweepRow,
)


def _summary(outcome, images, labels, targets, retrained_probs, retrained_pred, clean_pred, max_steps) -> AttackSummary:
    ok = outcome.success
    n_ok = max(int(ok.sum()), 1)
    changed = (outcome.adversarial - images) > 0  # (N, 1, 28, 28): pixels the attack brightened
    background = images <= -1.0  # MNIST's 0 (black) maps to exactly -1
    retrained_wrong = ok & (retrained_pred != labels)

    def stats(values: torch.Tensor) -> dict:
        v = values[ok].double()
        if len(v) == 0:
            return {"mean": 0.0, "median": 0.0, "p90": 0.0, "max": 0.0}
        return {"mean": float(v.mean()), "median": float(v.median()), "p90": float(torch.quantile(v, 0.9)),
                "max": float(v.max())}

    summary = {
        "attacked": len(labels),
        "succeeded": int(ok.sum()),
        "success_rate": float(ok.float().mean()),
        "failed": int((~ok).sum()),
        "steps": stats(outcome.steps),
        "steps_histogram": torch.bincount(outcome.steps[ok], minlength=max_steps + 1).tolist(),
        "linf": stats(outcome.linf),
        "l2": stats(outcome.l2),
        "changed_pixels": stats(outcome.changed_pixels),
        "final_confidence": stats(outcome.probability),
        # Question 3, over the successful adversarial images:
        "retrained_misclassified": float((retrained_pred[ok] != labels[ok]).sum()) / n_ok,
        "retrained_accuracy_adversarial": float((retrained_pred[ok] == labels[ok]).sum()) / n_ok,
        "retrained_accuracy_original": float((clean_pred[ok] == labels[ok]).sum()) / n_ok,
        "retrained_same_prediction": float((retrained_pred[ok] == outcome.prediction[ok]).sum()) / n_ok,
        "retrained_confident_wrong": float(((retrained_pred[ok] != labels[ok])
                                            & (retrained_probs[ok].max(dim=1).values >= 0.9)).sum()) / n_ok,
        # Median confidence of the retrained network in its wrong answers (None: it makes none).
        "retrained_wrong_confidence_median": (float(retrained_probs[retrained_wrong].max(dim=1).values.double().median())
                                              if retrained_wrong.any() else None),
        # Share of the brightened pixels (successful attacks) that were black background in the original.
        "changed_background_share": float((changed & background)[ok].sum()) / max(int(changed[ok].sum()), 1),
    }
    if targets is not None:
        summary["retrained_hit_target"] = float((retrained_pred[ok] == targets[ok]).sum()) / n_ok
    return from_data(AttackSummary, summary)


def _examples(rows: list[int], offset: int, outcome, labels, targets, clean_probs, retrained_probs,
              retrained_clean_probs) -> list[AttackExample]:
    examples = []
    for i in rows:
        examples.append(from_data(AttackExample, {
            "row": offset + i,  # row in adversarial.pt
            "label": int(labels[i]),
            "target": -1 if targets is None else int(targets[i]),
            "steps": int(outcome.steps[i]),
            "linf": float(outcome.linf[i]),
            "l2": float(outcome.l2[i]),
            "changed_pixels": int(outcome.changed_pixels[i]),
            "probabilities_before": clean_probs[i].tolist(),
            "probabilities_after": outcome.probabilities[i].tolist(),
            "prediction_after": int(outcome.prediction[i]),
            "confidence_after": float(outcome.probability[i]),
            "retrained_prediction": int(retrained_probs[i].argmax()),
            "retrained_confidence": float(retrained_probs[i].max()),
            "retrained_original_prediction": int(retrained_clean_probs[i].argmax()),
            "retrained_original_confidence": float(retrained_clean_probs[i].max()),
        }))
    return examples


def _pick_examples(outcome, labels, targets, count: int) -> list[int]:
    """The first successful attacks with distinct source digits (and, if targeted, distinct targets)."""
    chosen, sources, goals = [], set(), set()
    for i in torch.nonzero(outcome.success).squeeze(1).tolist():
        source, goal = int(labels[i]), (None if targets is None else int(targets[i]))
        if source in sources or (goal is not None and goal in goals):
            continue
        sources.add(source)
        goals.add(goal)
        chosen.append(i)
        if len(chosen) == count:
            break
    return chosen


def run(config: Part4Config, ctx: RunContext, part3: StoredPart) -> Part4Result:
    from ...toolkit.data import load_mnist, to_model_input

    device = ctx.device
    data = load_mnist(ctx.data_dir, log=ctx.reporter.message)
    original = load_cnn(ctx.artifacts_dir / part3.result.weights, device)
    test_x = to_model_input(data.test_images)  # (10000, 1, 28, 28) in [-1, 1]
    clean_probs_all, clean_pred_all = predict(original, test_x, device)
    original_accuracy = float((clean_pred_all == data.test_labels).float().mean())
    chosen, targets = _chosen_and_targets(config, clean_pred_all, data.test_labels, ctx.seed)
    images, labels, clean_probs = test_x[chosen], data.test_labels[chosen], clean_probs_all[chosen]
    (untargeted, seconds_untargeted), (targeted, seconds_targeted) = _attack_both(config, ctx, original, images,
                                                                                  labels, targets)
    # The choice of eps: the same untargeted attack with other step sizes on the first images.
    sweep = _eps_sweep(config, original, images, labels)
    second = _retrained_network(config, ctx, part3, data, test_x, chosen, untargeted, targeted)
    retrained_clean_probs, retrained_clean_pred = second["clean_probs"], second["clean_pred"]
    (un_probs, un_pred), (tg_probs, tg_pred) = second["untargeted"], second["targeted"]

    n = len(labels)
    _save_attacked(ctx, images, labels, targets, chosen, clean_probs, untargeted, targeted, (un_probs, un_pred),
                   (tg_probs, tg_pred))
    pair_success, pair_index = _target_grid(labels, targets, targeted.success)

    # Question 3, second reading: fine-tuning with a share of the adversarial images, beside a control.
    started = time.perf_counter()
    retraining, example_rows = _retraining(config, ctx, data, original, test_x, chosen, labels, targets,
                                           clean_pred_all, untargeted, targeted,
                                           (second["clean_pred_all"], un_pred, tg_pred))
    retraining = dataclasses.replace(retraining, seconds=time.perf_counter() - started)
    untargeted_examples, targeted_examples = (
        [dataclasses.replace(e, **example_rows(e.row)) for e in _examples(
            _pick_examples(outcome, labels, goal, config.examples), offset, outcome, labels, goal, clean_probs, probs,
            retrained_clean_probs)]
        for outcome, goal, offset, probs in ((untargeted, None, 0, un_probs), (targeted, targets, n, tg_probs)))

    return Part4Result(
        images=n,
        retrained_seed=second["seed"],
        retrained_test_accuracy=second["accuracy"],
        original_test_accuracy=original_accuracy,
        untargeted=_summary(untargeted, images, labels, None, un_probs, un_pred, retrained_clean_pred, config.max_steps),
        targeted=_summary(targeted, images, labels, targets, tg_probs, tg_pred, retrained_clean_pred, config.max_steps),
        untargeted_examples=untargeted_examples,
        targeted_examples=targeted_examples,
        pair_success=pair_success,
        pair_grid_index=pair_index,
        eps_sweep=sweep,
        seconds_untargeted=seconds_untargeted,
        seconds_targeted=seconds_targeted,
        seconds_retraining=second["seconds"],
        retraining=retraining,
    )


def _chosen_and_targets(config: Part4Config, clean_pred_all, test_labels, seed: int):
    """The first `images` test images the original network classifies correctly (their test indexes), and each
    one's target: label + k mod 10, k uniform in 1..9 (seeded), so any source/target pair can occur."""
    chosen = torch.nonzero(clean_pred_all == test_labels).squeeze(1)[: config.images]
    labels = test_labels[chosen]
    generator = torch.Generator().manual_seed(seed)
    return chosen, (labels + torch.randint(1, 10, labels.shape, generator=generator)) % 10


def _attack_both(config: Part4Config, ctx: RunContext, original, images, labels, targets):
    """Questions 1 and 2: ((untargeted outcome, seconds), (targeted outcome, seconds))."""
    from ...toolkit.attacks import ConstrainedIFGSM
    from ...toolkit.training import warm_up_cuda

    attack = ConstrainedIFGSM(original, config.eps, config.max_steps, config.confidence, config.batch_size,
                              reporter=ctx.reporter)
    warm_up_cuda(ctx.device)  # no-op on the CPU; keeps CUDA start-up out of the attack timings
    done = []
    for goal in (None, targets):
        started = time.perf_counter()
        outcome = attack(images, labels) if goal is None else attack(images, labels, goal)
        done.append((outcome, time.perf_counter() - started))
    return done[0], done[1]


def _retrained_network(config: Part4Config, ctx: RunContext, part3: StoredPart, data, test_x, chosen, untargeted,
                       targeted) -> dict:
    """Question 3, first reading: a second network, Part 3's recipe with another seed, and what it makes of the
    test images and of the adversarial images."""
    from ...toolkit.training import train_cnn

    started = time.perf_counter()
    seed = ctx.seed + config.retrain_seed_offset
    checkpoint = ctx.checkpoints_dir / f"part4-retrain-{ctx.run_key}.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    retrained, _ = train_cnn(part3.config, data, ctx.device, seed, checkpoint, ctx.reporter)
    save_weights(retrained, ctx.artifact(RETRAINED))
    seconds = time.perf_counter() - started
    clean_probs_all, clean_pred_all = predict(retrained, test_x, ctx.device)
    return {"seed": seed, "seconds": seconds, "clean_probs": clean_probs_all[chosen], "clean_pred": clean_pred_all[chosen],
            "clean_pred_all": clean_pred_all, "accuracy": float((clean_pred_all == data.test_labels).float().mean()),
            "untargeted": predict(retrained, untargeted.adversarial, ctx.device),
            "targeted": predict(retrained, targeted.adversarial, ctx.device)}


def _eps_sweep(config: Part4Config, original, images, labels) -> list[SweepRow]:
    """The untargeted attack with each step size of config.eps_sweep, on the first `sweep_images` images."""
    from ...toolkit.attacks import ConstrainedIFGSM

    sweep = []
    for eps in config.eps_sweep:
        started = time.perf_counter()
        outcome = ConstrainedIFGSM(original, eps, config.max_steps, config.confidence, config.batch_size)(
            images[: config.sweep_images], labels[: config.sweep_images])
        ok = outcome.success
        sweep.append(from_data(SweepRow, {
            "eps": eps,
            "images": len(ok),
            "success_rate": float(ok.float().mean()),
            "median_steps": float(outcome.steps[ok].double().median()) if ok.any() else 0.0,
            "median_linf": float(outcome.linf[ok].double().median()) if ok.any() else 0.0,
            "median_l2": float(outcome.l2[ok].double().median()) if ok.any() else 0.0,
            "median_confidence": float(outcome.probability[ok].double().median()) if ok.any() else 0.0,
            "seconds": time.perf_counter() - started,
        }))
    return sweep


def _save_attacked(ctx: RunContext, images, labels, targets, chosen, clean_probs, untargeted, targeted,
                   retrained_untargeted, retrained_targeted) -> None:
    """adversarial.pt: every attacked image of both attacks (untargeted rows first), with what each network said."""
    un_probs, un_pred = retrained_untargeted
    tg_probs, tg_pred = retrained_targeted
    with atomic_path(ctx.artifact(ADVERSARIAL)) as tmp:
        torch.save({
            "original": torch.cat([images, images]),  # (2N, 1, 28, 28) in [-1, 1]
            "adversarial": torch.cat([untargeted.adversarial, targeted.adversarial]),
            "label": torch.cat([labels, labels]),
            "target": torch.cat([torch.full_like(labels, -1), targets]),  # -1: untargeted
            "test_index": torch.cat([chosen, chosen]),
            "success": torch.cat([untargeted.success, targeted.success]),
            "steps": torch.cat([untargeted.steps, targeted.steps]),
            "original_prediction": torch.cat([untargeted.prediction, targeted.prediction]),
            "original_probability": torch.cat([untargeted.probability, targeted.probability]),
            "original_probabilities": torch.cat([untargeted.probabilities, targeted.probabilities]),
            "original_probabilities_clean": torch.cat([clean_probs, clean_probs]),
            "retrained_prediction": torch.cat([un_pred, tg_pred]),
            "retrained_probability": torch.cat([un_probs.max(dim=1).values, tg_probs.max(dim=1).values]),
            "linf": torch.cat([untargeted.linf, targeted.linf]),
            "l2": torch.cat([untargeted.l2, targeted.l2]),
            "changed_pixels": torch.cat([untargeted.changed_pixels, targeted.changed_pixels]),
        }, tmp)


def _target_grid(labels, targets, success) -> tuple[list[list[float]], list[list[int]]]:
    """Targeted success rate per (source, target) and the adversarial.pt row shown for each (-1: none; the diagonal
    shows an original image of the digit)."""
    n = len(labels)
    pair_success = torch.zeros(10, 10)
    pair_count = torch.zeros(10, 10)
    pair_index = torch.full((10, 10), -1, dtype=torch.int64)
    for i in range(n):
        s, t = int(labels[i]), int(targets[i])
        pair_count[s, t] += 1
        if success[i]:
            pair_success[s, t] += 1
            if pair_index[s, t] < 0:
                pair_index[s, t] = n + i
    for s in range(10):  # the diagonal shows an original image of the digit
        rows = torch.nonzero(labels == s).squeeze(1)
        if len(rows):
            pair_index[s, s] = n + int(rows[0])
    return (pair_success / pair_count.clamp(min=1)).tolist(), pair_index.tolist()


# ------------------------------------------------------------------ Question 3, second reading: fine-tuning
