"""Which budgeted defence should Part 5.2 train? Clean accuracy, robust accuracy and seconds, side by side.

Each recipe fine-tunes (or trains from scratch) a Table 1 CNN with `hw1.parts.part5_beyond.defence.train_defended`
(FGSM or PGD with a random start in the one-sided box 0 <= delta <= min(budget, 1 - I), or N-FGSM, with the
catastrophic-overfitting guard; bfloat16 autocast where the CPU or GPU multiplies it natively) and is measured
like the report measures it: clean accuracy on all 10,000 test images, robust accuracy under Part 5's bounded
evaluation (`hw1.toolkit.attacks.BoundedEvaluation` with Part 5's ensemble: the one-sided PGD, then APGD-CE and
APGD-DLR, robust only if every attack fails; --pgd-only: the old PGD with two starts) at L-inf 0.6 in [-1, 1] units
(0.3 on [0, 1]) on the first --images test images; its cost as work (forward-backward passes per training image
and epoch, epochs) and training seconds. The row "Goodfellow single-step" is the old 5.2 network.

Fine-tuning starts from a Part 3 network: --init PATTERN (e.g. /tmp/run-seed{seed}/artifacts/cnn.pt), or,
without it, one trained here with the Part 3 recipe (not counted in the seconds).
--save writes the table to hw1/parts/part5_beyond/tradeoff.py, kept in results.json beside 5.2 (the report no longer
prints it).

Usage: python benchmarks/bench_defence.py [--seeds 0 1 2] [--images 1000] [--recipes NAME ...] [--save] [--keep DIR]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import platform
import sys
import time

import torch

from pathlib import Path

from hw1.toolkit.attacks import BoundedEvaluation, OneSidedPGD, constrained_fgsm
from hw1.toolkit.data import load_mnist, to_model_input
from hw1.parts.part3_cnn.config import Part3Config
from hw1.parts.part5_beyond import tradeoff
from hw1.parts.part5_beyond.compute import _robust_attacks
from hw1.parts.part5_beyond.config import Part5Config
from hw1.parts.part5_beyond.defence import train_defended
from hw1.toolkit.train_config import TrainConfig
from hw1.toolkit.training import evaluate, train_cnn

# name -> Part5Config overrides; "init": "part3" fine-tunes Part 3's network, "scratch" starts fresh.
FINE_TUNE = {"init": "part3", "defence_alpha": 0.0, "defence_max_lr": 2e-3}
# FGSM with a random start (Wong, Rice and Kolter 2020): one sign step of 1.25 budgets, as Part5Config trained it
# until 6416a18, when the FGSM-RS rows of tradeoff.py were measured.
FGSM_RS = {"defence_steps": 1, "defence_step": 1.25}
RECIPES = {
    "Goodfellow single-step": {"goodfellow": True},
    "FGSM-RS 0.7, fine-tune 1 epoch": {**FGSM_RS, **FINE_TUNE, "defence_budget": 0.7, "defence_epochs": 1},
    "FGSM-RS 0.7, fine-tune 2 epochs": {**FGSM_RS, **FINE_TUNE, "defence_budget": 0.7, "defence_epochs": 2},
    "PGD-3-RS 0.7, fine-tune 1 epoch": {**FINE_TUNE, "defence_budget": 0.7, "defence_epochs": 1, "defence_steps": 3,
                                        "defence_step": 0.5},
    "FGSM-RS 0.6, scratch 3 epochs": {**FGSM_RS, "init": "scratch", "defence_budget": 0.6, "defence_epochs": 3},
    "FGSM-RS 0.7, scratch 3 epochs": {**FGSM_RS, "init": "scratch"},
    "FGSM-RS 0.8, scratch 3 epochs": {**FGSM_RS, "init": "scratch", "defence_budget": 0.8},
    "FGSM-RS 0.9, scratch 3 epochs": {**FGSM_RS, "init": "scratch", "defence_budget": 0.9},
    "FGSM-RS 0.8, adversarial only, scratch 3 epochs": {**FGSM_RS, "init": "scratch", "defence_budget": 0.8, "defence_alpha": 0.0},
    "FGSM-RS 0.8, fine-tune 2 epochs": {**FGSM_RS, **FINE_TUNE, "defence_budget": 0.8, "defence_epochs": 2},
    "PGD-3-RS 0.7, scratch 3 epochs": {"init": "scratch", "defence_steps": 3, "defence_step": 0.5},
    "PGD-2-RS 0.7, scratch 3 epochs": {"init": "scratch", "defence_steps": 2, "defence_step": 0.75},
    "PGD-2-RS 0.7, scratch 2 epochs": {"init": "scratch", "defence_steps": 2, "defence_step": 0.75, "defence_epochs": 2},
    "N-FGSM 0.6, scratch 3 epochs": {"init": "scratch", "defence_attack": "nfgsm", "defence_budget": 0.6,
                                     "defence_step": 1.0},
    "N-FGSM 0.7, scratch 3 epochs": {"init": "scratch", "defence_attack": "nfgsm", "defence_budget": 0.7,
                                     "defence_step": 1.0},
    "N-FGSM 0.7, scratch 2 epochs": {"init": "scratch", "defence_attack": "nfgsm", "defence_budget": 0.7,
                                     "defence_step": 1.0, "defence_epochs": 2},
}
TRADEOFF = Path(tradeoff.__file__)
# What a recipe above leaves out is PGD-3 (step 0.5 b) at budget 0.7 on the mixed objective for 3 epochs,
# Part5Config's defaults until 8fa1441, so that a change of the product's defaults does not change what a recipe's
# name says it trains (tests/test_bench_recipes.py). After 8fa1441 the product trains PGD-2 for 2 epochs, and a
# "scratch 3 epochs" recipe trained 2 until this was pinned.
RECIPE_DEFAULTS = {"defence_attack": "pgd", "defence_steps": 3, "defence_step": 0.5, "defence_budget": 0.7,
                   "defence_alpha": 0.5, "defence_epochs": 3}


def recipe_config(base: Part5Config, overrides: dict) -> Part5Config:
    """The Part5Config a recipe trains: `base`, then RECIPE_DEFAULTS, then the recipe's own fields (not "init")."""
    return dataclasses.replace(base, **{**RECIPE_DEFAULTS, **{k: v for k, v in overrides.items() if k != "init"}})


