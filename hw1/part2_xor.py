"""Part 2: XOR with a 2-2-1 perceptron (tanh hidden layer, sigmoid output), seen from the hidden layer.

Optimisation problem (Question 1): with x_i the four inputs and y_i their XOR labels,
    h_i = tanh(W1 x_i + b1),  y_hat_i = sigmoid(w2 . h_i + b2),
    minimise over (W1, b1, w2, b2):  L = -(1/4) sum_i [y_i log y_hat_i + (1 - y_i) log(1 - y_hat_i)].
Training is plain full-batch gradient descent in float64. Many networks (one per seed) are trained
at once by keeping a leading "run" dimension on every parameter: the runs never interact, so this
is exactly S independent trainings at the cost of one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from .models import XorNet
from .runtime import RunContext
from .storage import atomic_path

ARTIFACT = "part2.npz"
WEIGHTS = "xor_tanh.pt"
INPUTS = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]], dtype=torch.float64)  # (4, 2)
LABELS = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=torch.float64)  # XOR


@dataclass(frozen=True)
class Part2Config:
    learning_rate: float = 2.0
    steps: int = 10_000
    init_std: float = 0.5  # every weight and bias starts as N(0, init_std^2)
    snapshots: tuple[int, ...] = (0, 10, 30, 100, 300, 1000, 3000, 10_000)
    confident: float = 0.9  # "solved": output > confident on label 1, < 1 - confident on label 0
    robustness_seeds: int = 20
    grid_points: int = 81  # resolution of the input-plane decision regions
    scan_learning_rates: tuple[float, ...] = (1.0, 2.0, 4.0)  # the scan behind the chosen learning rate
    scan_init_stds: tuple[float, ...] = (0.5, 1.0)  # ... and initial scale (same seeds, same budget)

    @classmethod
    def preset(cls, quick: bool) -> "Part2Config":
        if quick:
            return cls(steps=2000, snapshots=(0, 10, 100, 1000, 2000), robustness_seeds=5, grid_points=41)
        return cls()


@dataclass
class Part2Result:
    learning_rate: float
    steps: int
    final_loss: float
    final_outputs: list[float]  # sigmoid output on (0,0), (0,1), (1,0), (1,1)
    solved: bool
    identity_final_loss: float
    identity_final_outputs: list[float]
    identity_solved: bool
    best_linear_loss: float  # log 2: the lowest loss any affine model reaches on XOR
    snapshot_steps: list[int]
    snapshot_loss: list[float]
    snapshot_hidden: list[list[list[float]]]  # (S, 4, 2): (h1, h2) of each input at each snapshot
    snapshot_w2: list[list[float]]  # (S, 2) output-layer weights
    snapshot_b2: list[float]  # (S,) output-layer bias
    snapshot_outputs: list[list[float]]  # (S, 4)
    identity_snapshot_hidden: list[list[list[float]]]
    identity_snapshot_w2: list[list[float]]
    identity_snapshot_b2: list[float]
    robustness_seeds: list[int]
    robustness_tanh_solved: list[bool]
    robustness_tanh_loss: list[float]
    robustness_identity_solved: list[bool]
    robustness_identity_loss: list[float]
    scan: list[dict]  # per (learning_rate, init_std): seeds that solve XOR with tanh
    artifact: str = ARTIFACT
    weights: str = WEIGHTS


def initial_parameters(seeds: list[int], std: float) -> dict[str, torch.Tensor]:
    """XorNet-shaped parameters for each seed, stacked on a leading run dimension (float64)."""
    per_seed = []
    for seed in seeds:
        generator = torch.Generator().manual_seed(seed)
        per_seed.append({
            "W1": torch.randn(2, 2, generator=generator, dtype=torch.float64) * std,  # (out, in)
            "b1": torch.randn(2, generator=generator, dtype=torch.float64) * std,
            "w2": torch.randn(2, generator=generator, dtype=torch.float64) * std,
            "b2": torch.randn((), generator=generator, dtype=torch.float64) * std,
        })
    return {name: torch.stack([p[name] for p in per_seed]) for name in per_seed[0]}


def forward(params: dict[str, torch.Tensor], x: torch.Tensor, activation: str) -> tuple[torch.Tensor, torch.Tensor]:
    """Hidden activations (R, N, 2) and output logits (R, N) of R networks on inputs x (N, 2)."""
    pre = torch.einsum("rij,nj->rni", params["W1"], x) + params["b1"][:, None, :]
    hidden = torch.tanh(pre) if activation == "tanh" else pre
    logits = torch.einsum("rni,ri->rn", hidden, params["w2"]) + params["b2"][:, None]
    return hidden, logits


def per_run_loss(logits: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy over the four points, per run: (R, 4) logits -> (R,)."""
    return F.binary_cross_entropy_with_logits(logits, LABELS.expand_as(logits), reduction="none").mean(dim=1)


