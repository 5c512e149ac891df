"""Part 5, beyond the assignment: does confidence decide transfer, can training resist, one perturbation for all.

All under Part 4's constraints (I_pert >= I, -1 <= I_pert <= 1), on Part 4's test images:
  5.1  the Part 4 attacks continued past the 0.90 stop to higher confidences, and their transfer to
       the retrained network (Carlini and Wagner 2017: high-confidence examples transfer better);
  5.2  adversarial training: a Goodfellow-style single-step network we train (the historical baseline) and a
       defence under a budget (training attacks in the one-sided box with a random start, Wong et al. 2020,
       or N-FGSM, de Jorge et al. 2022, with the catastrophic-overfitting guard), both attacked like Part 4's
       and measured the way the field measures robustness: robust accuracy per budget under the one-sided
       PGD (Madry et al. 2018), APGD-CE and APGD-DLR (Croce and Hein 2020), robust only if all fail;
  5.3  one universal perturbation v >= 0 for every image (Moosavi-Dezfooli et al. 2017), computed on
       training images and measured on test images, against random perturbations of the same norm.
The algorithms are in hw1/toolkit/attacks.py (`at_confidences`, `constrained_fgsm`, `random_start_fgsm`, `noisy_fgsm`,
`BoundedEvaluation`, `SignPGD`, `APGD`, `universal_perturbation`).
"""

from __future__ import annotations

import time
from dataclasses import asdict

from ...lazy import torch
from ...store.storage import atomic_path
from ...toolkit.networks import load_cnn, predict, save_weights
from ...toolkit.runtime import RunContext
from ...toolkit.train_config import TrainConfig
from ..contract import StoredPart
from ...store.schema import from_data
from .config import Part5Config
from .defence import train_defended
from .result import (
    CONFIDENCE_ADVERSARIAL,
    DEFENDED,
    GOODFELLOW,
    UNIVERSAL,
    UNIVERSAL_SHOWN,
    AttackedNetwork,
    ConfidenceRow,
    GuardRecord,
    NetworkRobustness,
    Part5Result,
    RobustSettings,
    UniversalHeadline,
    UniversalRow,
)


def _median(values: torch.Tensor) -> float | None:
    """The median, or None for no values (an attack that fooled the network on no image has no median size)."""
    return float(values.double().median()) if len(values) else None


def _attack_stats(outcome, labels, retrained_prediction=None, targets=None) -> dict:
    ok = outcome.success
    stats = {
        "success_rate": float(ok.float().mean()),
        "median_steps": _median(outcome.steps[ok]),
        "median_linf": _median(outcome.linf[ok]),
        "median_l2": _median(outcome.l2[ok]),
        "median_changed_pixels": _median(outcome.changed_pixels[ok].double()),
    }
    if retrained_prediction is not None:
        fooled = retrained_prediction[ok] != labels[ok]
        stats["transfer_misclassified"] = float(fooled.float().mean()) if ok.any() else 0.0
        if targets is not None:
            stats["transfer_hit_target"] = float((retrained_prediction[ok] == targets[ok]).float().mean()) if ok.any() else 0.0
    return stats


