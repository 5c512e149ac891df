"""The CNN training recipe and its curves as plain data (no torch): Part 3's config extends TrainConfig,
and saved results are read back into TrainHistory without starting torch."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TrainConfig:
    epochs: int = 2  # passes over the training images
    batch_size: int = 128  # images per optimisation step
    max_lr: float = 4e-3  # peak learning rate of the one-cycle schedule (Adam)
    warmup_fraction: float = 0.25  # share of the steps spent warming up to max_lr
    evals_per_epoch: int = 2  # test-set evaluations per epoch, for the test curves
    train_subset: int = 0  # 0: all 60,000 training images
    test_subset: int = 0  # 0: all 10,000 test images
    channels_last: bool = True  # on CPU only: the memory layout measured fastest there
    bf16_where_native: bool = True  # bfloat16 autocast for training where the hardware multiplies bf16 natively


@dataclass
class TrainHistory:
    """Curves of one training run. Iterations are counted from 1; epochs may be fractional."""

    iteration_loss: list[float] = field(default_factory=list)  # training cross-entropy of each batch
    iteration_accuracy: list[float] = field(default_factory=list)  # training accuracy of each batch
    epoch_train_loss: list[float] = field(default_factory=list)  # mean training loss of each epoch
    epoch_train_accuracy: list[float] = field(default_factory=list)  # mean training accuracy of each epoch
    eval_iteration: list[int] = field(default_factory=list)  # the iteration of each test evaluation
    eval_epoch: list[float] = field(default_factory=list)  # the (fractional) epoch of each test evaluation
    test_loss: list[float] = field(default_factory=list)  # test cross-entropy at each evaluation
    test_accuracy: list[float] = field(default_factory=list)  # test accuracy at each evaluation
    iterations_per_epoch: int = 0  # optimisation steps per epoch
    train_seconds: float = 0.0  # optimisation only, evaluations excluded
    seconds_to_99: float | None = None  # training seconds until a test evaluation first reached 99%
    epochs_to_99: float | None = None  # epochs until a test evaluation first reached 99% (None: never)

    @property
    def smoothing_window(self) -> int:
        """Training batches the smoothed training curve averages over (the span of its moving average)."""
        return max(5, self.iterations_per_epoch // 10)

    @property
    def train_accuracy_at_eval(self) -> list[float]:
        """Mean training-batch accuracy over the `smoothing_window` batches before each evaluation: the training
        side of the figure at each test point (the smoothed curve's level there)."""
        means = []
        for iteration in self.eval_iteration:
            window = self.iteration_accuracy[max(0, iteration - self.smoothing_window):iteration] or [float("nan")]
            means.append(sum(window) / len(window))
        return means

    @property
    def largest_test_gain(self) -> dict | None:
        """The pair of consecutive test evaluations between which test accuracy rose most (None: < 2 evaluations)."""
        if len(self.test_accuracy) < 2:
            return None
        gains = [b - a for a, b in zip(self.test_accuracy, self.test_accuracy[1:])]
        k = max(range(len(gains)), key=gains.__getitem__)
        return {"from_epoch": self.eval_epoch[k], "to_epoch": self.eval_epoch[k + 1],
                "from_accuracy": self.test_accuracy[k], "to_accuracy": self.test_accuracy[k + 1], "gain": gains[k],
                "gain_share": gains[k] / max(self.test_accuracy[-1] - self.test_accuracy[0], 1e-12)}
