"""Fast, tensor-resident training and evaluation of the Table 1 CNN (Part 3, reused by Part 4).

Why it is fast: the whole dataset lives on the device as one float tensor in [-1, 1] and batches are
taken by index (no DataLoader, no PIL, no per-batch host-to-device copies); on CPU the model runs in
channels_last layout, and training runs under bfloat16 autocast where the hardware has native bfloat16
(CUDA, CPUs with AMX or AVX512-BF16; see `native_bfloat16`); per-iteration metrics stay on the device and
are read back once per epoch. A one-cycle learning-rate schedule lets Adam converge in few epochs.
"""

from __future__ import annotations

import time
from dataclasses import asdict
from pathlib import Path
from typing import Callable

import torch
import torch.nn.functional as F

from ..reporter import SILENT, Reporter
from ..store.storage import atomic_path
from .data import MNIST, to_model_input
from .models import Table1CNN, eval_mode, in_layout, prefers_channels_last
from .runtime import full_float32
from .train_config import TrainConfig, TrainHistory  # noqa: F401  (re-exported: hw1.training.TrainConfig)


def evaluate(model: torch.nn.Module, images: torch.Tensor, labels: torch.Tensor,
             batch_size: int = 256, channels_last: bool | None = None) -> tuple[float, float, torch.Tensor, torch.Tensor]:
    """Mean loss, accuracy, predictions (N,) and softmax probabilities (N, 10), in eval mode.

    `images` is (N, 1, 28, 28) float in [-1, 1] on the model's device. The model's mode is restored.
    `channels_last` defaults to True on CPU (the layout hw1 keeps its models in there).
    """
    if channels_last is None:
        channels_last = prefers_channels_last(images.device)
    losses, probabilities = [], []
    with eval_mode(model), torch.no_grad(), full_float32():  # decisions (99%, the 0.90 rule) in full precision
        for start in range(0, len(images), batch_size):
            logits = model(in_layout(images[start:start + batch_size], channels_last)).float()
            losses.append(F.cross_entropy(logits, labels[start:start + batch_size], reduction="sum"))
            probabilities.append(torch.softmax(logits, dim=1))
    probs = torch.cat(probabilities)
    predictions = probs.argmax(dim=1)
    loss = float(torch.stack(losses).sum()) / len(images)
    accuracy = float((predictions == labels).float().mean())
    return loss, accuracy, predictions, probs


def _clock(device: torch.device) -> float:
    """Wall-clock time after the device has finished its queued work (CUDA runs asynchronously)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    return time.perf_counter()


def native_bfloat16(device: torch.device) -> bool:
    """Whether bfloat16 matrix products run natively here: CUDA GPUs, and CPUs with AMX or AVX512-BF16.

    Asked the way PyTorch itself dispatches (`torch.cpu.get_capabilities()`, its public CPU feature query):
    AMX tiles (Intel Sapphire Rapids and later) or the AVX512-BF16 dot-product instructions (Intel Cooper
    Lake, AMD Zen 4 and later). Measured (benchmarks/bench_training.py): a 2-core Sapphire Rapids (AMX)
    trained 2.4x faster under bfloat16 autocast than in float32, and a 2-core AMD EPYC with AVX512-BF16
    (no AMX) 1.9x faster. Without either the CPU would emulate bfloat16 and run slower, so such CPUs train in
    float32. Evaluations and attacks always run in float32 (`full_float32`).
    """
    if device.type == "cuda":
        return True
    return device.type == "cpu" and bfloat16_unit() is not None


def bfloat16_unit() -> str | None:
    """The CPU's native bfloat16 multiplier, in words ("AMX units", "AVX512-BF16 instructions"), or None."""
    query = getattr(torch.cpu, "get_capabilities", None)
    capabilities = query() if query is not None else {}
    if capabilities.get("amx_bf16") or capabilities.get("amx_tile"):
        return "AMX units"
    if capabilities.get("avx512_bf16"):
        return "AVX512-BF16 instructions"
    return None


def warm_up_cuda(device: torch.device) -> None:
    """Start CUDA, cuDNN and cuBLAS untimed: one forward and backward pass of a throwaway Table1CNN.

    Without it the first timed window of training (or of an attack) includes their start-up, a
    large share of a one-second GPU training. RNG state is saved and restored: results do not change.
    """
    if device.type != "cuda":
        return
    with torch.random.fork_rng(devices=[device]):
        model = Table1CNN().to(device)
        x = torch.zeros(256, 1, 28, 28, device=device, requires_grad=True)
        for autocast in (True, False):  # training runs under bfloat16 autocast, evaluation and attacks without
            with torch.autocast("cuda", dtype=torch.bfloat16, enabled=autocast):
                F.cross_entropy(model(x).float(), torch.zeros(256, dtype=torch.int64, device=device)).backward()
    torch.cuda.synchronize(device)


