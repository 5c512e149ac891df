"""The 2-2-1 XOR perceptron in NumPy, many runs at once (a leading run dimension on every parameter), and its trainer."""

from __future__ import annotations

import numpy as np

from ...lazy import torch

INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2)
LABELS = np.array([0.0, 1.0, 1.0, 0.0])  # XOR
SATURATED = 0.99  # |h| above this: the tanh unit is saturated on that input (its slope 1 - h^2 < 0.02)
PARAMETERS = ("W1", "b1", "w2", "b2")


def initial_parameters(seeds: list[int], std: float) -> dict[str, np.ndarray]:
    """XorNet-shaped parameters for each seed, stacked on a leading run dimension (float64).

    Drawn with torch's generator so a seed gives the same network as `torch.manual_seed` would.
    """
    per_seed = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        per_seed.append({
            "W1": torch.randn(2, 2, generator=generator, dtype=torch.float64) * std,  # (out, in)
            "b1": torch.randn(2, generator=generator, dtype=torch.float64) * std,
            "w2": torch.randn(2, generator=generator, dtype=torch.float64) * std,
            "b2": torch.randn((), generator=generator, dtype=torch.float64) * std,
        })
    return {name: torch.stack([p[name] for p in per_seed]).numpy() for name in PARAMETERS}


def forward(params: dict[str, np.ndarray], x: np.ndarray, tanh: np.ndarray | bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Hidden activations (R, N, 2) and output logits (R, N) of R networks on inputs x (N, 2).

    `tanh` is one flag or one per run (R,): False means no hidden activation (identity).
    """
    pre = params["W1"] @ x.T + params["b1"][:, :, None]  # (R, 2, N)
    tanh = np.broadcast_to(np.asarray(tanh), pre.shape[:1])[:, None, None]
    hidden = np.where(tanh, np.tanh(pre), pre)
    logits = np.einsum("ri,rin->rn", params["w2"], hidden) + params["b2"][:, None]
    return hidden.transpose(0, 2, 1), logits


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + exp(-z)), without overflow for large |z|


def per_run_loss(logits: np.ndarray) -> np.ndarray:
    """Mean binary cross-entropy over the four points, per run: (R, 4) logits -> (R,).

    BCE with logits, log(1 + e^z) - y z, written with logaddexp so saturated outputs stay finite.
    """
    return (np.logaddexp(0.0, logits) - LABELS * logits).mean(axis=1)


def gradients(params: dict[str, np.ndarray], tanh: np.ndarray | bool = True) -> dict[str, np.ndarray]:
    """Gradient of each run's mean cross-entropy with respect to its own parameters (hand-derived).

    With p = sigmoid(z): dL/dz_n = (p_n - y_n) / 4; z_n = w2 . h_n + b2; h = tanh(pre), dh/dpre = 1 - h^2
    (1 for the identity); pre = W1 x_n + b1. Checked against autograd in tests/test_part2.py.
    """
    hidden, logits = forward(params, INPUTS, tanh)  # (R, 4, 2), (R, 4)
    dz = (sigmoid(logits) - LABELS) / len(LABELS)  # (R, 4)
    slope = np.where(np.broadcast_to(np.asarray(tanh), dz.shape[:1])[:, None, None], 1.0 - hidden**2, 1.0)
    dpre = dz[:, :, None] * params["w2"][:, None, :] * slope  # (R, 4, 2)
    return {
        "W1": np.einsum("rni,nj->rij", dpre, INPUTS),
        "b1": dpre.sum(axis=1),
        "w2": np.einsum("rn,rni->ri", dz, hidden),
        "b2": dz.sum(axis=1),
    }


def flat_norm(arrays: dict[str, np.ndarray]) -> np.ndarray:
    """L2 norm over all 9 parameters of each run: dict of (R, ...) arrays -> (R,)."""
    return np.sqrt(sum((a.reshape(len(a), -1) ** 2).sum(axis=1) for a in arrays.values()))


def train(params: dict[str, np.ndarray], tanh: np.ndarray | bool, learning_rate: float | np.ndarray, steps: int,
          snapshot_steps: tuple[int, ...] = (), record_loss: bool = True
          ) -> tuple[dict[str, np.ndarray], list[dict], np.ndarray | None]:
    """Full-batch gradient descent on R independent networks at once, in float64 NumPy.

    Each run's update uses only its own gradient, so this is R separate trainings; one batch costs
    about what one run costs (at this size each operation's overhead dominates its arithmetic, which
    is why this is NumPy with hand-written gradients and not torch autograd: about 10x faster here).
    `tanh` and `learning_rate` are one value or one per run (R,). Snapshots are taken *before* the
    update of the given steps. Returns the final parameters, the snapshots, and the loss of every run
    before every step, (R, steps + 1) (None unless `record_loss`).
    """
    params = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    runs = len(params["b2"])
    rate = np.broadcast_to(np.asarray(learning_rate, dtype=np.float64), (runs,))
    tanh_runs = np.broadcast_to(np.asarray(tanh), (runs,))
    is_tanh = tanh_runs[:, None, None]
    W1, b1, w2, b2 = (params[k] for k in PARAMETERS)
    x_t = INPUTS.T.copy()  # (2, 4)
    wanted = set(snapshot_steps)
    snapshots = []
    curve = np.empty((runs, steps + 1)) if record_loss else None
    for step in range(steps + 1):
        # The body of `gradients`, inlined with the (R, 2, 4) layout that needs no transposes.
        pre = W1 @ x_t + b1[:, :, None]
        hidden = np.where(is_tanh, np.tanh(pre), pre)  # (R, 2, 4)
        logits = np.einsum("ri,rin->rn", w2, hidden) + b2[:, None]  # (R, 4)
        if record_loss:
            curve[:, step] = per_run_loss(logits)
        if step in wanted:
            grads = gradients(params, tanh_runs)
            snapshots.append({
                "step": step,
                "loss": per_run_loss(logits),
                "hidden": hidden.transpose(0, 2, 1).copy(),  # (R, 4, 2)
                "outputs": sigmoid(logits),
                "grad_norm": flat_norm(grads),
                "weight_norm": flat_norm(params),
                "saturation": (np.abs(hidden) > SATURATED).mean(axis=(1, 2)) * tanh_runs,
                **{k: v.copy() for k, v in params.items()},
            })
        if step == steps:
            break
        dz = (sigmoid(logits) - LABELS) * (rate[:, None] / len(LABELS))  # learning rate folded in
        dpre = w2[:, :, None] * dz[:, None, :] * np.where(is_tanh, 1.0 - hidden * hidden, 1.0)  # (R, 2, 4)
        w2 -= np.einsum("rin,rn->ri", hidden, dz)
        b2 -= dz.sum(axis=1)
        W1 -= dpre @ INPUTS
        b1 -= dpre.sum(axis=2)
    return params, snapshots, curve


def solved(outputs: np.ndarray, confident: float) -> np.ndarray:
    """(R, 4) outputs -> (R,) bool: every point on its correct side with margin."""
    return np.where(LABELS.astype(bool), outputs > confident, outputs < 1 - confident).all(axis=1)
