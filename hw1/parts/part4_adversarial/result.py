"""Part 4's typed result."""

from __future__ import annotations

from dataclasses import dataclass

ADVERSARIAL = "adversarial.pt"
RETRAINED = "cnn_retrained.pt"


@dataclass
class Part4Result:
    eps: float
    max_steps: int
    confidence: float
    images: int
    retrained_seed: int
    retrained_test_accuracy: float
    original_test_accuracy: float
    untargeted: dict  # summary statistics, see _summary
    targeted: dict
    untargeted_examples: list[dict]
    targeted_examples: list[dict]
    pair_success: list[list[float]]  # targeted success rate, [source][target]
    pair_grid_index: list[list[int]]  # row of adversarial.pt shown for [source][target] (-1: none)
    eps_sweep: list[dict]  # per step size: success rate, median steps, median L-inf and L2, seconds
    seconds_untargeted: float
    seconds_targeted: float
    seconds_retraining: float
    artifact: str = ADVERSARIAL
    retrained_weights: str = RETRAINED

    @property
    def sweep_l2_grows_with_eps(self) -> bool:
        """In the step-size comparison, does the median L2 of the perturbation grow with every larger step?"""
        l2 = [row["median_l2"] for row in sorted(self.eps_sweep, key=lambda row: row["eps"])]
        return all(a < b for a, b in zip(l2, l2[1:]))

    @property
    def sweep_steps_fall_with_eps(self) -> bool:
        """... and does the median number of steps fall (or stay) with every larger step?"""
        steps = [row["median_steps"] for row in sorted(self.eps_sweep, key=lambda row: row["eps"])]
        return all(a >= b for a, b in zip(steps, steps[1:]))

    @property
    def target_pairs(self) -> dict:
        """Of the 90 (digit, target) pairs: how many were reached by at least one targeted attack, and how many by
        every attack on that pair (a pair never attacked counts as not reached)."""
        cells = [self.pair_success[s][t] for s in range(10) for t in range(10) if s != t]
        return {"pairs": len(cells), "reached": sum(v > 0 for v in cells), "always": sum(v >= 1 for v in cells)}