def _subset(images: torch.Tensor, labels: torch.Tensor, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    return (images[:size], labels[:size]) if size else (images, labels)


def train_cnn(config: TrainConfig, data: MNIST, device: torch.device, seed: int,
              checkpoint: Path | None = None, reporter: Reporter = SILENT,
              adversary: Callable | None = None, alpha: float = 0.5, initial: dict | None = None,
              guard: Callable | None = None) -> tuple[Table1CNN, TrainHistory]:
    """Train a fresh Table1CNN with Adam, one-cycle LR and cross-entropy; return it (eval mode) and its curves.

    With `adversary(model, x, y) -> x_adv`, the loss is Goodfellow et al.'s adversarial objective
    alpha * J(x, y) + (1 - alpha) * J(x_adv, y), with x_adv made from the current network at every
    step (clean and adversarial halves go through the network as one batch; with alpha = 0 only the
    adversarial images do, as in Madry et al. 2018 and Wong et al. 2020). See `_loss`.

    `initial`: a state_dict to start from (fine-tuning) instead of a fresh initialisation.
    `guard(model) -> bool`: called at every test evaluation; True stops training there (the guard may
    have put other weights into the model, e.g. its best ones: see `RobustnessGuard`).

    With `checkpoint`, state is saved after every epoch and an existing checkpoint is resumed from,
    giving the same final numbers as an uninterrupted run (model, optimiser, schedule, shuffling RNG
    and curves are all restored).
    """
    run = _Run(config, data, device, seed, initial)
    first_epoch = 0
    if checkpoint is not None and checkpoint.is_file():
        state = _read_checkpoint(checkpoint, reporter)
        if state is not None:
            first_epoch = _resume(state, run.model, run.optimizer, run.schedule, run.shuffle, run.history)
    bar = reporter.bar(total=config.epochs * run.per_epoch, initial=first_epoch * run.per_epoch, desc="training CNN",
                       unit="batch", leave=False, dynamic_ncols=True)
    for epoch in range(first_epoch, config.epochs):
        bar.set_description(f"training CNN, epoch {epoch + 1}/{config.epochs}")
        stopped = run.epoch(epoch, adversary, alpha, guard, bar)
        if checkpoint is not None and epoch + 1 < config.epochs and not stopped:
            _save_checkpoint(checkpoint, epoch + 1, run.model, run.optimizer, run.schedule, run.shuffle, run.history)
        if stopped:
            break
    bar.close()
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)  # finished: the caller saves the final weights
    run.model.eval()
    return run.model, run.history


def _loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, adversary: Callable | None,
          alpha: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(logits of the clean batch, or of the adversarial one when alpha = 0; the training loss) of one step."""
    if adversary is None:
        logits = model(x)
        return logits, F.cross_entropy(logits.float(), y)
    if alpha == 0:
        logits = model(adversary(model, x, y))
        return logits, F.cross_entropy(logits.float(), y)
    x_adv = adversary(model, x, y)
    both = model(torch.cat([x, x_adv]))
    logits = both[: len(x)]
    return logits, alpha * F.cross_entropy(logits.float(), y) + (1 - alpha) * F.cross_entropy(both[len(x):].float(), y)


class _Run:
    """One training run's state: data on the device, the network, Adam with its one-cycle schedule, the
    shuffling RNG, bfloat16 autocast where native, and the curves being recorded."""

    def __init__(self, config: TrainConfig, data: MNIST, device: torch.device, seed: int, initial: dict | None):
        train_images, train_labels = _subset(data.train_images, data.train_labels, config.train_subset)
        test_images, test_labels = _subset(data.test_images, data.test_labels, config.test_subset)
        self.train_x = to_model_input(train_images).to(device)  # (N, 1, 28, 28) in [-1, 1]
        self.train_y = train_labels.to(device)
        self.test_x = to_model_input(test_images).to(device)
        self.test_y = test_labels.to(device)
        self.config, self.device = config, device
        torch.manual_seed(seed)
        self.channels_last = config.channels_last and prefers_channels_last(device)
        model = Table1CNN().to(device)
        if initial is not None:
            model.load_state_dict(initial)
        self.model = model.to(memory_format=torch.channels_last) if self.channels_last else model
        self.shuffle = torch.Generator().manual_seed(seed)
        self.per_epoch = (len(self.train_x) + config.batch_size - 1) // config.batch_size
        self.optimizer = torch.optim.Adam(self.model.parameters(), lr=config.max_lr)
        self.schedule = torch.optim.lr_scheduler.OneCycleLR(
            self.optimizer, max_lr=config.max_lr, total_steps=config.epochs * self.per_epoch,
            pct_start=config.warmup_fraction)
        self.history = TrainHistory(iterations_per_epoch=self.per_epoch)
        self.eval_points = {round(self.per_epoch * k / config.evals_per_epoch) for k in range(1, config.evals_per_epoch + 1)}
        self.autocast = torch.autocast(device.type, dtype=torch.bfloat16,
                                       enabled=config.bf16_where_native and native_bfloat16(device))
        warm_up_cuda(device)

    def epoch(self, epoch: int, adversary, alpha: float, guard, bar) -> bool:
        """One pass over the shuffled training images; True if the guard stopped training."""
        config, history = self.config, self.history
        self.model.train()
        order = torch.randperm(len(self.train_x), generator=self.shuffle).to(self.device)
        losses, corrects = [], []
        stopped = False
        started = _clock(self.device)
        for step in range(self.per_epoch):
            index = order[step * config.batch_size:(step + 1) * config.batch_size]
            x, y = in_layout(self.train_x[index], self.channels_last), self.train_y[index]
            with self.autocast:
                logits, loss = _loss(self.model, x, y, adversary, alpha)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            self.optimizer.step()
            self.schedule.step()
            losses.append(loss.detach())
            corrects.append((logits.argmax(dim=1) == y).float().mean())
            bar.update(1)
            if step + 1 in self.eval_points:
                history.train_seconds += _clock(self.device) - started
                stopped = self._evaluate(epoch * self.per_epoch + step + 1, loss, guard, bar)
                started = _clock(self.device)
                if stopped:
                    break
        history.train_seconds += _clock(self.device) - started
        epoch_losses = torch.stack(losses).float().cpu()
        epoch_accuracy = torch.stack(corrects).float().cpu()
        history.iteration_loss.extend(epoch_losses.tolist())
        history.iteration_accuracy.extend(epoch_accuracy.tolist())
        history.epoch_train_loss.append(float(epoch_losses.mean()))
        history.epoch_train_accuracy.append(float(epoch_accuracy.mean()))
        return stopped

    def _evaluate(self, iteration: int, loss: torch.Tensor, guard, bar) -> bool:
        """A test evaluation (untimed) recorded in the curves, then the guard's check; True: stop training."""
        history = self.history
        test_loss, test_accuracy, _, _ = evaluate(self.model, self.test_x, self.test_y, channels_last=self.channels_last)
        history.eval_iteration.append(iteration)
        history.eval_epoch.append(iteration / self.per_epoch)
        history.test_loss.append(test_loss)
        history.test_accuracy.append(test_accuracy)
        if history.seconds_to_99 is None and test_accuracy >= 0.99:
            history.seconds_to_99 = history.train_seconds
            history.epochs_to_99 = iteration / self.per_epoch
        bar.set_postfix(loss=f"{float(loss.detach()):.3f}", test_acc=f"{test_accuracy:.2%}")
        return guard is not None and bool(guard(self.model))


