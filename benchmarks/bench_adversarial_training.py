"""Which adversarial term should Part 5.2 train with? Size and number of steps, measured.

Trains a Table 1 CNN for one epoch of the Part 3 recipe on Goodfellow et al.'s objective (alpha = 0.5)
with the constrained attack `hw1.toolkit.attacks.constrained_fgsm` at several sizes eps_train and step counts,
plus a plain network, and prints for each: clean test accuracy, training seconds, and what the Part 4
attack (eps 0.02, at most 100 steps, stop at 0.90) needs on the first test images: success rate,
median steps and median L2. The product uses the setting that makes attacks costliest while keeping
clean accuracy above 99% (see Part5Config).

Usage: python benchmarks/bench_adversarial_training.py [--images 200] [--subset 30000] [--device cpu]
"""

from __future__ import annotations

import argparse
import time

import torch

from hw1.toolkit.attacks import ConstrainedIFGSM, constrained_fgsm
from hw1.toolkit.data import load_mnist, to_model_input
from hw1.toolkit.train_config import TrainConfig
from hw1.toolkit.training import evaluate, train_cnn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=200)
    parser.add_argument("--subset", type=int, default=30000, help="training images (one epoch)")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", default="data")
    args = parser.parse_args()
    device = torch.device(args.device)
    data = load_mnist(args.data_dir)
    test_x, test_y = to_model_input(data.test_images), data.test_labels
    recipe = TrainConfig(epochs=1, train_subset=args.subset, evals_per_epoch=1)
    settings = [(None, 0), (0.1, 1), (0.3, 1), (0.5, 1), (0.3, 3)]
    print(f"one epoch on {args.subset:,} training images, {device}; attack on the first {args.images} test images "
          "each network classifies correctly")
    print(f"{'eps_train':>9s} {'steps':>5s} {'clean acc':>9s} {'train s':>8s} {'success':>8s} {'med steps':>9s} {'med L2':>7s}")
    for eps, steps in settings:
        adversary = None if eps is None else (lambda m, x, y, e=eps, s=steps: constrained_fgsm(m, x, y, e, s))
        started = time.perf_counter()
        model, _ = train_cnn(recipe, data, device, seed=2, adversary=adversary)
        seconds = time.perf_counter() - started
        _, accuracy, predictions, _ = evaluate(model, test_x.to(device), test_y.to(device))
        correct = torch.nonzero(predictions.cpu() == test_y).squeeze(1)[: args.images]
        outcome = ConstrainedIFGSM(model, 0.02, 100, 0.9)(test_x[correct], test_y[correct])
        ok = outcome.success
        print(f"{'none' if eps is None else eps:>9} {steps:>5d} {accuracy:9.2%} {seconds:8.1f} {ok.float().mean():8.1%} "
              f"{outcome.steps[ok].double().median():9.0f} {outcome.l2[ok].double().median():7.2f}")


if __name__ == "__main__":
    main()
