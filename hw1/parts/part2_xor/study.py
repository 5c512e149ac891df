"""Why some seeds do not solve XOR: curvature (Hessian) and the stuck seeds' diagnostics."""

from __future__ import annotations

import numpy as np

from ...lazy import torch
from .config import Part2Config
from .network import (
    INPUTS,
    LABELS,
    PARAMETERS,
    flat_norm,
    forward,
    gradients,
    per_run_loss,
    sigmoid,
    solved,
    train,
)


def _take(params: dict[str, np.ndarray], rows) -> dict[str, np.ndarray]:
    return {k: v[rows] for k, v in params.items()}


def hessian_eigenvalues(params: dict[str, np.ndarray], run: int) -> np.ndarray:
    """Eigenvalues (ascending) of the 9x9 Hessian of the mean cross-entropy at one run's parameters.

    By torch autograd in float64: a strict local minimum needs all of them > 0.
    """
    shapes = {k: params[k][run].shape for k in PARAMETERS}
    flat = torch.tensor(np.concatenate([params[k][run].reshape(-1) for k in PARAMETERS]))
    inputs, labels = torch.tensor(INPUTS), torch.tensor(LABELS)

    def loss(theta: torch.Tensor) -> torch.Tensor:
        parts, offset = {}, 0
        for k in PARAMETERS:
            size = int(np.prod(shapes[k]))
            parts[k] = theta[offset:offset + size].reshape(shapes[k])
            offset += size
        hidden = torch.tanh(inputs @ parts["W1"].T + parts["b1"])
        logits = hidden @ parts["w2"] + parts["b2"]
        return torch.nn.functional.binary_cross_entropy_with_logits(logits, labels)

    hessian = torch.autograd.functional.hessian(loss, flat)
    return torch.linalg.eigvalsh(hessian).numpy()


def stuck_seed_diagnostics(config: Part2Config, seeds: list[int], tanh_final: dict[str, np.ndarray],
                           tanh_snaps: list[dict], stuck_rows: list[int], seed: int) -> list[dict]:
    """What the seeds that did not solve XOR are stuck in, measured.

    For each: loss, gradient norm, weight norm and hidden-unit saturation at every snapshot; the
    Hessian's extreme eigenvalues at the end; and whether `escape_steps` more steps, or a small
    random nudge followed by the same continuation, reach a solution.
    """
    if not stuck_rows:
        return []
    rng = np.random.default_rng(seed)
    plain = _take(tanh_final, stuck_rows)
    nudged = {k: np.repeat(v, config.nudges, axis=0) for k, v in plain.items()}
    nudged = {k: v + rng.normal(0.0, config.nudge_std, v.shape) for k, v in nudged.items()}
    together = {k: np.concatenate([plain[k], nudged[k]]) for k in PARAMETERS}
    final, _, _ = train(together, True, config.learning_rate, config.escape_steps, record_loss=False)
    _, logits = forward(final, INPUTS, True)
    outputs = sigmoid(logits)
    ok, loss, grad = solved(outputs, config.confident), per_run_loss(logits), flat_norm(gradients(final))
    weight = flat_norm(final)
    diagnostics = []
    for k, row in enumerate(stuck_rows):
        eigen = hessian_eigenvalues(tanh_final, row)
        copies = slice(len(stuck_rows) + k * config.nudges, len(stuck_rows) + (k + 1) * config.nudges)
        diagnostics.append({
            "seed": seeds[row],
            "loss": [float(s["loss"][row]) for s in tanh_snaps],  # at the snapshot steps
            "grad_norm": [float(s["grad_norm"][row]) for s in tanh_snaps],
            "weight_norm": [float(s["weight_norm"][row]) for s in tanh_snaps],
            "saturation": [float(s["saturation"][row]) for s in tanh_snaps],
            "outputs": sigmoid(forward(_take(tanh_final, [row]), INPUTS)[1])[0].tolist(),  # after `steps`
            "grad_shrinking": bool(tanh_snaps[-1]["grad_norm"][row] < tanh_snaps[-2]["grad_norm"][row]),  # last two snapshots
            "weight_growing": bool(tanh_snaps[-1]["weight_norm"][row] > tanh_snaps[-2]["weight_norm"][row]),
            "hessian_min_eigenvalue": float(eigen[0]),
            "hessian_max_eigenvalue": float(eigen[-1]),
            "longer_loss": float(loss[k]),
            "longer_grad_norm": float(grad[k]),
            "longer_weight_norm": float(weight[k]),
            "longer_solved": bool(ok[k]),
            "nudges_solved": int(ok[copies].sum()),
            "nudges_best_loss": float(loss[copies].min()),
        })
    return diagnostics
