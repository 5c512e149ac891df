"""How fast is Part 5.2's bounded evaluation, and does the fast path find the same images? Side by side, same run.

Loads saved Table 1 CNNs (a full run's report/artifacts/cnn_adversarially_trained.pt, or bench_defence.py --keep's
files) and runs `hw1.toolkit.attacks.BoundedEvaluation` with Part 5's ensemble (one-sided PGD-40, APGD-CE,
APGD-DLR) on the first --images test images at --budgets, in two ways, alternated --repeats times:

- plain: the network as it is, each attack pass on the whole batch (the evaluation before this benchmark);
- fast: BatchNorm folded into the layers before it (`models.fold_batchnorm`) and, on the CPU, passes in
  chunks of `bounded.CPU_CHUNK` images (or each --chunks size).

It prints seconds per way (median over repeats) and the images whose verdict differs between the two ways at any
budget (folding changes float32 rounding only; a verdict can flip only for an image on a knife's edge).

Usage: python benchmarks/bench_evaluation.py NET.pt [NET.pt ...] [--images 1000] [--budgets 0.6 0.8 1.0]
       [--repeats 1] [--chunks 250] [--device cpu] [--data-dir DIR]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

from hw1.parts.part5_beyond.compute import _robust_attacks
from hw1.parts.part5_beyond.config import Part5Config
from hw1.toolkit import bounded
from hw1.toolkit.attacks import BoundedEvaluation
from hw1.toolkit.data import load_mnist, to_model_input
from hw1.toolkit.models import Table1CNN, in_layout, prefers_channels_last


def _load(path: str, device: str) -> torch.nn.Module:
    model = Table1CNN()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model = model.to(device).eval()
    return model.to(memory_format=torch.channels_last) if prefers_channels_last(device) else model


def _timed(model, x, y, budgets, fold: bool, chunk: int | None) -> tuple[float, torch.Tensor]:
    saved = bounded.CPU_CHUNK
    bounded.CPU_CHUNK = chunk or len(x)
    try:
        evaluation = BoundedEvaluation(model, _robust_attacks(Part5Config()), seed=0, fold_batchnorm=fold)
        started = time.perf_counter()
        mask = evaluation.robust_mask(x, y, budgets)
        return time.perf_counter() - started, mask
    finally:
        bounded.CPU_CHUNK = saved


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("networks", nargs="+", help="state_dict files of Table 1 CNNs")
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--budgets", type=float, nargs="+", default=[0.6, 0.8, 1.0])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--chunks", type=int, nargs="+", default=[bounded.CPU_CHUNK],
                        help="chunk sizes of the fast way (CPU)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--data-dir", default="data")
    args = parser.parse_args()

    print(f"{platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} threads, device {args.device}")
    data = load_mnist(args.data_dir)
    x = to_model_input(data.test_images[:args.images]).to(args.device)
    y = data.test_labels[:args.images].to(args.device)
    ways = [("plain", False, len(x))] + [(f"fast (chunk {c})", True, c) for c in args.chunks]
    for path in args.networks:
        model = _load(path, args.device)
        with torch.no_grad():
            clean = (model(in_layout(x, prefers_channels_last(args.device))).argmax(1) == y).float().mean()
        print(f"\n{path}: clean {100 * float(clean):.2f}% on {len(x)} images, budgets {args.budgets}")
        seconds = {name: [] for name, _, _ in ways}
        masks = {}
        for _ in range(args.repeats):
            for name, fold, chunk in ways:
                took, masks[name] = _timed(model, x, y, args.budgets, fold, chunk)
                seconds[name].append(took)
        plain = masks["plain"]
        for name, _, _ in ways:
            robust = " / ".join(f"{100 * float(m.float().mean()):.1f}%" for m in masks[name])
            differ = int((masks[name] != plain).any(dim=0).sum())
            median = statistics.median(seconds[name])
            print(f"  {name:18s} {median:8.1f} s  ({statistics.median(seconds['plain']) / median:.2f}x faster)"
                  f"  robust {robust}  verdicts differing from plain: {differ}")


if __name__ == "__main__":
    main()