def run(config: Part5Config, ctx: RunContext, part3: StoredPart, part4: StoredPart) -> Part5Result:
    from ...toolkit.data import load_mnist, to_model_input

    device, p4 = ctx.device, part4.result
    seconds: dict[str, float] = {}
    data = load_mnist(ctx.data_dir, log=ctx.reporter.message)
    original = load_cnn(ctx.artifacts_dir / part3.result.weights, device)
    retrained = load_cnn(ctx.artifacts_dir / p4.retrained_weights, device)
    saved = torch.load(ctx.artifacts_dir / p4.artifact, weights_only=True)
    n4 = len(saved["label"]) // 2  # rows: untargeted first, then targeted, same images
    images, labels, targets = saved["original"][:n4], saved["label"][:n4], saved["target"][n4:]

    def timed(step: str, compute, *args):
        started = time.perf_counter()
        value = compute(*args)
        seconds[step] = time.perf_counter() - started
        return value

    confidence = timed("confidence", _confidence_study, config, ctx, part4.config, original, retrained,
                       images, labels, targets)
    goodfellow, goodfellow_history = timed("goodfellow_training", _train_goodfellow, config, ctx, data)
    # The defence that holds: budgeted adversarial training (from scratch, or fine-tuning Part 3's network).
    defended, history, guard = timed("adversarial_training", _train_budgeted, config, ctx, data, original)

    started = time.perf_counter()
    test_x, test_y = to_model_input(data.test_images), data.test_labels
    networks = {"original": original, "retrained": retrained, "single-step (Goodfellow-style)": goodfellow,
                "adversarially trained": defended}
    clean = {name: predict(net, test_x, device)[1] for name, net in networks.items()}
    accuracy = {name: float((pred == test_y).float().mean()) for name, pred in clean.items()}
    common, defended_stats, transfer = _attack_every_network(config, ctx, part4.config, networks, accuracy, clean,
                                                             saved, images, labels)
    seconds["defended_attacks"] = time.perf_counter() - started
    robustness, robust_settings = timed("bounded_attacks", _bounded_evaluation, config, ctx, networks,
                                        test_x[: config.robust_images], test_y[: config.robust_images])
    if config.test_subset:
        test_x, clean = test_x[: config.test_subset], {k: v[: config.test_subset] for k, v in clean.items()}
    universal, headline = timed("universal", _universal_study, config, ctx, data, networks, test_x, clean, images,
                                labels)
    guard_record = {"budget": config.robust_headline, "steps": config.guard_steps, "images": config.guard_images,
                    "collapse": config.guard_collapse, "history": guard.history, "collapsed": guard.collapsed,
                    "epochs_trained": len(history.epoch_train_loss)}
    return Part5Result(
        attack_eps=part4.config.eps, attack_max_steps=part4.config.max_steps,
        attack_confidence=part4.config.confidence, part4_median_linf=p4.untargeted.linf.median,
        images_confidence=min(config.transfer_images, n4), universal_test_images=len(test_x), confidence=confidence,
        defended_test_accuracy=accuracy["adversarially trained"], original_test_accuracy=accuracy["original"],
        retrained_test_accuracy=accuracy["retrained"], defended_train_seconds=history.train_seconds,
        goodfellow_test_accuracy=accuracy["single-step (Goodfellow-style)"],
        goodfellow_train_seconds=goodfellow_history.train_seconds, robustness=robustness,
        robust_settings=robust_settings, guard=from_data(GuardRecord, guard_record), tradeoff=load_tradeoff(),
        defended_images=len(common), defended=defended_stats, transfer=transfer, networks=list(networks),
        universal=universal, universal_headline=headline, seconds=seconds,
    )


def _confidence_study(config: Part5Config, ctx: RunContext, attack_settings, original, retrained, images, labels,
                      targets) -> list[ConfidenceRow]:
    """5.1: Part 4's attacks continued past the 0.90 stop, one pass per attack kind, and their transfer."""
    from ...toolkit.attacks import ConstrainedIFGSM

    n = min(config.transfer_images, len(labels))
    attack = ConstrainedIFGSM(original, attack_settings.eps, config.threshold_max_steps, batch_size=1000,
                              reporter=ctx.reporter)
    confidence, kept = [], {}
    for kind, goal in (("untargeted", None), ("targeted", targets[:n])):
        outcomes = attack.at_confidences(images[:n], labels[:n], goal, config.thresholds)
        for threshold, outcome in zip(config.thresholds, outcomes):
            _, retrained_prediction = predict(retrained, outcome.adversarial, ctx.device)
            confidence.append({"attack": kind, "threshold": threshold,
                               **_attack_stats(outcome, labels[:n], retrained_prediction, goal)})
            kept[f"{kind}_{threshold}"] = outcome.adversarial
    with atomic_path(ctx.artifact(CONFIDENCE_ADVERSARIAL)) as tmp:
        torch.save({"original": images[:n], "label": labels[:n], "target": targets[:n],
                    "thresholds": torch.tensor(config.thresholds, dtype=torch.float64), **kept}, tmp)
    return from_data(list[ConfidenceRow], confidence)


def _train_goodfellow(config: Part5Config, ctx: RunContext, data):
    """5.2 (a): a Goodfellow-style single-step network (Goodfellow et al.'s objective, trained here): the historical
    baseline (saved, and its curves)."""
    from ...toolkit.attacks import constrained_fgsm
    from ...toolkit.training import train_cnn

    checkpoint = ctx.checkpoints_dir / f"part5-defended-{ctx.run_key}.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)

    def adversary(model, x, y):
        return constrained_fgsm(model, x, y, config.adversarial_eps, config.adversarial_steps)

    recipe = TrainConfig(epochs=config.training_epochs, train_subset=config.training_subset,
                         batch_size=config.training_batch_size, evals_per_epoch=1,
                         test_subset=1000 if config.training_subset else 0)
    goodfellow, history = train_cnn(recipe, data, ctx.device, ctx.seed + config.goodfellow_seed_offset, checkpoint,
                                    ctx.reporter, adversary=adversary, alpha=config.adversarial_alpha)
    save_weights(goodfellow, ctx.artifact(GOODFELLOW))
    return goodfellow, history