def work(config: Part5Config, epochs: float | None = None) -> dict:
    """Forward-backward passes per training image in one epoch (the attack's, then the training step's) and epochs."""
    attack = 1 if config.defence_attack == "nfgsm" else config.defence_steps
    return {"passes_per_image": attack + (2 if config.defence_alpha > 0 else 1),
            "epochs": config.defence_epochs if epochs is None else epochs}


def slug(recipe: str) -> str:
    """A file name for a recipe: "PGD-2-RS 0.7, scratch 3 epochs" -> "pgd-2-rs-0.7-scratch-3-epochs"."""
    return "-".join("".join(c if c.isalnum() or c in ".-" else " " for c in recipe.lower()).split())


def cpu_name() -> str:
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--budget", type=float, default=0.6, help="evaluated L-inf budget, [-1, 1] units")
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    parser.add_argument("--init", help="path pattern of Part 3 networks, with {seed}")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--save", action="store_true", help=f"write the table to {TRADEOFF}")
    parser.add_argument("--pgd-only", action="store_true", help="evaluate with the old PGD (two starts) alone")
    parser.add_argument("--keep", type=Path, help="folder to save each trained network's state dict in")
    args = parser.parse_args()
    device = torch.device(args.device)
    data = load_mnist(args.data_dir)
    test_x, test_y = to_model_input(data.test_images).to(device), data.test_labels.to(device)
    base = Part5Config()
    where = cpu_name() if device.type == "cpu" else torch.cuda.get_device_name(device)
    attacks = [a.name for a in _robust_attacks(base)] if not args.pgd_only else ["PGD-40 (zero start)", "PGD-40 (random start)"]
    print(f"{where}, {torch.get_num_threads()} threads; robust accuracy at L-inf {args.budget}, worst case over "
          f"{', '.join(attacks)} on the first {args.images} test images; clean on all {len(test_x):,}")
    print(f"{'recipe':48s} {'seed':>4s} {'clean':>7s} {'robust':>7s} {'passes':>6s} {'train s':>8s} {'eval s':>7s} "
          f"{'guard':>20s}")
    rows = []
    for seed in args.seeds:
        initial = None
        for name in args.recipes:
            overrides = dict(RECIPES[name])
            started = time.perf_counter()
            if overrides.pop("goodfellow", False):
                recipe = TrainConfig(epochs=base.training_epochs, train_subset=base.training_subset,
                                     batch_size=base.training_batch_size, evals_per_epoch=1, test_subset=1000)
                model, _ = train_cnn(recipe, data, device, seed + 2, alpha=base.adversarial_alpha,
                                     adversary=lambda m, x, y: constrained_fgsm(m, x, y, base.adversarial_eps,
                                                                                base.adversarial_steps))
                guard_history, cost = [], {"passes_per_image": 3, "epochs": base.training_epochs * base.training_subset / 60000}
            else:
                start = overrides.pop("init", base.defence_init)
                if start == "part3" and initial is None:
                    initial = _part3_network(args, data, device, seed)
                    started = time.perf_counter()
                config = recipe_config(base, overrides)
                model, _, guard = train_defended(config, data, device, seed + 3,
                                                 initial if start == "part3" else None)
                guard_history = guard.history
                cost = work(config, len(guard.history))  # epochs actually trained (the guard may stop early)
            seconds = time.perf_counter() - started
            if args.keep:  # to evaluate or inspect the networks later
                args.keep.mkdir(parents=True, exist_ok=True)
                torch.save(model.state_dict(), args.keep / f"{slug(name)}-seed{seed}.pt")
            _, clean, _, _ = evaluate(model, test_x, test_y)
            evaluation = OneSidedPGD(model, base.robust_steps, base.robust_step_fraction, seed=seed) if args.pgd_only \
                else BoundedEvaluation(model, _robust_attacks(base), seed=seed)
            robust = evaluation.curve(test_x[: args.images].cpu(), test_y[: args.images].cpu(), [args.budget])
            row = {"recipe": name, "seed": seed, "clean": clean, "robust": robust.robust[0],
                   "robust_se": (robust.robust[0] * (1 - robust.robust[0]) / args.images) ** 0.5,
                   "first_fooled": robust.first_fooled[0], **cost, "train_seconds": seconds,
                   "eval_seconds": robust.seconds, "guard": guard_history}
            rows.append(row)
            print(f"{name:48s} {seed:4d} {clean:7.2%} {robust.robust[0]:7.1%} {cost['passes_per_image']:6d} "
                  f"{seconds:8.1f} {robust.seconds:7.1f} {' '.join(f'{g:.0%}' for g in guard_history):>20s} "
                  f"fooled first by {robust.attacks}: {robust.first_fooled[0]}", flush=True)
    if args.save:
        table = {"command": "python " + " ".join(sys.argv), "device": where, "threads": torch.get_num_threads(),
                 "date": datetime.date.today().isoformat(), "budget": args.budget, "images": args.images,
                 "steps": base.robust_steps, "attacks": attacks, "rows": rows}
        body = json.dumps(table, indent=1)
        text = TRADEOFF.read_text()
        TRADEOFF.write_text(text[: text.index("TABLE = ")] + "TABLE = json.loads(r\'\'\'\n" + body + "\n\'\'\')\n")
        print(f"saved {TRADEOFF}")


def _part3_network(args, data, device, seed: int) -> dict:
    if args.init:
        return torch.load(args.init.format(seed=seed), weights_only=True, map_location="cpu")
    model, _ = train_cnn(Part3Config(), data, device, seed)
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


if __name__ == "__main__":
    main()
