"""Part 2's cost: the batched NumPy training with hand-written gradients against the torch-autograd loop
it replaced, on the same work (the same 160 networks of 10,000 full-batch steps), in one sitting.

The baseline below is the previous implementation's training loop (torch autograd on stacked
parameters, run three times: 20 tanh networks, the same 20 without activation, the 120 of the scan).
Both are checked to reach the same final losses. Also prints the time of the whole Part 2 `run`, which
now includes the stuck-seed study that the old code did not do.

Usage: python benchmarks/bench_part2.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from hw1.parts.part2_xor.compute import run
from hw1.parts.part2_xor.config import Part2Config
from hw1.parts.part2_xor.network import INPUTS, LABELS, initial_parameters, per_run_loss, train
from hw1.toolkit.runtime import RunContext


def torch_train(params: dict[str, np.ndarray], activation: str, rate, steps: int) -> np.ndarray:
    """The previous implementation: batched torch autograd, one optimiser step per iteration."""
    params = {k: torch.tensor(v).requires_grad_(True) for k, v in params.items()}
    x, y = torch.tensor(INPUTS), torch.tensor(LABELS)
    rate = torch.as_tensor(rate, dtype=torch.float64)
    rates = {k: rate.reshape(-1, *[1] * (v.dim() - 1)) if rate.dim() else rate for k, v in params.items()}
    for _ in range(steps):
        pre = torch.einsum("rij,nj->rni", params["W1"], x) + params["b1"][:, None, :]
        hidden = torch.tanh(pre) if activation == "tanh" else pre
        logits = torch.einsum("rni,ri->rn", hidden, params["w2"]) + params["b2"][:, None]
        losses = F.binary_cross_entropy_with_logits(logits, y.expand_as(logits), reduction="none").mean(dim=1)
        grads = torch.autograd.grad(losses.sum(), list(params.values()))
        with torch.no_grad():
            for (name, p), g in zip(params.items(), grads):
                p -= rates[name] * g
    pre = torch.einsum("rij,nj->rni", params["W1"], x) + params["b1"][:, None, :]
    hidden = torch.tanh(pre) if activation == "tanh" else pre
    logits = torch.einsum("rni,ri->rn", hidden, params["w2"]) + params["b2"][:, None]
    return per_run_loss(logits.detach().numpy())


def main() -> None:
    config = Part2Config()
    seeds = list(range(config.robustness_seeds))
    start = initial_parameters(seeds, config.init_std)
    settings = [(rate, std) for std in config.scan_init_stds for rate in config.scan_learning_rates]
    scan_starts = [initial_parameters(seeds, std) for _, std in settings]
    scan = {k: np.concatenate([s[k] for s in scan_starts]) for k in start}
    scan_rates = np.array([rate for rate, _ in settings for _ in seeds])

    started = time.perf_counter()
    old = [torch_train(start, "tanh", config.learning_rate, config.steps),
           torch_train(start, "identity", config.learning_rate, config.steps),
           torch_train(scan, "tanh", torch.tensor(scan_rates), config.steps)]
    old_seconds = time.perf_counter() - started

    started = time.perf_counter()
    batch = {k: np.concatenate([start[k], start[k], scan[k]]) for k in start}
    tanh = np.array([True] * len(seeds) + [False] * len(seeds) + [True] * len(scan_rates))
    rates = np.concatenate([np.full(2 * len(seeds), config.learning_rate), scan_rates])
    final, _, _ = train(batch, tanh, rates, config.steps, record_loss=True)
    new_seconds = time.perf_counter() - started
    from hw1.parts.part2_xor.network import forward

    new = per_run_loss(forward(final, INPUTS, tanh)[1])
    difference = np.abs(np.concatenate(old) - new).max()

    with tempfile.TemporaryDirectory() as folder:
        ctx = RunContext(device=torch.device("cpu"), seed=0, out_dir=Path(folder), data_dir=Path(folder))
        started = time.perf_counter()
        run(config, ctx)
        run_seconds = time.perf_counter() - started

    print(f"160 networks x {config.steps:,} full-batch steps (same work):")
    print(f"  torch autograd, 3 batches (previous code): {old_seconds:6.2f} s")
    print(f"  NumPy, hand-written gradients, 1 batch:    {new_seconds:6.2f} s   ({old_seconds / new_seconds:.1f}x faster)")
    print(f"  largest difference in final loss:          {difference:.1e}")
    print(f"whole Part 2 run (with the stuck-seed study): {run_seconds:6.2f} s")


if __name__ == "__main__":
    main()
