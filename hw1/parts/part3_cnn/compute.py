"""Part 3: the Table 1 CNN trained on MNIST with Adam and cross-entropy, past 99% test accuracy."""

from __future__ import annotations


import numpy as np

from ...lazy import torch
from ...store.storage import atomic_path
from ...toolkit.networks import save_weights
from ...toolkit.runtime import RunContext
from .config import Part3Config
from ...store.schema import from_data
from .result import COURSE_WEIGHTS, MISCLASSIFIED, WEIGHTS, ArchitectureRow, Part3Result


def run(config: Part3Config, ctx: RunContext) -> Part3Result:
    from ...toolkit.data import load_mnist, to_model_input
    from ...toolkit.models import architecture_table, biases_before_batchnorm
    from ...toolkit.training import evaluate, native_bfloat16, train_cnn

    data = load_mnist(ctx.data_dir, log=ctx.reporter.message)
    checkpoint = ctx.checkpoints_dir / f"part3-{ctx.run_key}.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    model, history = train_cnn(config, data, ctx.device, ctx.seed, checkpoint, ctx.reporter)

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
        architecture=from_data(list[ArchitectureRow], architecture_table(model)),
        total_parameters=sum(p.numel() for p in model.parameters()),
        redundant_bias_parameters=biases_before_batchnorm(model),
        history=history,
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
    from ...toolkit.models import prefers_channels_last

    notes = []
    if config.bf16_where_native and bfloat16:
        from ...toolkit.training import bfloat16_unit

        unit = "GPU" if device.type == "cuda" else f"CPU's {bfloat16_unit()}"
        notes.append(f"bfloat16 autocast for training (native on this {unit}; evaluation in float32)")
    if config.channels_last and prefers_channels_last(device):
        notes.append("channels_last memory layout")
    return "; ".join(notes) or "float32"
