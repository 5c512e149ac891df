"""Part 4: constrained adversarial images against the Part 3 CNN, and what a retrained CNN sees.

Question 1: untargeted attacks; Question 2: targeted attacks (target = label + k mod 10, k random
in 1..9, so any source/target pair can occur); Question 3, two readings: (a) a second CNN trained from
scratch with Part 3's recipe and another seed is fed the adversarial images (transfer); (b) the Part 3
network is fine-tuned with the adversarial images of a share of the attacked test images added to its
training data (true labels), beside a control fine-tuned on clean images only; both are fed the
adversarial images of the held-back test images and attacked afresh (`_retraining`).
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
from ...store.schema import from_data
from .result import (
    ADVERSARIAL,
    FINETUNED,
    FINETUNED_CONTROL,
    RETRAINING,
    RETRAINED,
    AttackExample,
    AttackSummary,
    FreshAttack,
    NetworkOnHeldBack,
    Part4Result,
    Retraining,
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
    from ...toolkit.attacks import ConstrainedIFGSM
    from ...toolkit.data import load_mnist, to_model_input
    from ...toolkit.training import train_cnn, warm_up_cuda

    device = ctx.device
    data = load_mnist(ctx.data_dir, log=ctx.reporter.message)
    original = load_cnn(ctx.artifacts_dir / part3.result.weights, device)

    # Pick the first `images` test images the original network classifies correctly.
    test_x = to_model_input(data.test_images)  # (10000, 1, 28, 28) in [-1, 1]
    clean_probs_all, clean_pred_all = predict(original, test_x, device)
    original_accuracy = float((clean_pred_all == data.test_labels).float().mean())
    chosen = torch.nonzero(clean_pred_all == data.test_labels).squeeze(1)[: config.images]
    images, labels = test_x[chosen], data.test_labels[chosen]
    clean_probs = clean_probs_all[chosen]
    generator = torch.Generator().manual_seed(ctx.seed)
    targets = (labels + torch.randint(1, 10, labels.shape, generator=generator)) % 10

    attack = ConstrainedIFGSM(original, config.eps, config.max_steps, config.confidence, config.batch_size,
                              reporter=ctx.reporter)
    warm_up_cuda(device)  # no-op on the CPU; keeps CUDA start-up out of the attack timings
    started = time.perf_counter()
    untargeted = attack(images, labels)
    seconds_untargeted = time.perf_counter() - started
    started = time.perf_counter()
    targeted = attack(images, labels, targets)
    seconds_targeted = time.perf_counter() - started

    # The choice of eps: the same untargeted attack with other step sizes on the first images.
    sweep = _eps_sweep(config, original, images, labels)

    # Question 3: a second network, same recipe, another seed.
    started = time.perf_counter()
    retrained_seed = ctx.seed + config.retrain_seed_offset
    checkpoint = ctx.checkpoints_dir / f"part4-retrain-{ctx.run_key}.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    retrained, _ = train_cnn(part3.config, data, device, retrained_seed, checkpoint, ctx.reporter)
    save_weights(retrained, ctx.artifact(RETRAINED))
    seconds_retraining = time.perf_counter() - started
    retrained_clean_probs_all, retrained_clean_pred_all = predict(retrained, test_x, device)
    retrained_clean_probs = retrained_clean_probs_all[chosen]
    retrained_clean_pred = retrained_clean_pred_all[chosen]
    retrained_accuracy = float((retrained_clean_pred_all == data.test_labels).float().mean())
    un_probs, un_pred = predict(retrained, untargeted.adversarial, device)
    tg_probs, tg_pred = predict(retrained, targeted.adversarial, device)

    n = len(labels)
    _save_attacked(ctx, images, labels, targets, chosen, clean_probs, untargeted, targeted, (un_probs, un_pred),
                   (tg_probs, tg_pred))
    pair_success, pair_index = _target_grid(labels, targets, targeted.success)

    # Question 3, second reading: fine-tuning with a share of the adversarial images, beside a control.
    started = time.perf_counter()
    retraining, example_rows = _retraining(config, ctx, data, original, test_x, chosen, labels, targets,
                                           clean_pred_all, untargeted, targeted,
                                           (retrained_clean_pred_all, un_pred, tg_pred))
    retraining = dataclasses.replace(retraining, seconds=time.perf_counter() - started)
    untargeted_examples = [dataclasses.replace(e, **example_rows(e.row)) for e in _examples(
        _pick_examples(untargeted, labels, None, config.examples), 0, untargeted, labels, None, clean_probs, un_probs,
        retrained_clean_probs)]
    targeted_examples = [dataclasses.replace(e, **example_rows(e.row)) for e in _examples(
        _pick_examples(targeted, labels, targets, config.examples), n, targeted, labels, targets, clean_probs,
        tg_probs, retrained_clean_probs)]

    return Part4Result(
        images=n,
        retrained_seed=retrained_seed,
        retrained_test_accuracy=retrained_accuracy,
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
        seconds_retraining=seconds_retraining,
        retraining=retraining,
    )


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

def finetune(initial: dict, images: torch.Tensor, labels: torch.Tensor, config: Part4Config, device, seed: int):
    """The Part 3 network (`initial`, a state_dict) fine-tuned on `images` (N, 1, 28, 28) in [-1, 1] with `labels`:
    Adam with a one-cycle schedule peaking at `finetune_lr`, cross-entropy, `finetune_epochs` passes in shuffled
    batches of `finetune_batch_size` (an incomplete last batch is dropped: BatchNorm needs more than one image).
    Full float32. Returns the network in eval mode and the number of optimisation steps."""
    import torch.nn.functional as F

    from ...toolkit.models import Table1CNN, in_layout, prefers_channels_last
    from ...toolkit.runtime import full_float32

    torch.manual_seed(seed)
    channels_last = prefers_channels_last(device)
    model = Table1CNN()
    model.load_state_dict(initial)
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    x, y = images.to(device), labels.to(device)
    per_epoch = max(1, len(x) // config.finetune_batch_size)
    total = config.finetune_epochs * per_epoch
    optimizer = torch.optim.Adam(model.parameters(), lr=config.finetune_lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=config.finetune_lr, total_steps=total,
                                                   pct_start=min(0.5, max(0.25, 2.0 / total)))  # warm-up >= 2 steps
    shuffle = torch.Generator().manual_seed(seed)
    model.train()
    with full_float32():
        for _ in range(config.finetune_epochs):
            order = torch.randperm(len(x), generator=shuffle).to(device)
            for step in range(per_epoch):
                index = order[step * config.finetune_batch_size:(step + 1) * config.finetune_batch_size]
                loss = F.cross_entropy(model(in_layout(x[index], channels_last)).float(), y[index])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
    model.eval()
    return model, total


def finetuning_sets(saved: dict, split: dict, train_images: torch.Tensor, train_labels: torch.Tensor):
    """The two fine-tuning sets, rebuilt from adversarial.pt (`saved`), retraining.pt (`split`) and the MNIST training
    images (uint8): (images, labels) of the adversarially fine-tuned network (its clean training images, then the
    adversarial rows of adversarial.pt it trains on, with their true labels) and of the control (clean images only)."""
    from ...toolkit.data import to_model_input

    rows = split["training_rows"]
    clean = split["clean_train_index"]
    control = split["control_train_index"]
    adversarial_set = (torch.cat([to_model_input(train_images[clean]), saved["adversarial"][rows]]),
                       torch.cat([train_labels[clean], saved["label"][rows]]))
    control_set = to_model_input(train_images[control]), train_labels[control]
    return adversarial_set, control_set


def _fresh_attack(config: Part4Config, network, images, labels, targets, device) -> tuple[FreshAttack, FreshAttack]:
    """The Part 4 attacks (same settings) against `network`, on those of `images` it classifies correctly."""
    from ...toolkit.attacks import ConstrainedIFGSM

    _, prediction = predict(network, images, device)
    keep = prediction == labels
    attack = ConstrainedIFGSM(network, config.eps, config.max_steps, config.confidence, config.batch_size)
    return (_fresh_summary(attack(images[keep], labels[keep])),
            _fresh_summary(attack(images[keep], labels[keep], targets[keep])))


def _fresh_summary(outcome) -> FreshAttack:
    ok = outcome.success

    def median(values) -> float:
        return float(values[ok].double().median()) if ok.any() else 0.0

    return FreshAttack(attacked=len(ok), succeeded=int(ok.sum()),
                       success_rate=float(ok.float().mean()) if len(ok) else 0.0,
                       median_steps=median(outcome.steps), median_linf=median(outcome.linf),
                       median_l2=median(outcome.l2))


def _retraining(config: Part4Config, ctx: RunContext, data, original, test_x, chosen, labels, targets,
                clean_pred_all, untargeted, targeted, retrained_predictions):
    """Question 3, second reading. The attacked test images are split by a seeded permutation into a training share
    and a held-back share: the successful adversarial images (both attacks) of the training share, with their true
    labels, join `finetune_clean_images` clean training images, and the Part 3 network is fine-tuned on them; the
    control is fine-tuned the same way (same seed, schedule and number of images) on clean training images only.
    Every network is then fed the held-back share's successful adversarial images, its clean accuracy is measured on
    the test images outside the training share, and the fine-tuned networks are attacked afresh on held-back images.

    Returns the Retraining record and a function giving each worked example's fields (by adversarial.pt row)."""
    device = ctx.device
    n = len(labels)
    generator = torch.Generator().manual_seed(ctx.seed + 4)  # 4: Part 4's own stream, apart from the targets'
    order = torch.randperm(n, generator=generator)
    n_train = int(round(config.finetune_share * n))
    train_pos, held_pos = order[:n_train].sort().values, order[n_train:].sort().values
    un_ok, tg_ok = untargeted.success, targeted.success
    # Rows of adversarial.pt (untargeted rows 0..n-1, targeted rows n..2n-1), successful attacks only.
    training_rows = torch.cat([train_pos[un_ok[train_pos]], n + train_pos[tg_ok[train_pos]]])
    fed_untargeted = held_pos[un_ok[held_pos]]
    fed_targeted = held_pos[tg_ok[held_pos]]
    adversarial = torch.cat([untargeted.adversarial, targeted.adversarial])
    all_labels = torch.cat([labels, labels])

    extra = len(training_rows)
    train_order = torch.randperm(len(data.train_labels), generator=generator)
    clean_index = train_order[:config.finetune_clean_images].sort().values
    control_index = train_order[:config.finetune_clean_images + extra].sort().values
    split = {"training_rows": training_rows, "clean_train_index": clean_index, "control_train_index": control_index}
    saved = {"adversarial": adversarial, "label": all_labels}
    adversarial_set, control_set = finetuning_sets(saved, split, data.train_images, data.train_labels)

    initial = {k: v.detach().cpu() for k, v in original.state_dict().items()}
    finetuned, steps = finetune(initial, *adversarial_set, config, device, ctx.seed)
    control, control_steps = finetune(initial, *control_set, config, device, ctx.seed)
    assert steps == control_steps  # same number of images in each set
    save_weights(finetuned, ctx.artifact(FINETUNED))
    save_weights(control, ctx.artifact(FINETUNED_CONTROL))

    # Clean accuracy on the test images outside the training share (the held-back share included).
    outside = torch.ones(len(test_x), dtype=torch.bool)
    outside[chosen[train_pos]] = False
    test_labels = data.test_labels
    fresh_pos = held_pos[:config.fresh_attack_images]
    fresh_images, fresh_labels, fresh_targets = test_x[chosen[fresh_pos]], labels[fresh_pos], targets[fresh_pos]

    def on_held_back(network, fresh, clean_pred=None) -> tuple[NetworkOnHeldBack, torch.Tensor, torch.Tensor]:
        if clean_pred is None:
            _, clean_pred = predict(network, test_x, device)
        _, un_pred = predict(network, untargeted.adversarial[fed_untargeted], device)
        _, tg_pred = predict(network, targeted.adversarial[fed_targeted], device)
        return NetworkOnHeldBack(
            clean_accuracy=_share(clean_pred[outside] == test_labels[outside]),
            untargeted_accuracy=_share(un_pred == labels[fed_untargeted]),
            targeted_accuracy=_share(tg_pred == labels[fed_targeted]),
            targeted_hit_target=_share(tg_pred == targets[fed_targeted]),
            fresh_untargeted=fresh[0], fresh_targeted=fresh[1]), un_pred, tg_pred

    # The Part 3 network: its "fresh" attacks are the Part 4 attacks on the same images (same settings).
    original_record, _, _ = on_held_back(original, (_subset_summary(untargeted, fresh_pos),
                                                    _subset_summary(targeted, fresh_pos)), clean_pred_all)
    control_record, control_un, control_tg = on_held_back(
        control, _fresh_attack(config, control, fresh_images, fresh_labels, fresh_targets, device))
    finetuned_record, finetuned_un, finetuned_tg = on_held_back(
        finetuned, _fresh_attack(config, finetuned, fresh_images, fresh_labels, fresh_targets, device))
    transfer_clean, transfer_un, transfer_tg = retrained_predictions

    with atomic_path(ctx.artifact(RETRAINING)) as tmp:
        torch.save({
            "training_test_index": chosen[train_pos],  # test images whose adversarial images were trained on
            "held_back_test_index": chosen[held_pos],  # attacked test images never trained on
            "training_rows": training_rows,  # rows of adversarial.pt in the adversarial network's training set
            "fed_rows": torch.cat([fed_untargeted, n + fed_targeted]),  # rows of adversarial.pt fed afterwards
            "clean_train_index": clean_index,  # MNIST training images in its training set
            "control_train_index": control_index,  # MNIST training images in the control's (its whole set)
            "clean_accuracy_mask": outside,  # (10000,) the test images the clean accuracies are measured on
            "fresh_attack_test_index": chosen[fresh_pos],  # held-back test images the fresh attacks start from
            "finetuned_prediction": torch.cat([finetuned_un, finetuned_tg]),  # on the fed rows, in order
            "control_prediction": torch.cat([control_un, control_tg]),
        }, tmp)

    record = Retraining(
        share=config.finetune_share,
        training_test_images=len(train_pos),
        held_back_test_images=len(held_pos),
        adversarial_untargeted_in_training=int(un_ok[train_pos].sum()),
        adversarial_targeted_in_training=int(tg_ok[train_pos].sum()),
        clean_in_training=len(clean_index),
        control_clean_in_training=len(control_index),
        epochs=config.finetune_epochs,
        batch_size=config.finetune_batch_size,
        max_lr=config.finetune_lr,
        steps=steps,
        fed_untargeted=len(fed_untargeted),
        fed_targeted=len(fed_targeted),
        clean_test_images=int(outside.sum()),
        fresh_attack_test_images=len(fresh_pos),
        original=original_record,
        control=control_record,
        finetuned=finetuned_record,
        transfer_clean_accuracy=_share(transfer_clean[outside] == test_labels[outside]),
        transfer_untargeted_accuracy=_share(transfer_un[fed_untargeted] == labels[fed_untargeted]),
        transfer_targeted_accuracy=_share(transfer_tg[fed_targeted] == labels[fed_targeted]),
        seconds=0.0,
    )
    held = set(held_pos.tolist())

    def example_fields(row: int) -> dict:
        position = row % n
        image = adversarial[row:row + 1]
        return {"held_back": position in held,
                "control_prediction": int(predict(control, image, device)[1][0]),
                "finetuned_prediction": int(predict(finetuned, image, device)[1][0])}

    return record, example_fields


def _share(hits: torch.Tensor) -> float:
    return float(hits.float().mean()) if len(hits) else 0.0


def _subset_summary(outcome, positions) -> FreshAttack:
    from ...toolkit.attacks import AttackOutcome

    return _fresh_summary(AttackOutcome(**{name: getattr(outcome, name)[positions]
                                           for name in AttackOutcome.__dataclass_fields__}))
