"""The one-sided box every attack keeps its perturbation in: 0 <= delta <= 1 - I (I_adv >= I and I_adv <= 1 for
images I in [-1, 1]), under an L-inf budget b also delta <= b. One definition for the attacks of Parts 4 and 5."""

from __future__ import annotations

import torch


def one_sided_box(x: torch.Tensor, budget: float | None = None) -> torch.Tensor:
    """Upper bound of delta for images `x` (N, 1, 28, 28) in [-1, 1]: 1 - I, or min(budget, 1 - I) under an
    L-inf `budget` (input units). The lower bound is always 0: I_adv >= I. Every attack in this module keeps
    delta in this box, so I <= I + delta <= 1 and, with a budget, ||delta||_inf <= budget."""
    upper = 1.0 - x
    return upper if budget is None else upper.clamp_(max=budget)


def project(delta: torch.Tensor, upper: torch.Tensor) -> torch.Tensor:
    """`delta` projected onto the box 0 <= delta <= upper (pixel by pixel; a new tensor)."""
    return torch.minimum(delta.clamp(min=0.0), upper)


def uniform_start(upper: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """A random start uniform in the box 0 <= delta <= upper (drawn on the CPU with `generator` when given)."""
    noise = torch.rand(upper.shape, generator=generator, dtype=upper.dtype).to(upper.device) \
        if generator is not None else torch.rand_like(upper)
    return noise * upper
