"""Part 4, question 3, second reading: the Part 3 network fine-tuned with a share of the attacked test images'
adversarial images (true labels) added to clean training images, beside a control fine-tuned on clean images only;
both are fed the held-back share's adversarial images and attacked afresh (`_retraining`, called by compute.run)."""

from __future__ import annotations

from ...lazy import torch
from ...store.storage import atomic_path
from ...toolkit.networks import predict, save_weights
from ...toolkit.runtime import RunContext
from .config import Part4Config
from .result import FINETUNED, FINETUNED_CONTROL, RETRAINING, FreshAttack, NetworkOnHeldBack, Retraining


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


def _save_split(ctx: RunContext, record: dict) -> None:
    with atomic_path(ctx.artifact(RETRAINING)) as tmp:
        torch.save(record, tmp)


def _split(config: Part4Config, seed: int, n: int, train_images: int, un_ok, tg_ok):
    """The seeded split of the n attacked test images (positions 0..n-1) into a training share and the held-back
    rest; the rows of adversarial.pt in the adversarial network's training set (untargeted rows 0..n-1, targeted
    rows n..2n-1, successful attacks of the training share only); and the MNIST training images of each set (the
    control takes as many more clean images as the other set has adversarial ones)."""
    generator = torch.Generator().manual_seed(seed + 4)  # 4: Part 4's own stream, apart from the targets'
    order = torch.randperm(n, generator=generator)
    n_train = int(round(config.finetune_share * n))
    train_pos, held_pos = order[:n_train].sort().values, order[n_train:].sort().values
    training_rows = torch.cat([train_pos[un_ok[train_pos]], n + train_pos[tg_ok[train_pos]]])
    train_order = torch.randperm(train_images, generator=generator)
    clean_index = train_order[:config.finetune_clean_images].sort().values
    control_index = train_order[:config.finetune_clean_images + len(training_rows)].sort().values
    return train_pos, held_pos, training_rows, clean_index, control_index


def _outside_training_share(test_images: int, chosen: torch.Tensor, train_pos: torch.Tensor) -> torch.Tensor:
    """(test_images,) bool, True for the test images outside the training share: `train_pos` are positions among the
    attacked images, `chosen` maps a position to its test index (they differ once a test image is skipped)."""
    outside = torch.ones(test_images, dtype=torch.bool)
    outside[chosen[train_pos]] = False
    return outside


def _finetune_pair(config: Part4Config, ctx: RunContext, data, original, adversarial, all_labels, training_rows,
                   clean_index, control_index):
    """The Part 3 network fine-tuned on clean images plus the training share's adversarial images, and its control
    on clean images only (same seed, schedule and number of images); both saved. (finetuned, control, steps)."""
    split = {"training_rows": training_rows, "clean_train_index": clean_index, "control_train_index": control_index}
    saved = {"adversarial": adversarial, "label": all_labels}
    adversarial_set, control_set = finetuning_sets(saved, split, data.train_images, data.train_labels)
    initial = {k: v.detach().cpu() for k, v in original.state_dict().items()}
    finetuned, steps = finetune(initial, *adversarial_set, config, ctx.device, ctx.seed)
    control, control_steps = finetune(initial, *control_set, config, ctx.device, ctx.seed)
    assert steps == control_steps  # same number of images in each set
    save_weights(finetuned, ctx.artifact(FINETUNED))
    save_weights(control, ctx.artifact(FINETUNED_CONTROL))
    return finetuned, control, steps


