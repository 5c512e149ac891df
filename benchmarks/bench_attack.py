"""Speed of the batched constrained I-FGSM against a one-image-at-a-time loop, on the same images.

Prints, in one run on this machine: the time to attack N correctly classified test images
untargeted in one batch, the time for the same images one at a time, and the speed-up; checks that
both give the same success and steps; then the time for 1,000 images batched (the goal: < 30 s on
the 2-core CPU). Uses report/artifacts/cnn.pt if present, else trains a network for 1 epoch first.

Usage: python benchmarks/bench_attack.py [--compare 200] [--weights report/artifacts/cnn.pt]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from hw1.toolkit.attacks import ConstrainedIFGSM
from hw1.toolkit.data import load_mnist, to_model_input
from hw1.parts.part4_adversarial.config import Part4Config
from hw1.toolkit.networks import load_cnn
from hw1.toolkit.training import TrainConfig, evaluate, train_cnn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compare", type=int, default=200, help="images for the batched vs one-at-a-time comparison")
    parser.add_argument("--weights", default="report/artifacts/cnn.pt")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", default="data")
    args = parser.parse_args()
    device = torch.device(args.device)
    data = load_mnist(args.data_dir)
    if Path(args.weights).is_file():
        model = load_cnn(args.weights, device)
        print(f"model: {args.weights}")
    else:
        model, _ = train_cnn(TrainConfig(epochs=1), data, device, seed=0)
        print("model: trained for 1 epoch (no saved weights found)")
    config = Part4Config()
    x = to_model_input(data.test_images)
    _, _, predictions, _ = evaluate(model, x.to(device), data.test_labels.to(device))
    correct = torch.nonzero(predictions.cpu() == data.test_labels).squeeze(1)
    images, labels = x[correct[:1000]], data.test_labels[correct[:1000]]
    print(f"device {device}, eps {config.eps}, max_steps {config.max_steps}, {torch.get_num_threads()} threads")

    n = args.compare
    batched = ConstrainedIFGSM(model, config.eps, config.max_steps, config.confidence, batch_size=n)
    started = time.perf_counter()
    together = batched(images[:n], labels[:n])
    batched_seconds = time.perf_counter() - started
    single = ConstrainedIFGSM(model, config.eps, config.max_steps, config.confidence, batch_size=1)
    started = time.perf_counter()
    alone = single(images[:n], labels[:n])
    single_seconds = time.perf_counter() - started
    same = torch.equal(together.success, alone.success)
    steps_equal = float((together.steps == alone.steps).float().mean())
    print(f"{n} images, batched        : {batched_seconds:6.2f} s ({n / batched_seconds:,.0f} images/s)")
    print(f"{n} images, one at a time  : {single_seconds:6.2f} s ({n / single_seconds:,.0f} images/s)")
    print(f"speed-up {single_seconds / batched_seconds:.1f}x; same success flags: {same}; "
          f"same step counts: {steps_equal:.1%}")

    started = time.perf_counter()
    outcome = ConstrainedIFGSM(model, config.eps, config.max_steps, config.confidence, config.batch_size)(images, labels)
    seconds = time.perf_counter() - started
    print(f"{len(images)} images untargeted, batched: {seconds:.2f} s, success {outcome.success.float().mean():.1%}, "
          f"median steps {outcome.steps.median().item()}")


if __name__ == "__main__":
    main()