class RobustnessGuard:
    """The catastrophic-overfitting guard of fast adversarial training (Wong, Rice and Kolter 2020, section 5).

    Single-step adversarial training can suddenly lose all robustness to multi-step attacks while its
    single-step accuracy climbs. At every test evaluation of `train_cnn` this measures robust accuracy
    under the one-sided PGD (`hw1.toolkit.attacks.OneSidedPGD`, zero and random start) on a held-out batch of
    training images; it keeps a copy of the best weights, and when robust accuracy falls more than
    `collapse` below the best seen it puts those weights back into the model and stops training.
    `history` lists the robust accuracy of every check, `collapsed` says whether it fired.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, budget: float, steps: int = 10,
                 collapse: float = 0.2, seed: int = 0):
        self.images, self.labels, self.budget, self.steps = images, labels, budget, steps
        self.collapse, self.seed = collapse, seed
        self.history: list[float] = []
        self.best: tuple[float, dict] | None = None
        self.collapsed = False

    def __call__(self, model: torch.nn.Module) -> bool:
        from .attacks import OneSidedPGD

        robust = float(OneSidedPGD(model, steps=self.steps, seed=self.seed)
                       .robust_mask(self.images, self.labels, [self.budget])[0].float().mean())
        self.history.append(robust)
        if self.best is None or robust >= self.best[0]:
            self.best = (robust, {k: v.detach().clone() for k, v in model.state_dict().items()})
        elif robust < self.best[0] - self.collapse:
            model.load_state_dict(self.best[1])
            self.collapsed = True
            return True
        return False


def _save_checkpoint(path: Path, epochs_done: int, model, optimizer, schedule, shuffle, history) -> None:
    state = {
        "epochs_done": epochs_done,
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "schedule": schedule.state_dict(),
        "shuffle_rng": shuffle.get_state(),
        "history": asdict(history),
    }
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def _read_checkpoint(path: Path, reporter: Reporter) -> dict | None:
    """A checkpoint's state (loaded with weights_only=True: no code runs), or None if it is damaged."""
    try:
        state = torch.load(path, weights_only=True, map_location="cpu")
        missing = {"epochs_done", "model", "optimizer", "schedule", "shuffle_rng", "history"} - set(state)
        if missing:
            raise KeyError(f"missing {sorted(missing)}")
        return state
    except Exception as exc:  # damaged or foreign file: start this training from scratch
        reporter.message(f"warning: checkpoint {path} is unusable ({type(exc).__name__}); training from scratch")
        path.unlink(missing_ok=True)
        return None


def _resume(state: dict, model, optimizer, schedule, shuffle, history: TrainHistory) -> int:
    """Restore a checkpoint's state into fresh objects; return the number of epochs already done."""
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    schedule.load_state_dict(state["schedule"])
    shuffle.set_state(state["shuffle_rng"])
    for name, value in state["history"].items():
        setattr(history, name, value)
    return int(state["epochs_done"])