def _train_budgeted(config: Part5Config, ctx: RunContext, data, original):
    """5.2 (b): the defended network (saved), its curves and its guard."""
    initial = original.state_dict() if config.defence_init == "part3" else None
    defended, history, guard = train_defended(config, data, ctx.device, ctx.seed + config.defence_seed_offset, initial,
                                              ctx.checkpoints_dir / f"part5-budgeted-{ctx.run_key}.pt", ctx.reporter)
    save_weights(defended, ctx.artifact(DEFENDED))
    return defended, history, guard


def read_by_every_network(clean: dict, index: torch.Tensor, labels: torch.Tensor, limit: int) -> torch.Tensor:
    """Positions (into `labels`) of the first `limit` images that every network classifies correctly: `clean` holds
    each network's predictions on the test set, `index` the test-set index of each image."""
    right = torch.stack([predictions[index] == labels for predictions in clean.values()])  # (networks, images)
    return torch.nonzero(right.all(dim=0)).squeeze(1)[:limit]


def _attack_every_network(config: Part5Config, ctx: RunContext, attack_settings, networks: dict, accuracy: dict,
                          clean: dict, saved: dict, images, labels):
    """5.2's second view: the Part 4 attack (no budget) on every network, on the Part 4 images they all classify
    correctly, and the transfer of each network's adversarial images to the others ([source][target])."""
    from ...toolkit.attacks import ConstrainedIFGSM

    common = read_by_every_network(clean, saved["test_index"][: len(labels)], labels, config.defended_images)
    x, y = images[common], labels[common]
    adversarials, defended_stats = {}, []
    for name, net in networks.items():
        if name == "original":  # Part 4 already attacked these images with these settings: reuse it
            outcome = _saved_outcome(saved, common)
        else:
            outcome = ConstrainedIFGSM(net, attack_settings.eps, attack_settings.max_steps, attack_settings.confidence,
                                       reporter=ctx.reporter)(x, y)
        adversarials[name] = (outcome.adversarial, outcome.success)
        defended_stats.append({"network": name, "clean_accuracy": accuracy[name], **_attack_stats(outcome, y)})
    return common, from_data(list[AttackedNetwork], defended_stats), transfer_matrix(networks, adversarials, y,
                                                                                   ctx.device)


def transfer_matrix(networks: dict, adversarials: dict, labels, device) -> list[list[float | None]]:
    """[source][target], in the order of `networks`: the share of the adversarial images made on source (those that
    fooled it: adversarials[source] = (images, success mask)) that target misclassifies. None where the attack fooled
    source on no image: there is nothing to transfer, and no rate."""
    matrix = []
    for source in networks:
        adversarial, ok = adversarials[source]
        row = []
        for target in networks:
            if not ok.any():
                row.append(None)
                continue
            _, prediction = predict(networks[target], adversarial[ok], device)
            row.append(float((prediction != labels[ok]).float().mean()))
        matrix.append(row)
    return matrix


def _bounded_evaluation(config: Part5Config, ctx: RunContext, networks: dict, bounded_x, bounded_y):
    """5.2 (c): robust accuracy of every network per budget, the worst case over PGD, APGD-CE and APGD-DLR."""
    from ...toolkit.attacks import BoundedEvaluation

    attacks = _robust_attacks(config)
    robustness = []
    for name, net in networks.items():
        budgets = config.robust_budgets if name == "adversarially trained" else config.robust_budgets_others
        curve = BoundedEvaluation(net, attacks, seed=ctx.seed).curve(bounded_x, bounded_y, budgets)
        robustness.append({"network": name, **asdict(curve)})
    starts = {"zero": "zero", "random": "uniform random in the one-sided box"}
    robust_settings = {"steps": config.robust_steps, "step_fraction": config.robust_step_fraction,
                       "starts": [starts[s] for s in config.robust_pgd_starts], "images": len(bounded_x),
                       "attacks": [attack.name for attack in attacks], "apgd_iterations": config.robust_apgd_iterations,
                       "headline": config.robust_headline, "images_from": "the first test images",
                       "constraint": "0 <= delta <= budget, I + delta <= 1, inputs in [-1, 1]"}
    return from_data(list[NetworkRobustness], robustness), from_data(RobustSettings, robust_settings)


def _robust_attacks(config: Part5Config) -> list:
    """The ensemble of the bounded evaluation, in the order it runs: PGD (each start), then APGD-CE and APGD-DLR."""
    from ...toolkit.attacks import APGD, SignPGD

    pgd = [SignPGD(config.robust_steps, config.robust_step_fraction, start == "random")
           for start in config.robust_pgd_starts]
    apgd = [APGD(loss, config.robust_apgd_iterations) for loss in ("ce", "dlr")] if config.robust_apgd_iterations else []
    return pgd + apgd


