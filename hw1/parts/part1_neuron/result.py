"""Part 1's typed result (facts drawn from the surfaces; the surfaces are in part1.npz)."""

from __future__ import annotations

from dataclasses import dataclass

ARTIFACT = "part1.npz"


@dataclass(frozen=True)
class Part1Result:
    """Facts drawn from the computed surfaces; the surfaces themselves are in part1.npz."""

    output_min: float
    output_max: float
    l2_max: float
    l2_min: float
    ce_min: float
    ce_max: float
    ce_min_at_z: float  # w*x + b where the cross-entropy is smallest
    l2_grad_abs_max: float
    l2_grad_abs_max_at_z: float  # |z| where the L2 gradient peaks
    ce_grad_abs_max: float
    badly_wrong_fraction: float  # share of the grid where |y_hat - y| > badly_wrong
    l2_vanishing_fraction: float  # among badly wrong points, share where |dL2/dw| < threshold
    ce_vanishing_fraction: float  # the same for the cross-entropy
    l2_grad_at_corner: float  # |gradient| at the most saturated grid point (w = b = half_range)
    ce_grad_at_corner: float
    autograd_max_abs_error: float  # autograd vs analytic gradients, largest difference on the grid
    artifact: str = ARTIFACT
