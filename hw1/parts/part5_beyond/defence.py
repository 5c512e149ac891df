"""Part 5.2's defended network: adversarial training under the assignment's constraint, with a budget."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from ...lazy import torch
from ...reporter import SILENT, Reporter
from ...toolkit.train_config import TrainConfig
from .config import Part5Config


def train_defended(config: Part5Config, data, device, seed: int, initial: dict | None,
                   checkpoint: Path | None = None, reporter: Reporter = SILENT):
    """The budgeted defence of 5.2: (model, history, guard), also used by benchmarks/bench_defence.py.

    Trains `initial` (Part 3's network: fine-tuning; None: a fresh network) on adversarial images of the
    one-sided box of `defence_budget` (`defence_attack` "pgd": a random start in the box and `defence_steps` sign
    steps, FGSM-RS for one step; "nfgsm": N-FGSM, one step from noise of `defence_noise` budgets, not clipped to
    the budget), with the one-cycle Adam recipe of Part 3, under bfloat16 autocast where the hardware has it,
    checking robustness on `guard_images` held-out training images (the last ones, never trained on) at every
    epoch's end.
    """
    from ...toolkit.attacks import noisy_fgsm, random_start_fgsm
    from ...toolkit.data import to_model_input
    from ...toolkit.training import RobustnessGuard, train_cnn

    held = config.guard_images
    train = dataclasses.replace(data, train_images=data.train_images[:-held], train_labels=data.train_labels[:-held])
    guard_x = to_model_input(data.train_images[-held:]).to(device)
    guard_y = data.train_labels[-held:].to(device)
    guard = RobustnessGuard(guard_x, guard_y, config.robust_headline, config.guard_steps, config.guard_collapse,
                            seed=seed)
    generator = torch.Generator().manual_seed(seed)
    budget, step, steps = config.defence_budget, config.defence_step * config.defence_budget, config.defence_steps

    if config.defence_attack not in ("pgd", "nfgsm"):
        raise ValueError(f"defence_attack must be 'pgd' or 'nfgsm', not {config.defence_attack!r}")

    def adversary(model, x, y):
        if config.defence_attack == "nfgsm":
            return noisy_fgsm(model, x, y, budget, config.defence_noise, config.defence_step, generator)
        return random_start_fgsm(model, x, y, budget, step, steps, generator)

    recipe = TrainConfig(epochs=config.defence_epochs, train_subset=config.defence_subset,
                         batch_size=config.training_batch_size, max_lr=config.defence_max_lr, evals_per_epoch=1,
                         test_subset=1000)
    model, history = train_cnn(recipe, train, device, seed, checkpoint, reporter, adversary=adversary,
                               alpha=config.defence_alpha, initial=initial, guard=guard)
    return model, history, guard
