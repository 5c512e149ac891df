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
    # Question 3, second reading: the Part 3 network fine-tuned with adversarial images added to its training data.
    finetune_share: float = 0.5  # share of the attacked test images whose adversarial images (both attacks) are trained on
    # Clean training images in the fine-tuning set; the control gets as many more as there are adversarial images.
    finetune_clean_images: int = 3000
    finetune_epochs: int = 3  # passes over the fine-tuning set, starting from the Part 3 weights
    finetune_batch_size: int = 128  # images per step
    finetune_lr: float = 1e-3  # peak learning rate of the one-cycle schedule (Adam)
    fresh_attack_images: int = 200  # held-back test images each fine-tuned network is attacked on afresh

    @classmethod
    def preset(cls, quick: bool) -> "Part4Config":
        # Quick: fewer images, the full eps and step budget (so attacks succeed as in the real run).
        return (cls(images=64, sweep_images=32, finetune_clean_images=256, finetune_epochs=2,
                    finetune_batch_size=32, fresh_attack_images=16)
                if quick else cls())
