"""Part 1's typed result (facts drawn from the surfaces; the surfaces are in part1.npz)."""

from __future__ import annotations

from dataclasses import dataclass

ARTIFACT = "part1.npz"


@dataclass(frozen=True)
class Part1Result:
    """Facts drawn from the computed surfaces; the surfaces themselves are in part1.npz."""

    output_min: float  # smallest sigmoid output on the grid
    output_max: float  # largest sigmoid output on the grid
    l2_max: float  # largest L2 loss on the grid
    l2_min: float  # smallest L2 loss on the grid
    ce_min: float  # smallest cross-entropy on the grid
    ce_max: float  # largest cross-entropy on the grid
    ce_min_at_z: float  # w*x + b where the cross-entropy is smallest
    l2_grad_abs_max: float  # largest |dL2/dw| on the grid
    l2_grad_abs_max_at_z: float  # |z| where the L2 gradient peaks
    ce_grad_abs_max: float  # largest |dCE/dw| on the grid
    badly_wrong_fraction: float  # share of the grid where |y_hat - y| > badly_wrong
    l2_vanishing_fraction: float  # among badly wrong points, share where |dL2/dw| < threshold
    ce_vanishing_fraction: float  # the same for the cross-entropy
    l2_grad_at_corner: float  # |gradient| at the most saturated grid point (w = b = half_range)
    ce_grad_at_corner: float  # |dCE/dw| at the most saturated grid point (w = b = half_range)
    autograd_max_abs_error: float  # autograd vs analytic gradients, largest difference on the grid
    artifact: str = ARTIFACT  # file in artifacts/ with the surfaces (w, b, output, losses, gradients)
