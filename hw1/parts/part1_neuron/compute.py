"""Part 1: a single sigmoid neuron, its L2 and cross-entropy losses, and their gradients.

The neuron has one input x = 1, weight w and bias b: y_hat = sigmoid(w * x + b), target y = 0.5.
Every surface is evaluated on one (w, b) grid; the gradients come from autograd (backpropagation),
in float64, and tests check them against the analytic formulas.
"""

from __future__ import annotations

import numpy as np

from ...lazy import torch
from ...store.storage import atomic_path
from ...toolkit.runtime import RunContext
from .config import Part1Config
from .result import ARTIFACT, Part1Result


def neuron_surfaces(w: torch.Tensor, b: torch.Tensor, x: float, y: float) -> dict[str, torch.Tensor]:
    """Output, losses and d(loss)/dw by autograd at every (w, b) pair.

    `w` and `b` are broadcastable grids (for example (len(b), len(w)) from meshgrid with
    indexing="xy"). Grid points do not interact, so the gradient of the summed loss with respect to
    the weight grid is, element by element, each point's own dL/dw.
    """
    w = w.detach().clone().requires_grad_(True)
    output = torch.sigmoid(w * x + b)
    l2_loss = (output - y) ** 2
    # Written in terms of the logit for numerical stability; equal to -(y log s + (1-y) log(1-s)).
    logit = w * x + b
    ce_loss = -(y * torch.nn.functional.logsigmoid(logit) + (1 - y) * torch.nn.functional.logsigmoid(-logit))
    (l2_grad_w,) = torch.autograd.grad(l2_loss.sum(), w, retain_graph=True)
    (ce_grad_w,) = torch.autograd.grad(ce_loss.sum(), w)
    return {
        "output": output.detach(),
        "l2_loss": l2_loss.detach(),
        "l2_grad_w": l2_grad_w,
        "ce_loss": ce_loss.detach(),
        "ce_grad_w": ce_grad_w,
    }


def analytic_gradients(w: np.ndarray, b: np.ndarray, x: float, y: float) -> tuple[np.ndarray, np.ndarray]:
    """dL2/dw = 2 (s - y) s (1 - s) x and dCE/dw = (s - y) x, with s = sigmoid(w x + b)."""
    s = 1.0 / (1.0 + np.exp(-(w * x + b)))
    return 2.0 * (s - y) * s * (1.0 - s) * x, (s - y) * x


def run(config: Part1Config, ctx: RunContext) -> Part1Result:
    axis = np.linspace(-config.half_range, config.half_range, config.grid_points)
    w_grid, b_grid = np.meshgrid(axis, axis, indexing="xy")  # (len(b), len(w)): rows are b, columns w
    surfaces = neuron_surfaces(
        torch.from_numpy(w_grid), torch.from_numpy(b_grid), config.x, config.y
    )
    arrays = {name: tensor.numpy() for name, tensor in surfaces.items()}

    l2_analytic, ce_analytic = analytic_gradients(w_grid, b_grid, config.x, config.y)
    autograd_error = max(
        float(np.abs(arrays["l2_grad_w"] - l2_analytic).max()),
        float(np.abs(arrays["ce_grad_w"] - ce_analytic).max()),
    )

    with atomic_path(ctx.artifact(ARTIFACT)) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(handle, w=axis, b=axis, **arrays)

    z = w_grid * config.x + b_grid
    l2_abs = np.abs(arrays["l2_grad_w"])
    ce_abs = np.abs(arrays["ce_grad_w"])
    peak = np.unravel_index(np.argmax(l2_abs), l2_abs.shape)
    badly_wrong = np.abs(arrays["output"] - config.y) > config.badly_wrong
    ce_min_index = np.unravel_index(np.argmin(arrays["ce_loss"]), z.shape)
    return Part1Result(
        output_min=float(arrays["output"].min()),
        output_max=float(arrays["output"].max()),
        l2_max=float(arrays["l2_loss"].max()),
        l2_min=float(arrays["l2_loss"].min()),
        ce_min=float(arrays["ce_loss"].min()),
        ce_max=float(arrays["ce_loss"].max()),
        ce_min_at_z=float(z[ce_min_index]),
        l2_grad_abs_max=float(l2_abs.max()),
        l2_grad_abs_max_at_z=float(abs(z[peak])),
        ce_grad_abs_max=float(ce_abs.max()),
        badly_wrong_fraction=float(badly_wrong.mean()),
        l2_vanishing_fraction=float((l2_abs[badly_wrong] < config.vanishing_threshold).mean()),
        ce_vanishing_fraction=float((ce_abs[badly_wrong] < config.vanishing_threshold).mean()),
        l2_grad_at_corner=float(l2_abs[-1, -1]),
        ce_grad_at_corner=float(ce_abs[-1, -1]),
        autograd_max_abs_error=autograd_error,
    )