def train(params: dict[str, torch.Tensor], activation: str, learning_rate: float | torch.Tensor, steps: int,
          snapshot_steps: tuple[int, ...] = ()) -> tuple[dict[str, torch.Tensor], list[dict], torch.Tensor]:
    """Full-batch gradient descent on every run at once; snapshots taken *before* the given steps' updates.

    Summing the per-run losses keeps the runs independent: each run's gradient is its own.
    `learning_rate` is one number, or one per run (R,).
    Returns the final parameters, one snapshot dict per entry of `snapshot_steps`, and the loss of
    every run before every step, (R, steps + 1).
    """
    params = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    rate = torch.as_tensor(learning_rate, dtype=torch.float64)
    # (R,) rates broadcast over each parameter's trailing dimensions.
    rates = {k: rate.reshape(-1, *[1] * (v.dim() - 1)) if rate.dim() else rate for k, v in params.items()}
    wanted = set(snapshot_steps)
    snapshots = []
    curve = []
    for step in range(steps + 1):
        hidden, logits = forward(params, INPUTS, activation)
        losses = per_run_loss(logits)
        curve.append(losses.detach())
        if step in wanted:
            snapshots.append({
                "step": step,
                "loss": losses.detach().clone(),
                "hidden": hidden.detach().clone(),
                "outputs": torch.sigmoid(logits).detach().clone(),
                **{k: v.detach().clone() for k, v in params.items()},
            })
        if step == steps:
            break
        grads = torch.autograd.grad(losses.sum(), list(params.values()))
        with torch.no_grad():
            for (name, p), g in zip(params.items(), grads):
                p -= rates[name] * g
    return {k: v.detach() for k, v in params.items()}, snapshots, torch.stack(curve, dim=1)


def solved(outputs: torch.Tensor, confident: float) -> torch.Tensor:
    """(R, 4) outputs -> (R,) bool: every point on its correct side with margin."""
    return torch.where(LABELS.bool(), outputs > confident, outputs < 1 - confident).all(dim=1)


def decision_grid(snapshot: dict, run: int, activation: str, points: int) -> np.ndarray:
    """Network output over a (points, points) grid of the input square [-0.5, 1.5]^2 (rows: x2)."""
    axis = torch.linspace(-0.5, 1.5, points, dtype=torch.float64)
    x1, x2 = torch.meshgrid(axis, axis, indexing="xy")
    grid = torch.stack([x1.reshape(-1), x2.reshape(-1)], dim=1)
    params = {k: snapshot[k][run:run + 1] for k in ("W1", "b1", "w2", "b2")}
    _, logits = forward(params, grid, activation)
    return torch.sigmoid(logits[0]).reshape(points, points).numpy()


