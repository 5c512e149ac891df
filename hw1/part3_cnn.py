"""Part 3: the Table 1 CNN trained on MNIST with Adam and cross-entropy, past 99% test accuracy."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .lazy import torch
from .runtime import RunContext
from .storage import atomic_path
from .train_config import TrainConfig, TrainHistory

WEIGHTS = "cnn.pt"
COURSE_WEIGHTS = "model.pth"  # the same state_dict, under the name the course's notebook loads
MISCLASSIFIED = "part3_misclassified.npz"


@dataclass(frozen=True)
class Part3Config(TrainConfig):
    misclassified_shown: int = 24  # how many misclassified test digits the report shows
    evals_per_epoch: int = 4  # test evaluations per epoch: enough points to say where the test curve gains

    @classmethod
    def preset(cls, quick: bool) -> "Part3Config":
        if quick:
            # Batch 64: twice the updates of the full recipe's batch for the same images, so the quick
            # network is confident enough (about 97%) that the quick attacks succeed like the real ones.
            return cls(epochs=1, train_subset=4096, test_subset=1000, evals_per_epoch=2, misclassified_shown=12,
                       batch_size=64)
        return cls()


@dataclass
class Part3Result:
    data_source: str
    train_images: int
    test_images: int
    architecture: list[dict]  # rows of models.architecture_table
    total_parameters: int
    redundant_bias_parameters: int  # biases of layers feeding a BatchNorm (kept to match the course's model)
    history: dict  # training.TrainHistory as a dict
    test_accuracy: float
    test_loss: float
    per_class_accuracy: list[float]  # index = digit
    per_class_count: list[int]
    confusion: list[list[int]]  # confusion[true][predicted]
    misclassified: int
    images_per_second: float
    device_notes: str
    weights: str = WEIGHTS
    course_weights: str = COURSE_WEIGHTS
    misclassified_artifact: str = MISCLASSIFIED

    @property
    def curves(self) -> TrainHistory:
        return TrainHistory(**self.history)

    @property
    def top_confusions(self) -> list[dict]:
        """The three most frequent (true digit, predicted digit) errors, most frequent first."""
        pairs = [{"true": t, "predicted": p, "count": self.confusion[t][p]}
                 for t in range(10) for p in range(10) if t != p and self.confusion[t][p]]
        return sorted(pairs, key=lambda pair: (-pair["count"], pair["true"], pair["predicted"]))[:3]


def run(config: Part3Config, ctx: RunContext) -> Part3Result:
    from .data import load_mnist, to_model_input
    from .models import architecture_table, biases_before_batchnorm
    from .training import evaluate, native_bfloat16, train_cnn

    data = load_mnist(ctx.data_dir)
    checkpoint = ctx.checkpoints_dir / f"part3-{ctx.run_key}.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    model, history = train_cnn(config, data, ctx.device, ctx.seed, checkpoint, ctx.progress)

    test_images = data.test_images[: config.test_subset or None]
    test_labels = data.test_labels[: config.test_subset or None]
    loss, accuracy, predictions, probabilities = evaluate(
        model, to_model_input(test_images).to(ctx.device), test_labels.to(ctx.device)
    )
    predictions, probabilities = predictions.cpu(), probabilities.cpu()
    confusion = torch.zeros(10, 10, dtype=torch.int64)
    confusion.index_put_((test_labels, predictions), torch.ones_like(test_labels), accumulate=True)
    per_class_count = confusion.sum(dim=1)

    # The most confidently wrong test digits first: the interesting failures.
    wrong = torch.nonzero(predictions != test_labels).squeeze(1)
    confidence = probabilities[wrong, predictions[wrong]]
    shown = wrong[torch.argsort(confidence, descending=True)][: config.misclassified_shown]
    with atomic_path(ctx.artifact(MISCLASSIFIED)) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(
                handle,
                index=shown.numpy(),
                image=test_images[shown].numpy(),  # (K, 28, 28) uint8
                label=test_labels[shown].numpy(),
                prediction=predictions[shown].numpy(),
                confidence=probabilities[shown, predictions[shown]].numpy(),
            )
    save_weights(model, ctx.artifact(WEIGHTS))
    save_weights(model, ctx.artifact(COURSE_WEIGHTS))
    trained = len(data.train_images[: config.train_subset or None])
    return Part3Result(
        data_source=data.source,
        train_images=trained,
        test_images=len(test_labels),
        architecture=architecture_table(model),
        total_parameters=sum(p.numel() for p in model.parameters()),
        redundant_bias_parameters=biases_before_batchnorm(model),
        history=dataclasses.asdict(history),
        test_accuracy=accuracy,
        test_loss=loss,
        per_class_accuracy=(confusion.diag() / per_class_count.clamp(min=1)).tolist(),
        per_class_count=per_class_count.tolist(),
        confusion=confusion.tolist(),
        misclassified=int(len(wrong)),
        images_per_second=trained * config.epochs / history.train_seconds,
        device_notes=_device_notes(config, ctx.device, native_bfloat16(ctx.device)),
    )


def _device_notes(config: Part3Config, device, bfloat16: bool) -> str:
    notes = []
    if config.bf16_where_native and bfloat16:
        notes.append("bfloat16 autocast for training (native on this " + ("GPU" if device.type == "cuda" else "CPU's AMX units")
                     + "; evaluation in float32)")
    if device.type == "cpu" and config.channels_last:
        notes.append("channels_last memory layout")
    return "; ".join(notes) or "float32"


def save_weights(model: torch.nn.Module, path) -> None:
    """Save a state_dict loadable into models.Table1CNN (contiguous, on the CPU)."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
