"""Fast, tensor-resident training and evaluation of the Table 1 CNN (Part 3, reused by Part 4).

Why it is fast: the whole dataset lives on the device as one float tensor in [-1, 1] and batches are
taken by index (no DataLoader, no PIL, no per-batch host-to-device copies); on CPU the model runs in
channels_last layout, and training runs under bfloat16 autocast where the hardware has native bfloat16
(CUDA, CPUs with AMX; see `native_bfloat16`); per-iteration metrics stay on the device and
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
    """Whether bfloat16 matrix products run natively here: CUDA GPUs, and CPUs with AMX tiles.

    Measured on a 2-core Sapphire Rapids (AMX): training under bfloat16 autocast ran 2.4x faster than
    float32 (benchmarks/bench_training.py). Without AMX the CPU would emulate bfloat16 and run slower,
    so such CPUs train in float32. Evaluations and attacks always run in float32 (`full_float32`).
    """
    if device.type == "cuda":
        return True
    is_amx = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return device.type == "cpu" and bool(is_amx and is_amx())


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
    adversarial images do, as in Madry et al. 2018 and Wong et al. 2020).

    `initial`: a state_dict to start from (fine-tuning) instead of a fresh initialisation.
    `guard(model) -> bool`: called at every test evaluation; True stops training there (the guard may
    have put other weights into the model, e.g. its best ones: see `RobustnessGuard`).

    With `checkpoint`, state is saved after every epoch and an existing checkpoint is resumed from,
    giving the same final numbers as an uninterrupted run (model, optimiser, schedule, shuffling RNG
    and curves are all restored).
    """
    train_images, train_labels = _subset(data.train_images, data.train_labels, config.train_subset)
    test_images, test_labels = _subset(data.test_images, data.test_labels, config.test_subset)
    train_x = to_model_input(train_images).to(device)  # (N, 1, 28, 28) in [-1, 1]
    train_y = train_labels.to(device)
    test_x = to_model_input(test_images).to(device)
    test_y = test_labels.to(device)

    torch.manual_seed(seed)
    channels_last = config.channels_last and prefers_channels_last(device)
    model = Table1CNN().to(device)
    if initial is not None:
        model.load_state_dict(initial)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    shuffle = torch.Generator().manual_seed(seed)
    n = len(train_x)
    per_epoch = (n + config.batch_size - 1) // config.batch_size
    optimizer = torch.optim.Adam(model.parameters(), lr=config.max_lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.max_lr, total_steps=config.epochs * per_epoch, pct_start=config.warmup_fraction
    )
    history = TrainHistory(iterations_per_epoch=per_epoch)
    eval_points = {round(per_epoch * k / config.evals_per_epoch) for k in range(1, config.evals_per_epoch + 1)}
    autocast = torch.autocast(device.type, dtype=torch.bfloat16,
                              enabled=config.bf16_where_native and native_bfloat16(device))

    warm_up_cuda(device)
    first_epoch = 0
    if checkpoint is not None and checkpoint.is_file():
        state = _read_checkpoint(checkpoint, reporter)
        if state is not None:
            first_epoch = _resume(state, model, optimizer, schedule, shuffle, history)

    bar = reporter.bar(total=config.epochs * per_epoch, initial=first_epoch * per_epoch, desc="training CNN",
                       unit="batch", leave=False, dynamic_ncols=True)
    stopped = False
    for epoch in range(first_epoch, config.epochs):
        if stopped:
            break
        bar.set_description(f"training CNN, epoch {epoch + 1}/{config.epochs}")
        model.train()
        order = torch.randperm(n, generator=shuffle).to(device)
        losses, corrects = [], []
        started = _clock(device)
        for step in range(per_epoch):
            index = order[step * config.batch_size:(step + 1) * config.batch_size]
            x, y = in_layout(train_x[index], channels_last), train_y[index]
            with autocast:
                if adversary is None:
                    logits = model(x)
                    loss = F.cross_entropy(logits.float(), y)
                elif alpha == 0:
                    logits = model(adversary(model, x, y))
                    loss = F.cross_entropy(logits.float(), y)
                else:
                    x_adv = adversary(model, x, y)
                    both = model(torch.cat([x, x_adv]))
                    logits = both[: len(x)]
                    loss = (alpha * F.cross_entropy(logits.float(), y)
                            + (1 - alpha) * F.cross_entropy(both[len(x):].float(), y))
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            losses.append(loss.detach())
            corrects.append((logits.argmax(dim=1) == y).float().mean())
            bar.update(1)
            if step + 1 in eval_points:
                history.train_seconds += _clock(device) - started
                test_loss, test_accuracy, _, _ = evaluate(model, test_x, test_y, channels_last=channels_last)
                iteration = epoch * per_epoch + step + 1
                history.eval_iteration.append(iteration)
                history.eval_epoch.append(iteration / per_epoch)
                history.test_loss.append(test_loss)
                history.test_accuracy.append(test_accuracy)
                if history.seconds_to_99 is None and test_accuracy >= 0.99:
                    history.seconds_to_99 = history.train_seconds
                    history.epochs_to_99 = iteration / per_epoch
                bar.set_postfix(loss=f"{float(loss.detach()):.3f}", test_acc=f"{test_accuracy:.2%}")
                if guard is not None and guard(model):
                    stopped = True
                    started = _clock(device)
                    break
                started = _clock(device)
        history.train_seconds += _clock(device) - started
        epoch_losses = torch.stack(losses).float().cpu()
        epoch_accuracy = torch.stack(corrects).float().cpu()
        history.iteration_loss.extend(epoch_losses.tolist())
        history.iteration_accuracy.extend(epoch_accuracy.tolist())
        history.epoch_train_loss.append(float(epoch_losses.mean()))
        history.epoch_train_accuracy.append(float(epoch_accuracy.mean()))
        if checkpoint is not None and epoch + 1 < config.epochs and not stopped:
            _save_checkpoint(checkpoint, epoch + 1, model, optimizer, schedule, shuffle, history)
    bar.close()
    if checkpoint is not None:
        checkpoint.unlink(missing_ok=True)  # finished: the caller saves the final weights
    model.eval()
    return model, history


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
