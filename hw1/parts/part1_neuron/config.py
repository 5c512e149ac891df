"""Part 1's settings: the (w, b) grid and the thresholds its facts use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part1Config:
    half_range: float = 6.0  # w and b both span [-half_range, half_range], centred at 0
    grid_points: int = 121  # samples per axis (odd, so w = 0 and b = 0 lie on the grid)
    x: float = 1.0  # the neuron's input
    y: float = 0.5  # the target
    vanishing_threshold: float = 0.01  # |dL/dw| below this counts as a vanished gradient
    badly_wrong: float = 0.4  # |y_hat - y| above this counts as a badly wrong prediction

    @classmethod
    def preset(cls, quick: bool) -> "Part1Config":
        return cls(grid_points=41) if quick else cls()