def _retraining(config: Part4Config, ctx: RunContext, data, original, test_x, chosen, labels, targets,
                clean_pred_all, untargeted, targeted, retrained_predictions):
    """Question 3, second reading (module docstring; the split: _split): every network is fed the held-back share's
    successful adversarial images, its clean accuracy is measured on the test images outside the training share, and
    the fine-tuned networks are attacked afresh on held-back images. (Retraining, example fields by adversarial.pt row)"""
    device = ctx.device
    n = len(labels)
    un_ok, tg_ok = untargeted.success, targeted.success
    train_pos, held_pos, training_rows, clean_index, control_index = _split(config, ctx.seed, n, len(data.train_labels),
                                                                            un_ok, tg_ok)
    fed_untargeted = held_pos[un_ok[held_pos]]
    fed_targeted = held_pos[tg_ok[held_pos]]
    adversarial = torch.cat([untargeted.adversarial, targeted.adversarial])
    finetuned, control, steps = _finetune_pair(config, ctx, data, original, adversarial, torch.cat([labels, labels]),
                                               training_rows, clean_index, control_index)

    # Clean accuracy on the test images outside the training share (the held-back share included).
    outside = _outside_training_share(len(test_x), chosen, train_pos)
    feed = _HeldBackFeed(test_x, data.test_labels, outside, labels, targets, untargeted.adversarial[fed_untargeted],
                         targeted.adversarial[fed_targeted], fed_untargeted, fed_targeted, device)
    fresh_pos = held_pos[:config.fresh_attack_images]
    fresh_images, fresh_labels, fresh_targets = test_x[chosen[fresh_pos]], labels[fresh_pos], targets[fresh_pos]

    # The Part 3 network: its "fresh" attacks are the Part 4 attacks on the same images (same settings).
    original_record, _, _ = feed.measure(original, (_subset_summary(untargeted, fresh_pos),
                                                    _subset_summary(targeted, fresh_pos)), clean_pred_all)
    control_record, control_un, control_tg = feed.measure(
        control, _fresh_attack(config, control, fresh_images, fresh_labels, fresh_targets, device))
    finetuned_record, finetuned_un, finetuned_tg = feed.measure(
        finetuned, _fresh_attack(config, finetuned, fresh_images, fresh_labels, fresh_targets, device))

    _save_split(ctx, {
        "training_test_index": chosen[train_pos],  # test images whose adversarial images were trained on
        "held_back_test_index": chosen[held_pos],  # attacked test images never trained on
        "training_rows": training_rows,  # rows of adversarial.pt in the adversarial network's training set
        "fed_rows": torch.cat([fed_untargeted, n + fed_targeted]),  # rows of adversarial.pt fed afterwards
        "clean_train_index": clean_index,  # MNIST training images in its training set
        "control_train_index": control_index,  # MNIST training images in the control's (its whole set)
        "clean_accuracy_mask": outside,  # (10000,) the test images the clean accuracies are measured on
        "fresh_attack_test_index": chosen[fresh_pos],  # held-back test images the fresh attacks start from
        "finetuned_prediction": torch.cat([finetuned_un, finetuned_tg]),  # on the fed rows, in order
        "control_prediction": torch.cat([control_un, control_tg])})
    record = Retraining(
        share=config.finetune_share, training_test_images=len(train_pos), held_back_test_images=len(held_pos),
        adversarial_untargeted_in_training=int(un_ok[train_pos].sum()),
        adversarial_targeted_in_training=int(tg_ok[train_pos].sum()),
        clean_in_training=len(clean_index), control_clean_in_training=len(control_index),
        epochs=config.finetune_epochs, batch_size=config.finetune_batch_size, max_lr=config.finetune_lr, steps=steps,
        fed_untargeted=len(fed_untargeted), fed_targeted=len(fed_targeted), clean_test_images=int(outside.sum()),
        fresh_attack_test_images=len(fresh_pos),
        original=original_record, control=control_record, finetuned=finetuned_record,
        **feed.transfer(*retrained_predictions), seconds=0.0)
    return record, _example_fields(adversarial, n, held_pos, control, finetuned, device)


class _HeldBackFeed:
    """What every network of question 3 is fed: the clean test images outside the training share (mask `outside`,
    (10000,)) and the held-back share's successful untargeted and targeted adversarial images (rows `fed_*` of the
    attacked test images)."""

    def __init__(self, test_x, test_labels, outside, labels, targets, untargeted_images, targeted_images,
                 fed_untargeted, fed_targeted, device):
        self.test_x, self.test_labels, self.outside, self.device = test_x, test_labels, outside, device
        self.untargeted_images, self.targeted_images = untargeted_images, targeted_images
        self.untargeted_labels, self.targeted_labels = labels[fed_untargeted], labels[fed_targeted]
        self.fed_untargeted, self.fed_targeted, self.targets = fed_untargeted, fed_targeted, targets[fed_targeted]

    def measure(self, network, fresh, clean_pred=None) -> tuple[NetworkOnHeldBack, torch.Tensor, torch.Tensor]:
        """The network's record (accuracies and its fresh attacks) and its predictions on the fed images."""
        if clean_pred is None:
            _, clean_pred = predict(network, self.test_x, self.device)
        _, un_pred = predict(network, self.untargeted_images, self.device)
        _, tg_pred = predict(network, self.targeted_images, self.device)
        return NetworkOnHeldBack(
            clean_accuracy=_share(clean_pred[self.outside] == self.test_labels[self.outside]),
            untargeted_accuracy=_share(un_pred == self.untargeted_labels),
            targeted_accuracy=_share(tg_pred == self.targeted_labels),
            targeted_hit_target=_share(tg_pred == self.targets),
            fresh_untargeted=fresh[0], fresh_targeted=fresh[1]), un_pred, tg_pred

    def transfer(self, clean_pred, untargeted_pred, targeted_pred) -> dict:
        """The first reading's fresh network on the same images, from its predictions on all attacked images."""
        return {"transfer_clean_accuracy": _share(clean_pred[self.outside] == self.test_labels[self.outside]),
                "transfer_untargeted_accuracy": _share(untargeted_pred[self.fed_untargeted] == self.untargeted_labels),
                "transfer_targeted_accuracy": _share(targeted_pred[self.fed_targeted] == self.targeted_labels)}


def _example_fields(adversarial, n: int, held_pos, control, finetuned, device):
    """Per adversarial.pt row (untargeted rows 0..n-1, then targeted): held back or not, and both networks' labels."""
    held = set(held_pos.tolist())

    def example_fields(row: int) -> dict:
        image = adversarial[row:row + 1]
        return {"held_back": row % n in held,
                "control_prediction": int(predict(control, image, device)[1][0]),
                "finetuned_prediction": int(predict(finetuned, image, device)[1][0])}

    return example_fields


def _share(hits: torch.Tensor) -> float:
    return float(hits.float().mean()) if len(hits) else 0.0


def _subset_summary(outcome, positions) -> FreshAttack:
    from ...toolkit.attacks import AttackOutcome

    return _fresh_summary(AttackOutcome(**{name: getattr(outcome, name)[positions]
                                           for name in AttackOutcome.__dataclass_fields__}))
