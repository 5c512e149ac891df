"""Saving, loading and running Table 1 CNNs: what several parts do with networks."""

from __future__ import annotations

from ..lazy import torch
from ..store.storage import atomic_path


def save_weights(model: torch.nn.Module, path) -> None:
    """Save a state_dict loadable into models.Table1CNN (contiguous, on the CPU)."""
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_cnn(path, device: torch.device):
    """A Table1CNN with saved weights, in eval mode, in the memory layout hw1 runs it in on `device`."""
    from .models import Table1CNN, prefers_channels_last

    model = Table1CNN()
    model.load_state_dict(torch.load(path, weights_only=True, map_location="cpu"))
    model = model.to(device).eval()
    return model.to(memory_format=torch.channels_last) if prefers_channels_last(device) else model


def predict(model, images: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor]:
    """Softmax probabilities (N, 10) and predictions (N,) of `model` in eval mode, on the CPU."""
    from .training import evaluate

    labels = torch.zeros(len(images), dtype=torch.int64, device=device)
    _, _, predictions, probabilities = evaluate(model, images.to(device), labels)
    return probabilities.cpu(), predictions.cpu()
