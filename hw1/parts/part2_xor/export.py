"""The XOR network handed in: saved as a torch XorNet and checked on the four inputs."""

from __future__ import annotations

import numpy as np

from ...lazy import torch
from ...store.storage import atomic_path
from .network import INPUTS


def course_check(model) -> list[float]:
    """The outputs the course's autograder reads: the network called on float32 (1, 2) tensors, one input each."""
    with torch.no_grad():
        return [float(model(torch.tensor([[float(a), float(b)]]))) for a, b in INPUTS.tolist()]


def save_xor_weights(params: dict[str, np.ndarray], run: int, path):
    """Save run `run` of stacked parameters as a float32 state_dict loadable into models.XorNet('tanh').

    float32 because that is what the course's autograder feeds (`torch.tensor([[0., 0.]])`); the
    network trained in float64 is returned as saved (float32, eval mode).
    """
    from ...toolkit.models import XorNet

    model = XorNet("tanh")
    with torch.no_grad():
        model.hidden.weight.copy_(torch.from_numpy(params["W1"][run]))
        model.hidden.bias.copy_(torch.from_numpy(params["b1"][run]))
        model.output.weight.copy_(torch.from_numpy(params["w2"][run]).unsqueeze(0))
        model.output.bias.copy_(torch.tensor([float(params["b2"][run])]))
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
    return model.eval()