def run(config: Part2Config, ctx: RunContext) -> Part2Result:
    snapshot_steps = tuple(s for s in config.snapshots if s <= config.steps)
    # Run 0 is the reported network (seed = --seed); the rest are the robustness study.
    seeds = [ctx.seed + k for k in range(max(1, config.robustness_seeds))]
    start = initial_parameters(seeds, config.init_std)
    results = {}
    for activation in ("tanh", "identity"):
        final, snapshots, curve = train(start, activation, config.learning_rate, config.steps, snapshot_steps)
        _, logits = forward(final, INPUTS, activation)
        results[activation] = (final, snapshots, curve, torch.sigmoid(logits), per_run_loss(logits))

    scan = scan_settings(config, seeds)
    tanh_final, tanh_snaps, tanh_curve, tanh_out, tanh_loss = results["tanh"]
    id_final, id_snaps, id_curve, id_out, id_loss = results["identity"]
    tanh_ok, id_ok = solved(tanh_out, config.confident), solved(id_out, config.confident)

    with atomic_path(ctx.artifact(ARTIFACT)) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(
                handle,
                grid_axis=np.linspace(-0.5, 1.5, config.grid_points),
                tanh_regions=np.stack([decision_grid(s, 0, "tanh", config.grid_points) for s in tanh_snaps]),
                identity_regions=np.stack([decision_grid(s, 0, "identity", config.grid_points) for s in id_snaps]),
                tanh_loss_curves=tanh_curve.float().numpy(),  # (seeds, steps + 1); row 0 is the reported run
                identity_loss_curves=id_curve.float().numpy(),
            )
    save_xor_weights(tanh_final, 0, ctx.artifact(WEIGHTS))

    def per_snapshot(snaps, key):
        return [s[key][0].tolist() for s in snaps]

    return Part2Result(
        learning_rate=config.learning_rate,
        steps=config.steps,
        final_loss=float(tanh_loss[0]),
        final_outputs=tanh_out[0].tolist(),
        solved=bool(tanh_ok[0]),
        identity_final_loss=float(id_loss[0]),
        identity_final_outputs=id_out[0].tolist(),
        identity_solved=bool(id_ok[0]),
        best_linear_loss=math.log(2.0),
        snapshot_steps=list(snapshot_steps),
        snapshot_loss=[float(s["loss"][0]) for s in tanh_snaps],
        snapshot_hidden=per_snapshot(tanh_snaps, "hidden"),
        snapshot_w2=per_snapshot(tanh_snaps, "w2"),
        snapshot_b2=[float(s["b2"][0]) for s in tanh_snaps],
        snapshot_outputs=per_snapshot(tanh_snaps, "outputs"),
        identity_snapshot_hidden=per_snapshot(id_snaps, "hidden"),
        identity_snapshot_w2=per_snapshot(id_snaps, "w2"),
        identity_snapshot_b2=[float(s["b2"][0]) for s in id_snaps],
        robustness_seeds=seeds,
        robustness_tanh_solved=tanh_ok.tolist(),
        robustness_tanh_loss=tanh_loss.tolist(),
        robustness_identity_solved=id_ok.tolist(),
        robustness_identity_loss=id_loss.tolist(),
        scan=scan,
    )


def scan_settings(config: Part2Config, seeds: list[int]) -> list[dict]:
    """How many seeds each (learning rate, initial scale) solves, all trained in one batch."""
    settings = [(rate, std) for std in config.scan_init_stds for rate in config.scan_learning_rates]
    starts = [initial_parameters(seeds, std) for _, std in settings]
    params = {name: torch.cat([start[name] for start in starts]) for name in starts[0]}
    rates = torch.tensor([rate for rate, _ in settings for _ in seeds], dtype=torch.float64)
    final, _, _ = train(params, "tanh", rates, config.steps)
    _, logits = forward(final, INPUTS, "tanh")
    # A diverged run (NaN outputs) compares False everywhere: it counts as unsolved.
    ok = solved(torch.sigmoid(logits), config.confident).reshape(len(settings), len(seeds))
    return [{"learning_rate": rate, "init_std": std, "solved": int(ok[i].sum()), "seeds": len(seeds)}
            for i, (rate, std) in enumerate(settings)]


def save_xor_weights(params: dict[str, torch.Tensor], run: int, path) -> None:
    """Save run `run` of stacked parameters as a state_dict loadable into models.XorNet('tanh')."""
    model = XorNet("tanh").double()
    with torch.no_grad():
        model.hidden.weight.copy_(params["W1"][run])
        model.hidden.bias.copy_(params["b1"][run])
        model.output.weight.copy_(params["w2"][run].unsqueeze(0))
        model.output.bias.copy_(params["b2"][run].reshape(1))
    with atomic_path(path) as tmp:
        torch.save(model.state_dict(), tmp)
