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


# ------------------------------------------------------------- the one-sided box, shared by every attack

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


# ------------------------------------------------ Part 5.2: the bounded evaluation and its attacks

def dlr_loss(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(N,) Croce and Hein's difference of logits ratio, -(z_y - max_{i != y} z_i) / (z_1 - z_3), z sorted
    descending: invariant to shifting and rescaling the logits, so a saturated softmax cannot hide the gradient."""
    ordered, _ = logits.sort(dim=1, descending=True)
    true = logits.gather(1, labels[:, None]).squeeze(1)
    others = logits.scatter(1, labels[:, None], float("-inf")).amax(dim=1)
    return -(true - others) / (ordered[:, 0] - ordered[:, 2] + 1e-12)


def _losses(name: str):
    if name == "ce":
        return lambda logits, y: F.cross_entropy(logits, y, reduction="none")
    if name == "dlr":
        return dlr_loss
    raise ValueError(f"unknown loss {name!r} (ce or dlr)")


class _Probe:
    """One forward-backward pass of a network on x + delta: the per-image loss, its input gradient and
    which images are misclassified there, in full float32 and the network's preferred layout."""

    def __init__(self, model: torch.nn.Module, loss: str, channels_last: bool):
        self.model, self.loss, self.channels_last = model, _losses(loss), channels_last

    def __call__(self, x, delta, y, gradient: bool = True):
        delta = delta.detach().requires_grad_(gradient)
        with torch.set_grad_enabled(gradient):
            logits = self.model(in_layout(x + delta, self.channels_last)).float()
            losses = self.loss(logits, y)
        wrong = (logits.detach().argmax(dim=1) != y).cpu()  # the one wait on the device per pass
        if not gradient:
            return losses, None, wrong
        (grad,) = torch.autograd.grad(losses.sum(), delta)
        return losses.detach(), grad, wrong


class SignPGD:
    """Projected gradient descent with sign steps (Madry et al. 2018) in the one-sided box, one start.

    `steps` sign steps of budget * step_fraction ascending the cross-entropy, each projected onto
    0 <= delta <= min(budget, 1 - I), from zero or from a uniform random point of the box."""

    def __init__(self, steps: int = 40, step_fraction: float = 0.1, random_start: bool = False):
        if steps < 1 or step_fraction <= 0:
            raise ValueError("need steps >= 1 and step_fraction > 0")
        self.steps, self.step_fraction, self.random_start = steps, step_fraction, random_start
        self.name = f"PGD-{steps} ({'random' if random_start else 'zero'} start)"

    def passes(self) -> int:
        """Forward-backward passes per image that is never fooled."""
        return self.steps + 1

    def fooled(self, model, x, y, budget: float, generator, channels_last: bool) -> torch.Tensor:
        """(n,) bool on the host: the clean image or some iterate fooled the network."""
        upper = one_sided_box(x, budget)
        delta = uniform_start(upper, generator) if self.random_start else torch.zeros_like(x)
        probe, step = _Probe(model, "ce", channels_last), budget * self.step_fraction
        state = _Batch(len(x), x, y, upper, delta=delta)
        for k in range(self.steps + 1):
            _, gradient, wrong = probe(state.x, state.delta, state.y, gradient=k < self.steps)
            if not state.drop(wrong, gradient=gradient) or k == self.steps:
                break
            state.delta = project(state.delta + step * state.gradient.sign(), state.upper)
        return state.fooled


class APGD:
    """Auto-PGD (Croce and Hein 2020) in the one-sided box: the step size adapts itself, no parameter to tune.

    As the authors' reference (fra31/auto-attack, autoattack/autopgd_base.py, L-inf), rewritten for the box
    0 <= delta <= min(budget, 1 - I): a start uniform in the box; a first step of 2 * budget; every later
    update mixes the new projected sign step with the previous update, z = P(delta + eta sign(g)),
    delta' = P(delta + a (z - delta) + (1 - a)(delta - delta_prev)) with momentum a = 0.75 (1 on the first
    step). Checkpoints after p_1 = 0.22 * iterations, then every max(previous - 0.03, 0.06) * iterations: at
    a checkpoint an image's step size is halved, and it restarts from its best point (highest loss so far)
    and that point's gradient, if the loss rose on fewer than rho = 0.75 of the iterations since the last
    checkpoint, or if its step was not halved at the last checkpoint and its best loss has not improved
    since. Loss: cross-entropy ("ce") or the difference of logits ratio ("dlr"). An image is fooled when the
    start or any iterate is misclassified; fooled images leave the batch at once (each image's run is
    independent of the others', so this changes no result, only the cost)."""

    def __init__(self, loss: str = "ce", iterations: int = 100, rho: float = 0.75, momentum: float = 0.75):
        _losses(loss)
        if iterations < 1:
            raise ValueError("need iterations >= 1")
        self.loss, self.iterations, self.rho, self.momentum = loss, iterations, rho, momentum
        self.name = f"APGD-{loss.upper()}"
        self.first_check = max(int(0.22 * iterations), 1)
        self.shrink, self.shortest = max(int(0.03 * iterations), 1), max(int(0.06 * iterations), 1)

    def passes(self) -> int:
        return self.iterations + 1

    def fooled(self, model, x, y, budget: float, generator, channels_last: bool) -> torch.Tensor:
        upper = one_sided_box(x, budget)
        probe = _Probe(model, self.loss, channels_last)
        delta = uniform_start(upper, generator)
        losses, gradient, wrong = probe(x, delta, y)
        n = len(x)
        state = _Batch(n, x, y, upper, delta=delta, previous=delta.clone(), best=delta.clone(),
                       gradient=gradient, best_gradient=gradient.clone(), loss=losses, best_loss=losses.clone(),
                       best_at_check=losses.clone(), step=torch.full((n, 1, 1, 1), 2.0 * budget, device=x.device),
                       rises=torch.zeros(n, device=x.device), halved=torch.zeros(n, dtype=torch.bool, device=x.device))
        if not state.drop(wrong):
            return state.fooled
        window, since = self.first_check, 0
        for i in range(self.iterations):
            a = 1.0 if i == 0 else self.momentum
            z = project(state.delta + state.step * state.gradient.sign(), state.upper)
            moved = project(state.delta + a * (z - state.delta) + (1 - a) * (state.delta - state.previous), state.upper)
            state.previous, state.delta = state.delta, moved
            losses, gradient, wrong = probe(state.x, state.delta, state.y)
            state.rises += (losses > state.loss).float()
            better = losses > state.best_loss
            state.best = torch.where(better[:, None, None, None], state.delta, state.best)
            state.best_gradient = torch.where(better[:, None, None, None], gradient, state.best_gradient)
            state.best_loss = torch.maximum(losses, state.best_loss)
            state.loss, state.gradient = losses, gradient
            if not state.drop(wrong):
                break
            since += 1
            if since == window:
                self._checkpoint(state, window)
                window, since = max(window - self.shrink, self.shortest), 0
        return state.fooled

    def _checkpoint(self, state: "_Batch", window: int) -> None:
        """Halve the step of the images that stalled since the last checkpoint; they restart from their best point."""
        halve = (state.rises <= self.rho * window) | (~state.halved & (state.best_at_check >= state.best_loss))
        h = halve[:, None, None, None]
        state.step = torch.where(h, state.step / 2, state.step)
        state.delta = torch.where(h, state.best, state.delta)
        state.gradient = torch.where(h, state.best_gradient, state.gradient)
        state.halved, state.best_at_check = halve, state.best_loss.clone()
        state.rises = torch.zeros_like(state.rises)


class _Batch:
    """The images of one attack still being attacked, with their per-image state tensors (all indexed alike).

    `drop(wrong)` records the misclassified ones as fooled and removes them (and their state) from the batch;
    it returns whether any image is left. `fooled` is (n,) bool on the host, over the original batch."""

    def __init__(self, n: int, x, y, upper, **state):
        self.fooled = torch.zeros(n, dtype=torch.bool)
        self.active = torch.arange(n)  # on the host: original positions of the images still attacked
        self._names = ["x", "y", "upper", *state]
        for name, value in dict(x=x, y=y, upper=upper, **state).items():
            setattr(self, name, value)

    def drop(self, wrong: torch.Tensor, **update) -> bool:
        for name, value in update.items():
            setattr(self, name, value)
            if name not in self._names:
                self._names.append(name)
        if not wrong.any():
            return True
        self.fooled[self.active[wrong]] = True
        keep_host = torch.nonzero(~wrong).squeeze(1)
        self.active = self.active[keep_host]
        keep = keep_host.to(self.x.device)
        for name in self._names:
            value = getattr(self, name)
            if value is not None:
                setattr(self, name, value[keep])
        return len(keep_host) > 0


@dataclass
class RobustnessCurve:
    """Robust accuracy per budget (ascending) under an ensemble of attacks: robust only if every attack fails."""

    budgets: list[float]  # L-inf budgets in input units ([-1, 1] spans 2; divide by 2 for [0, 1] units)
    robust: list[float]  # share of all evaluated images still classified correctly after every attack
    robust_count: list[int]
    images: int  # images evaluated (correct or not: a misclassified clean image is never robust)
    clean_accuracy: float  # on the same images
    seconds: float
    attacks: list[str]  # the attacks, in the order they ran (each only on the images all before it failed on)
    first_fooled: list[list[int]]  # [budget][attack]: images that attack fooled first at that budget


class BoundedEvaluation:
    """Robust accuracy of a network under several attacks in the one-sided box, without repeating work.

    For each budget b the box is 0 <= delta <= min(b, 1 - I). An image is robust at b only if the network
    classifies it correctly and every attack fails on it. The attacks run in order, each only on the images
    no attack before it has fooled (as AutoAttack runs its attacks); budgets run in ascending order, and an
    image fooled at b counts as fooled at every larger budget without being attacked again (the adversarial
    image found at b lies inside the larger box).

    Args:
        model: (N, 1, 28, 28) in [-1, 1] -> (N, C) logits; used in eval mode, restored afterwards.
        attacks: objects with `name` and `fooled(model, x, y, budget, generator, channels_last) -> (n,) bool`
            (`SignPGD`, `APGD`).
        batch_size: images attacked together.
        seed: for the random starts.
    """

    def __init__(self, model: torch.nn.Module, attacks, batch_size: int = 1000, seed: int = 0):
        if not attacks or batch_size < 1:
            raise ValueError("need at least one attack and batch_size >= 1")
        self.model, self.attacks, self.batch_size, self.seed = model, list(attacks), batch_size, seed
        self.first_fooled: list[list[int]] = []

    def robust_mask(self, images: torch.Tensor, labels: torch.Tensor, budgets) -> torch.Tensor:
        """(len(budgets), N) bool: image n is robust at budgets[k] (budgets ascending).

        Images (N, 1, 28, 28) in [-1, 1], labels (N,). Inputs are not modified. Runs in full float32.
        `first_fooled` is set to [budget][attack]: the images each attack fooled first.
        """
        budgets = [float(b) for b in budgets]
        if budgets != sorted(budgets) or budgets[0] <= 0:
            raise ValueError("budgets must be positive and ascending")
        device = next(self.model.parameters()).device
        channels_last = prefers_channels_last(device)
        generator = torch.Generator().manual_seed(self.seed)
        self.first_fooled = [[0] * len(self.attacks) for _ in budgets]
        rows = []
        with eval_mode(self.model), full_float32():
            for start in range(0, len(images), self.batch_size):
                x = images[start:start + self.batch_size].detach().to(device)
                y = labels[start:start + self.batch_size].to(device)
                with torch.no_grad():
                    alive = (self.model(in_layout(x, channels_last)).argmax(dim=1) == y).cpu()
                masks = []
                for k, budget in enumerate(budgets):
                    for a, attack in enumerate(self.attacks):
                        index = torch.nonzero(alive).squeeze(1)
                        if len(index):
                            on = index.to(device)
                            fooled = attack.fooled(self.model, x[on], y[on], budget, generator, channels_last)
                            alive[index[fooled]] = False
                            self.first_fooled[k][a] += int(fooled.sum())
                    masks.append(alive.clone())
                rows.append(torch.stack(masks))
        return torch.cat(rows, dim=1)

    def curve(self, images: torch.Tensor, labels: torch.Tensor, budgets) -> RobustnessCurve:
        import time

        started = time.perf_counter()
        mask = self.robust_mask(images, labels, budgets)
        with eval_mode(self.model), torch.no_grad(), full_float32():
            device = next(self.model.parameters()).device
            predictions = torch.cat([self.model(in_layout(images[i:i + 1000].to(device), prefers_channels_last(device)))
                                     .argmax(dim=1).cpu() for i in range(0, len(images), 1000)])
        return RobustnessCurve(budgets=[float(b) for b in budgets], robust=mask.float().mean(dim=1).tolist(),
                               robust_count=mask.sum(dim=1).tolist(), images=len(images),
                               clean_accuracy=float((predictions == labels.cpu()).float().mean()),
                               seconds=time.perf_counter() - started,
                               attacks=[attack.name for attack in self.attacks], first_fooled=self.first_fooled)


class OneSidedPGD(BoundedEvaluation):
    """The bounded evaluation with the one-sided PGD alone, from two starts (zero and uniform random in the box):
    `steps` sign steps of budget * step_fraction each. The catastrophic-overfitting guard's cheap check."""

    def __init__(self, model: torch.nn.Module, steps: int = 40, step_fraction: float = 0.1,
                 batch_size: int = 1000, seed: int = 0):
        if steps < 1 or step_fraction <= 0 or batch_size < 1:
            raise ValueError("need steps >= 1, step_fraction > 0 and batch_size >= 1")
        super().__init__(model, [SignPGD(steps, step_fraction, False), SignPGD(steps, step_fraction, True)],
                         batch_size, seed)
