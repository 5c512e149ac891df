"""Part 4's settings: the attack and the retrained network."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Part4Config:
    eps: float = 0.02  # sign-step size in input units (1% of the [-1, 1] range)
    max_steps: int = 100  # per image; beyond it the attack counts as failed
    confidence: float = 0.9  # the assignment's stopping probability
    images: int = 1000  # correctly classified test images attacked, per attack
    batch_size: int = 1000  # images attacked together
    retrain_seed_offset: int = 1  # the retrained CNN uses seed + this
    examples: int = 2  # worked examples per question
    eps_sweep: tuple[float, ...] = (0.01, 0.02, 0.05, 0.1)  # step sizes compared to justify `eps`
    sweep_images: int = 200  # untargeted attacks per step size in the comparison

    @classmethod
    def preset(cls, quick: bool) -> "Part4Config":
        # Quick: fewer images, the full eps and step budget (so attacks succeed as in the real run).
        return cls(images=64, sweep_images=32) if quick else cls()
