"""Part 5.2's bounded evaluation and its attacks, in the one-sided box of box.py: the sign PGD, APGD with the
cross-entropy or DLR loss (Croce and Hein 2020), and BoundedEvaluation, which runs them in turn, each only on
the images still robust, budgets ascending (docs/part5-defence.md)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from .box import one_sided_box, project, uniform_start
from .models import eval_mode, fold_batchnorm, in_layout, prefers_channels_last
from .runtime import full_float32


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


# Images per forward-backward pass on the CPU. Part 5's evaluation of a defended network (1,000 images at 0.6, the
# BatchNorms folded) on 2 AVX2 cores took 81 s in chunks of 128 against 143 s on all 1,000 at once, and 109 / 95 /
# 74 / 89 / 106 s in chunks of 32 / 64 / 125 / 250 / 500 (benchmarks/bench_evaluation.py): a chunk's activations
# (128 x 32 x 28 x 28 floats after the first convolution, 13 MB) stay in the cache. In eval mode an image's loss and
# gradient do not depend on the other images, so chunking (like folding) moves at most the last bits of a loss (the
# matrix products block differently): each run above reached the same verdict on every image, and a full seed-0 run
# the same on 8,999 of its 9,000 (one image of the retrained network at 0.3 that APGD-CE had fooled held: rounding
# sent the attack's path elsewhere). CUDA takes the whole batch.
CPU_CHUNK = 128


class _Probe:
    """One forward-backward pass of a network on x + delta: the per-image loss, its input gradient and
    which images are misclassified there, in full float32 and the network's preferred layout."""

    def __init__(self, model: torch.nn.Module, loss: str, channels_last: bool):
        self.model, self.loss, self.channels_last = model, _losses(loss), channels_last

    def __call__(self, x, delta, y, gradient: bool = True):
        chunk = CPU_CHUNK if x.device.type == "cpu" else len(x)
        if len(x) <= chunk:
            return self._pass(x, delta, y, gradient)
        parts = [self._pass(x[i:i + chunk], delta[i:i + chunk], y[i:i + chunk], gradient)
                 for i in range(0, len(x), chunk)]
        losses, grads, wrong = zip(*parts)
        return torch.cat(losses), (torch.cat(grads) if gradient else None), torch.cat(wrong)

    def _pass(self, x, delta, y, gradient: bool):
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
        fold_batchnorm: attack `models.fold_batchnorm(model)`, the same function with each BatchNorm folded
            into the layer before it (faster; False attacks the model as it is). Clean correctness, and so
            which images are attacked at all, is always the model's own.
    """

    def __init__(self, model: torch.nn.Module, attacks, batch_size: int = 1000, seed: int = 0,
                 fold_batchnorm: bool = True):
        if not attacks or batch_size < 1:
            raise ValueError("need at least one attack and batch_size >= 1")
        self.model, self.attacks, self.batch_size, self.seed = model, list(attacks), batch_size, seed
        self.fold_batchnorm = fold_batchnorm
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
            attacked = fold_batchnorm(self.model) if self.fold_batchnorm else self.model
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
                            fooled = attack.fooled(attacked, x[on], y[on], budget, generator, channels_last)
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
