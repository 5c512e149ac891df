"""Part 2's settings: training, the seed study and the learning-rate scan."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part2Config:
    learning_rate: float = 2.0  # gradient-descent step size
    steps: int = 10_000  # full-batch gradient steps per training
    init_std: float = 0.5  # every weight and bias starts as N(0, init_std^2)
    snapshots: tuple[int, ...] = (0, 10, 30, 100, 300, 1000, 3000, 10_000)  # steps at which the hidden and input planes are drawn
    confident: float = 0.9  # "solved": output > confident on label 1, < 1 - confident on label 0
    robustness_seeds: int = 20  # seeds in the study of initialisations
    grid_points: int = 81  # resolution of the input-plane decision regions
    scan_learning_rates: tuple[float, ...] = (1.0, 2.0, 4.0)  # the scan behind the chosen learning rate
    scan_init_stds: tuple[float, ...] = (0.5, 1.0)  # ... and initial scale (same seeds, same budget)
    extra_seed_batches: int = 10  # if no seed of the study solves XOR, try up to this many more batches of seeds
    escape_steps: int = 40_000  # seeds that did not solve XOR continue this many more steps (5x the budget)
    nudges: int = 5  # ... and this many randomly nudged copies of each continue too
    nudge_std: float = 0.1  # size of a nudge: N(0, nudge_std^2) added to every parameter

    @classmethod
    def preset(cls, quick: bool) -> "Part2Config":
        if quick:
            return cls(steps=2000, snapshots=(0, 10, 100, 1000, 2000), robustness_seeds=5, grid_points=41,
                       escape_steps=2000, nudges=2)
        return cls()