def _universal_study(config: Part5Config, ctx: RunContext, data, networks: dict, test_x, clean: dict, images, labels):
    """5.3: one perturbation v >= 0 for every digit (per budget), computed on training images and measured on test
    images against a random control; the headline budget's transfer, classes and shown digits."""
    from ...toolkit.attacks import universal_perturbation
    from ...toolkit.data import to_model_input
    from ...toolkit.models import prefers_channels_last

    device, original = ctx.device, networks["original"]
    train_x = to_model_input(data.train_images).to(device)
    train_y = data.train_labels.to(device)
    generator = torch.Generator().manual_seed(ctx.seed)
    universal, perturbations, predictions = [], [], []

    channels_last = prefers_channels_last(device)
    for budget in config.universal_budgets:
        v = universal_perturbation(original, train_x, train_y, budget, config.universal_steps,
                                   config.universal_batch, budget * config.universal_step_fraction, generator,
                                   channels_last).cpu()
        # Control: a random non-negative perturbation with the same L2 norm, within the same L-inf budget.
        noise = torch.rand(v.shape, generator=generator)
        random = (noise / noise.norm() * v.norm()).clamp(max=budget)
        predicted = _perturbed_predictions(original, test_x, v, device)
        fooled = predicted != clean["original"]
        universal.append({
            "budget": budget, "linf": float(v.abs().max()), "l2": float(v.norm()),
            "pixels": int((v > 0).sum()), "fooling_rate": float(fooled.float().mean()),
            "random_fooling_rate": float((_perturbed_predictions(original, test_x, random, device)
                                          != clean["original"]).float().mean()),
            "random_l2": float(random.norm()),
        })
        perturbations.append(v)
        predictions.append(predicted)
    headline = config.universal_budgets.index(config.universal_headline) if config.universal_headline in \
        config.universal_budgets else len(config.universal_budgets) - 1
    v, perturbed_prediction = perturbations[headline], predictions[headline]
    fooled = perturbed_prediction != clean["original"]
    transfer_universal = {"original": universal[headline]["fooling_rate"]}  # measured in the loop above
    transfer_universal.update({
        name: float((_perturbed_predictions(net, test_x, v, device) != clean[name]).float().mean())
        for name, net in networks.items() if name != "original"})
    # The digits the figure shows with v added (the first Part 4 images) and what the network makes of them.
    shown = images[:UNIVERSAL_SHOWN]
    shown_probabilities, shown_prediction = predict(original, torch.clamp(shown + v, max=1.0), device)
    headline_result = {
        "budget": config.universal_budgets[headline],
        "fooling_rate": universal[headline]["fooling_rate"],
        "fooled_into": torch.bincount(perturbed_prediction[fooled], minlength=10).tolist(),
        "transfer": transfer_universal,
        "pixels_at_budget": int((v >= 0.99 * config.universal_budgets[headline]).sum()),  # pixels raised by (almost) the whole budget
        "mean_value": float(v.mean()),  # average brightening per pixel, input units
        "examples": [{"label": int(label), "prediction": int(prediction), "confidence": float(probabilities.max())}
                     for label, prediction, probabilities in zip(labels[:UNIVERSAL_SHOWN], shown_prediction,
                                                                 shown_probabilities)],
    }
    with atomic_path(ctx.artifact(UNIVERSAL)) as tmp:
        torch.save({"perturbation": v, "budget": torch.tensor(config.universal_budgets[headline]),
                    "budgets": torch.tensor(config.universal_budgets), "perturbations": torch.cat(perturbations)}, tmp)
    return from_data(list[UniversalRow], universal), from_data(UniversalHeadline, headline_result)


def load_tradeoff() -> dict:
    """The defence benchmark's saved table (benchmarks/bench_defence.py --save writes tradeoff.py of this package)."""
    from .tradeoff import TABLE

    return TABLE


def _perturbed_predictions(network, test_x, v, device) -> torch.Tensor:
    """(N,) the network's predictions on clamp(I + v, max=1): the images with v added, kept in range."""

    return predict(network, torch.clamp(test_x + v, max=1.0), device)[1]


def _saved_outcome(saved: dict, rows: torch.Tensor):
    """Part 4's untargeted outcome for the given rows of adversarial.pt, as an AttackOutcome."""
    from ...toolkit.attacks import AttackOutcome

    return AttackOutcome(
        adversarial=saved["adversarial"][rows], success=saved["success"][rows], steps=saved["steps"][rows],
        prediction=saved["original_prediction"][rows], probability=saved["original_probability"][rows],
        probabilities=saved["original_probabilities"][rows], linf=saved["linf"][rows], l2=saved["l2"][rows],
        changed_pixels=saved["changed_pixels"][rows],
    )
