"""Constrained iterative fast gradient sign attacks (Goodfellow et al. 2014, iterated), batched.

The attack works on the perturbation I_eps of the assignment's algorithm, called `delta` here:
I_pert = I + delta, and after every step delta is projected onto its allowed box

    0 <= delta <= 1 - I        (pixel by pixel)

which is exactly the two constraints: I_pert >= I (the perturbation never erases ink; MNIST digits
are bright strokes on a -1 background) and -1 <= I_pert <= 1 (I >= -1 and delta >= 0 give the lower
bound). Each image stops on its own as soon as the stopping rule holds on the constrained image:
untargeted, the network predicts a wrong class with probability >= `confidence`; targeted, it
predicts the target with probability >= `confidence`. Probabilities are the softmax of the logits.
Images that reach `max_steps` without meeting the rule are failures, returned as such.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from ..reporter import SILENT, Reporter
from .models import eval_mode, in_layout, prefers_channels_last
from .runtime import full_float32


@dataclass
class AttackOutcome:
    """Per image, for N attacked images (all tensors on the CPU)."""

    adversarial: torch.Tensor  # (N, 1, 28, 28) in [-1, 1], = original + delta
    success: torch.Tensor  # (N,) bool: the stopping rule holds on `adversarial`
    steps: torch.Tensor  # (N,) int64: gradient-sign updates applied (0 if the rule held at once)
    prediction: torch.Tensor  # (N,) int64: the network's class for `adversarial`
    probability: torch.Tensor  # (N,) float: softmax probability of that class
    probabilities: torch.Tensor  # (N, 10) softmax on `adversarial`
    linf: torch.Tensor  # (N,) max |delta|
    l2: torch.Tensor  # (N,) ||delta||_2
    changed_pixels: torch.Tensor  # (N,) int64: pixels with delta > 0


class ConstrainedIFGSM:
    """Iterative FGSM on a non-negative, range-limited perturbation.

    Args:
        model: maps (N, 1, 28, 28) inputs in [-1, 1] to (N, C) logits. Put in eval mode for the
            attack (BatchNorm uses running statistics, so images do not interact) and restored to
            its previous mode afterwards; its parameters are never changed.
        eps: step size of each sign update, in input units (the input range [-1, 1] spans 2).
        max_steps: updates allowed per image before it counts as a failure.
        confidence: probability the stopping rule requires (0.9 in the assignment).
        batch_size: images attacked together; each stops on its own, finished ones stop changing.
        reporter: where the progress bar goes (default: none).
    """

    def __init__(self, model: torch.nn.Module, eps: float, max_steps: int, confidence: float = 0.9,
                 batch_size: int = 1000, reporter: Reporter = SILENT):
        if eps <= 0 or max_steps < 0 or not 0 < confidence <= 1 or batch_size < 1:
            raise ValueError("need eps > 0, max_steps >= 0, 0 < confidence <= 1 and batch_size >= 1")
        self.model, self.eps, self.max_steps = model, eps, max_steps
        self.confidence, self.batch_size = confidence, batch_size
        self.reporter = reporter

    def __call__(self, images: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None = None) -> AttackOutcome:
        """Attack `images` (N, 1, 28, 28) in [-1, 1] with true `labels` (N,); targeted when `targets` (N,) is given.

        The input tensors are not modified. Runs in full float32 (no TF32, no autocast) whatever the
        caller's settings: the 0.90 rule is decided on probabilities that low precision would move.
        """
        return self.at_confidences(images, labels, targets, (self.confidence,))[0]

    def at_confidences(self, images: torch.Tensor, labels: torch.Tensor, targets: torch.Tensor | None,
                       confidences: tuple[float, ...]) -> list[AttackOutcome]:
        """The same attack continued past several stopping confidences, in one pass.

        Each image runs until the highest confidence holds (or `max_steps`); its state when each lower
        confidence first held is recorded on the way. Returns one outcome per confidence (ascending),
        each exactly what a separate attack stopping at that confidence would return.
        """
        levels = tuple(sorted(confidences))
        if not levels or not 0 < levels[0] <= levels[-1] <= 1:
            raise ValueError("confidences must lie in (0, 1]")
        bar = self.reporter.bar(total=len(images), desc="targeted attack" if targets is not None else "untargeted attack",
                                unit="image", leave=False, dynamic_ncols=True)
        with eval_mode(self.model), full_float32(), bar:
            batches = [
                self._attack_batch(images[i:i + self.batch_size], labels[i:i + self.batch_size],
                                   None if targets is None else targets[i:i + self.batch_size], bar, levels)
                for i in range(0, len(images), self.batch_size)
            ]
        return [AttackOutcome(**{name: torch.cat([getattr(batch[k], name) for batch in batches])
                                 for name in AttackOutcome.__dataclass_fields__})
                for k in range(len(levels))]

    def _attack_batch(self, images, labels, targets, bar, levels) -> list[AttackOutcome]:
        device = next(self.model.parameters()).device
        x = images.detach().to(device)
        labels = labels.to(device)
        goal = labels if targets is None else targets.to(device)
        # Untargeted: ascend the loss to the true label; targeted: descend the loss to the target.
        direction = 1.0 if targets is None else -1.0
        upper = one_sided_box(x)  # delta may add at most this much before a pixel leaves the range
        delta = torch.zeros_like(x)
        steps = torch.zeros(len(x), dtype=torch.int64, device=device)
        # Per level: the image's state when that level's rule first held (or its last state if never).
        records = [{"delta": torch.zeros_like(x), "steps": torch.zeros_like(steps),
                    "success": torch.zeros(len(x), dtype=torch.bool, device=device),
                    "probabilities": torch.zeros(len(x), 10, dtype=x.dtype, device=device)} for _ in levels]
        active = torch.arange(len(x), device=device)  # images still being attacked
        for step in range(self.max_steps + 1):
            delta_active = delta[active].requires_grad_(True)
            logits = self.model(in_layout(x[active] + delta_active, prefers_channels_last(x.device)))
            probs = torch.softmax(logits.detach(), dim=1)
            top_probability, top_class = probs.max(dim=1)
            hit = (top_class != labels[active]) if targets is None else (top_class == goal[active])
            last = step == self.max_steps
            for level, record in zip(levels, records):
                # Record the state where this level's rule first holds, or the last state if it never
                # does (step limit). An image stops only when the highest level holds, and then every
                # lower level holds too, so each image is recorded exactly once per level.
                pending = ~record["success"][active]
                met = hit & (top_probability >= level) & pending
                fresh = met | (pending & last)
                # torch.where and index tensors, not boolean masks: no extra wait on the device.
                record["delta"][active] = torch.where(fresh[:, None, None, None], delta_active.detach(),
                                                      record["delta"][active])
                record["steps"][active] = torch.where(fresh, steps[active], record["steps"][active])
                record["probabilities"][active] = torch.where(fresh[:, None], probs.to(x.dtype),
                                                              record["probabilities"][active])
                record["success"][active] = record["success"][active] | met
            met_top = hit & (top_probability >= levels[-1])
            # The one wait on the device per step: the stopping decisions come to the host, and every
            # index below is built from them there (boolean-mask indexing on the device would wait again).
            met_host = met_top.cpu()
            keep_host = torch.nonzero(~met_host).squeeze(1)
            bar.update(len(met_host) - len(keep_host))
            bar.set_postfix(step=step, refresh=False)
            if last or len(keep_host) == 0:
                bar.update(len(keep_host))  # failures are finished too
                break
            keep = keep_host.to(device, non_blocking=True)
            still = active[keep]
            loss = F.cross_entropy(logits[keep].float(), goal[still], reduction="sum")
            (gradient,) = torch.autograd.grad(loss, delta_active)
            updated = delta_active.detach()[keep] + direction * self.eps * gradient[keep].sign()
            delta[still] = project(updated, upper[still])  # onto the allowed box: 0 <= delta <= 1 - I
            steps[still] += 1
            active = still
        return [_outcome(x, record) for record in records]


def _outcome(x: torch.Tensor, record: dict) -> AttackOutcome:
    top_probability, top_class = record["probabilities"].max(dim=1)
    adversarial = x + record["delta"]
    # Sizes of what actually changed in the image: +eps/-eps sums can leave a residue of ~1e-17
    # in delta that vanishes when added to a pixel, and must not count as a changed pixel.
    flat = (adversarial - x).flatten(1)
    return AttackOutcome(
        adversarial=adversarial.cpu(),
        success=record["success"].cpu(),
        steps=record["steps"].cpu(),
        prediction=top_class.cpu(),
        probability=top_probability.cpu(),
        probabilities=record["probabilities"].cpu(),
        linf=flat.abs().amax(dim=1).cpu(),
        l2=flat.norm(dim=1).cpu(),
        changed_pixels=(flat > 0).sum(dim=1).cpu(),
    )

from .box import one_sided_box, project, uniform_start  # noqa: E402,F401 (re-exported)


# ---------------------------------------------------------- training adversaries (Part 5.2's defences)

def sign_ascent(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, upper: torch.Tensor,
                step: float, steps: int, start: torch.Tensor | None = None) -> torch.Tensor:
    """`steps` sign steps of size `step` ascending the cross-entropy from `start` (default: zero), each
    projected onto 0 <= delta <= upper. The one loop behind every training adversary below. The network is
    used in eval mode (BatchNorm's running statistics stay untouched) and put back in its mode; no gradient
    reaches its parameters. Returns the detached images I + delta."""
    x = images.detach()
    delta = torch.zeros_like(x) if start is None else start
    with eval_mode(model):
        for _ in range(steps):
            delta.requires_grad_(True)
            loss = F.cross_entropy(model(x + delta).float(), labels)
            (gradient,) = torch.autograd.grad(loss, delta)
            delta = project(delta.detach() + step * gradient.sign(), upper)
    return (x + delta).detach()


def constrained_fgsm(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, eps: float,
                     steps: int = 1) -> torch.Tensor:
    """Adversarial examples for adversarial training, under the assignment's constraints (no budget).

    `steps` sign steps of size eps / steps ascending the cross-entropy (1 step: Goodfellow et al.'s
    fast gradient sign method), each projected onto 0 <= delta <= 1 - I, so I_adv >= I and I_adv <= 1.
    Returns detached (N, 1, 28, 28) images.
    """
    return sign_ascent(model, images, labels, one_sided_box(images.detach()), eps / steps, steps)


def random_start_fgsm(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, budget: float,
                      step: float, steps: int = 1, generator: torch.Generator | None = None) -> torch.Tensor:
    """Training examples under the assignment's constraint with a budget: FGSM (steps = 1) or PGD with a random start.

    After Wong, Rice and Kolter 2020 ("Fast is better than free"), adapted to the one-sided box: delta
    starts uniform in 0 <= delta <= min(budget, 1 - I), then `steps` sign steps of size `step` ascend the
    cross-entropy, each projected back onto that box. So I <= I_adv <= 1 and ||I_adv - I||_inf <= budget.
    """
    upper = one_sided_box(images.detach(), budget)
    return sign_ascent(model, images, labels, upper, step, steps, uniform_start(upper, generator))


def noisy_fgsm(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, budget: float,
               noise: float = 2.0, step: float = 1.0, generator: torch.Generator | None = None) -> torch.Tensor:
    """N-FGSM (de Jorge et al. 2022) in the one-sided box: one sign step from strong noise, no clipping to the budget.

    de Jorge et al. draw noise uniform in [-k eps, k eps] (k = 2), take one sign step of eps and clip only to
    the image range, not back to the eps-ball: the training perturbation may reach (k + 1) eps. The
    one-sided analogue keeps the assignment's constraint (I <= I_adv <= 1) and drops only the budget: the
    noise is uniform in 0 <= delta <= min(noise * budget, 1 - I) (its one-sided half: a negative component
    would be cut to 0 by I_adv >= I), then one sign step of step * budget, projected onto
    0 <= delta <= 1 - I. So ||I_adv - I||_inf <= (noise + step) * budget, and I_adv >= I always.
    """
    x = images.detach()
    start = uniform_start(one_sided_box(x, noise * budget), generator)
    return sign_ascent(model, images, labels, one_sided_box(x), step * budget, 1, start)


def universal_perturbation(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor, budget: float,
                           steps: int, batch_size: int, step_size: float, generator: torch.Generator,
                           channels_last: bool = False) -> torch.Tensor:
    """One image-agnostic perturbation v for every image (after Moosavi-Dezfooli et al. 2017), constrained.

    Projected sign-gradient ascent of the mean cross-entropy over random batches of `images` (the
    training set), with the perturbed image clamp(I + v, max=1) and v projected onto
    0 <= v <= budget after every step: v never erases ink (I_pert >= I), keeps the image in range, and
    its L-inf norm is at most `budget` (input units). Returns v, (1, 1, 28, 28), on the images' device.
    The network is used in eval mode and put back in its mode.
    """
    v = torch.zeros(1, *images.shape[1:], device=images.device)
    with eval_mode(model):
        for _ in range(steps):
            index = torch.randint(0, len(images), (batch_size,), generator=generator).to(images.device)
            v.requires_grad_(True)
            perturbed = torch.clamp(images[index] + v, max=1.0)
            loss = F.cross_entropy(model(in_layout(perturbed, channels_last)).float(), labels[index])
            (gradient,) = torch.autograd.grad(loss, v)
            v = (v.detach() + step_size * gradient.sign()).clamp_(0.0, budget)
    return v.detach()


# Part 5.2's bounded evaluation lives in bounded.py; its names stay importable from here.
from .bounded import (APGD, BoundedEvaluation, OneSidedPGD, RobustnessCurve, SignPGD,  # noqa: E402,F401
                      dlr_loss)
