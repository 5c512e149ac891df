"""Part 2: XOR with a 2-2-1 perceptron (tanh hidden layer, sigmoid output), seen from the hidden layer.

Optimisation problem (Question 1): with x_i the four inputs and y_i their XOR labels,
    h_i = tanh(W1 x_i + b1),  y_hat_i = sigmoid(w2 . h_i + b2),
    minimise over (W1, b1, w2, b2):  L = -(1/4) sum_i [y_i log y_hat_i + (1 - y_i) log(1 - y_hat_i)].
Training is plain full-batch gradient descent in float64. Many networks (one per seed, with and
without activation, and every setting of the scan) are trained at once by keeping a leading "run"
dimension on every parameter: the runs never interact, so this is exactly R independent trainings
at the cost of one. Seeds that do not solve XOR are then examined (`stuck_seed_diagnostics`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ...store.storage import atomic_path
from ...toolkit.runtime import RunContext
from ...store.schema import from_data
from .config import Part2Config
from .export import course_check, save_xor_weights
from .geometry import decision_grid, region_structure, separable
from .network import (
    INPUTS,
    LABELS,
    PARAMETERS,
    flat_norm,
    forward,
    gradients,
    initial_parameters,
    per_run_loss,
    sigmoid,
    solved,
    train,
)
from .result import ARTIFACT, WEIGHTS, DecisionRegions, Part2Result, ScanRow, StuckSeed
from .study import _take, stuck_seed_diagnostics


@dataclass
class _Study:
    """One batch of trainings: the tanh runs of the study's seeds, the same starts without activation, the scan."""

    n: int  # seeds in the study
    settings: list[tuple[float, float]]  # the scan's (learning rate, initial scale), in batch order
    final: dict  # parameters after training, every run
    curve: np.ndarray  # (runs, steps + 1) loss curves
    outputs: np.ndarray  # (runs, 4) final outputs
    losses: np.ndarray  # (runs,) final losses
    ok: np.ndarray  # (runs,) solved
    tanh_snaps: list[dict]  # the snapshots of the study's tanh runs
    id_snaps: list[dict]  # the same without activation

    @property
    def tanh_rows(self) -> np.ndarray:
        return np.arange(self.n)

    @property
    def id_rows(self) -> np.ndarray:
        return np.arange(self.n, 2 * self.n)


def run(config: Part2Config, ctx: RunContext) -> Part2Result:
    snapshot_steps = tuple(s for s in config.snapshots if s <= config.steps)
    # The robustness study: seeds --seed, --seed + 1, ...; the reported network is the first of them that
    # solves XOR (so the saved network always passes the four-input check), usually --seed itself.
    seeds = [ctx.seed + k for k in range(max(1, config.robustness_seeds))]
    study = _train_study(config, seeds, snapshot_steps)
    tanh_final = _take(study.final, study.tanh_rows)
    reported = _reported_network(config, ctx.seed, seeds, snapshot_steps, study.ok[study.tanh_rows], tanh_final,
                                 study.id_snaps, study.tanh_snaps, study.final, study.outputs, study.losses, study.n)
    grid_axis, tanh_regions = _save_regions_and_curves(config, ctx, study, reported)
    model = save_xor_weights(reported["final"], reported["row"], ctx.artifact(WEIGHTS))
    stuck_rows = [int(r) for r in np.nonzero(~study.ok[study.tanh_rows])[0]]
    stuck = stuck_seed_diagnostics(config, seeds, tanh_final, study.tanh_snaps, stuck_rows, ctx.seed)
    return _result(config, ctx, seeds, snapshot_steps, study, reported, stuck, course_check(model),
                   grid_axis, tanh_regions)


def _train_study(config: Part2Config, seeds: list[int], snapshot_steps: tuple[int, ...]) -> _Study:
    """Every training of the part in one batch: tanh runs, the same starts without activation, then the scan."""
    n = len(seeds)
    settings = [(rate, std) for std in config.scan_init_stds for rate in config.scan_learning_rates]
    start = initial_parameters(seeds, config.init_std)
    starts = [start, start] + [initial_parameters(seeds, std) for _, std in settings]
    batch = {k: np.concatenate([s[k] for s in starts]) for k in PARAMETERS}
    tanh = np.array([True] * n + [False] * n + [True] * n * len(settings))
    rates = np.array([config.learning_rate] * 2 * n + [rate for rate, _ in settings for _ in seeds])
    final, snapshots, curve = train(batch, tanh, rates, config.steps, snapshot_steps)
    _, logits = forward(final, INPUTS, tanh)
    outputs = sigmoid(logits)
    # A diverged run (NaN outputs) compares False everywhere: it counts as unsolved.
    return _Study(n=n, settings=settings, final=final, curve=curve, outputs=outputs, losses=per_run_loss(logits),
                  ok=solved(outputs, config.confident), tanh_snaps=_snapshot_rows(snapshots, slice(0, n)),
                  id_snaps=_snapshot_rows(snapshots, slice(n, 2 * n)))


def _save_regions_and_curves(config: Part2Config, ctx: RunContext, study: _Study, reported: dict):
    """The figures' arrays (decision regions per snapshot, loss curves) in part2.npz: (grid axis, tanh regions)."""
    row, n = reported["row"], study.n
    # Loss curves with the reported run first (the figure draws row 0 in colour), then the study's seeds.
    if reported["curves"] is None:
        order = [row] + [k for k in range(n) if k != row]
        tanh_curves, identity_curves = study.curve[study.tanh_rows][order], study.curve[study.id_rows][order]
    else:
        tanh_curves = np.vstack([reported["curves"][0][None], study.curve[study.tanh_rows]])
        identity_curves = np.vstack([reported["curves"][1][None], study.curve[study.id_rows]])
    grid_axis = np.linspace(-0.5, 1.5, config.grid_points)
    tanh_regions = np.stack([decision_grid(s, row, True, config.grid_points) for s in reported["tanh_snaps"]])
    identity_regions = np.stack([decision_grid(s, row, False, config.grid_points) for s in reported["identity_snaps"]])
    with atomic_path(ctx.artifact(ARTIFACT)) as tmp:
        with open(tmp, "wb") as handle:
            np.savez_compressed(
                handle,
                grid_axis=grid_axis,
                tanh_regions=tanh_regions,
                identity_regions=identity_regions,
                tanh_loss_curves=tanh_curves.astype(np.float32),  # (curves, steps + 1); row 0: the reported seed
                identity_loss_curves=identity_curves.astype(np.float32),
            )
    return grid_axis, tanh_regions


def _result(config: Part2Config, ctx: RunContext, seeds: list[int], snapshot_steps: tuple[int, ...], study: _Study,
            reported: dict, stuck: list[dict], check_outputs: list[float], grid_axis, tanh_regions) -> Part2Result:
    row, tanh_rows, id_rows, ok = reported["row"], study.tanh_rows, study.id_rows, study.ok
    r_tanh_snaps, r_id_snaps = reported["tanh_snaps"], reported["identity_snaps"]
    scan_ok = ok[2 * study.n:].reshape(len(study.settings), study.n)
    scan = [{"learning_rate": rate, "init_std": std, "solved": int(scan_ok[i].sum()), "seeds": study.n}
            for i, (rate, std) in enumerate(study.settings)]
    solved_rows = np.nonzero(ok[tanh_rows])[0]
    grad_norm_end = flat_norm(gradients(_take(study.final, tanh_rows)))

    def per_snapshot(snaps, key):
        return [s[key][row].tolist() for s in snaps]

    hidden_at, outputs_at = per_snapshot(r_tanh_snaps, "hidden"), per_snapshot(r_tanh_snaps, "outputs")
    return Part2Result(
        learning_rate=config.learning_rate,
        steps=config.steps,
        reported_seed=reported["seed"],
        seeds_tried=reported["seed"] - ctx.seed + 1,
        final_loss=reported["loss"],
        final_outputs=reported["outputs"],
        solved=reported["solved"],
        identity_final_loss=reported["identity_loss"],
        identity_final_outputs=reported["identity_outputs"],
        identity_solved=reported["identity_solved"],
        best_linear_loss=math.log(2.0),
        snapshot_steps=list(snapshot_steps),
        snapshot_loss=[float(s["loss"][row]) for s in r_tanh_snaps],
        snapshot_hidden=hidden_at,
        snapshot_w2=per_snapshot(r_tanh_snaps, "w2"),
        snapshot_b2=[float(s["b2"][row]) for s in r_tanh_snaps],
        snapshot_outputs=outputs_at,
        identity_snapshot_hidden=per_snapshot(r_id_snaps, "hidden"),
        identity_snapshot_w2=per_snapshot(r_id_snaps, "w2"),
        identity_snapshot_b2=[float(s["b2"][row]) for s in r_id_snaps],
        robustness_seeds=seeds,
        robustness_tanh_solved=ok[tanh_rows].tolist(),
        robustness_tanh_loss=study.losses[tanh_rows].tolist(),
        robustness_identity_solved=ok[id_rows].tolist(),
        robustness_identity_loss=study.losses[id_rows].tolist(),
        scan=from_data(list[ScanRow], scan),
        course_check_outputs=check_outputs,
        course_check_pass=[abs(o - y) <= 0.01 for o, y in zip(check_outputs, LABELS.tolist())],
        solved_grad_norm_median=float(np.median(grad_norm_end[solved_rows])) if len(solved_rows) else float("nan"),
        stuck=from_data(list[StuckSeed], stuck),
        snapshot_separable=[separable(np.array(h)) for h in hidden_at],
        snapshot_classified=[bool(np.all((np.array(o) > 0.5) == LABELS.astype(bool))) for o in outputs_at],
        initial_hidden_max_abs=float(np.abs(np.array(hidden_at[0])).max()),
        final_regions=from_data(DecisionRegions, region_structure(tanh_regions[-1], grid_axis)),
    )


def _reported_network(config: Part2Config, seed: int, seeds: list[int], snapshot_steps: tuple[int, ...],
                      tanh_ok: np.ndarray, tanh_final, id_snaps, tanh_snaps, final, outputs, losses, n: int) -> dict:
    """The first seed from `seed` on whose tanh network solves XOR, with what the report shows of it.

    Usually one of the study's seeds (row `row` of its batch); if none of them solves XOR, further batches of
    seeds are trained (with and without activation, snapshots recorded) until one does, at most
    `extra_seed_batches` of them. The loss curves put the reported seed first, then the study's seeds.
    """
    def pick(row, row_seed, tanh_snaps, identity_snaps, final, outputs, losses, curves) -> dict:
        """What the report shows of tanh run `row` (identity run `n + row`) of a batch."""
        return {
            "row": row, "seed": row_seed, "tanh_snaps": tanh_snaps, "identity_snaps": identity_snaps, "final": final,
            "loss": float(losses[row]), "outputs": outputs[row].tolist(),
            "solved": bool(solved(outputs[row][None], config.confident)[0]),
            "identity_loss": float(losses[n + row]), "identity_outputs": outputs[n + row].tolist(),
            "identity_solved": bool(solved(outputs[n + row][None], config.confident)[0]),
            "curves": curves,  # None: the study's own curves, with this row moved first
        }

    solved_rows = np.nonzero(tanh_ok)[0]
    if len(solved_rows):
        row = int(solved_rows[0])
        return pick(row, seeds[row], tanh_snaps, id_snaps, tanh_final, outputs, losses, None)
    for batch_number in range(1, config.extra_seed_batches + 1):
        extra_seeds = [seed + batch_number * n + k for k in range(n)]
        start = initial_parameters(extra_seeds, config.init_std)
        both = {k: np.concatenate([start[k], start[k]]) for k in PARAMETERS}
        tanh = np.array([True] * n + [False] * n)
        extra_final, snaps, extra_curve = train(both, tanh, config.learning_rate, config.steps, snapshot_steps)
        _, logits = forward(extra_final, INPUTS, tanh)
        extra_outputs, extra_losses = sigmoid(logits), per_run_loss(logits)
        extra_ok = solved(extra_outputs, config.confident)[:n]
        if extra_ok.any() or batch_number == config.extra_seed_batches:
            row = int(np.nonzero(extra_ok)[0][0]) if extra_ok.any() else 0
            return pick(row, extra_seeds[row], _snapshot_rows(snaps, slice(0, n)), _snapshot_rows(snaps, slice(n, 2 * n)),
                        _take(extra_final, np.arange(n)), extra_outputs, extra_losses,
                        (extra_curve[row], extra_curve[n + row]))  # put before the study's curves
    raise AssertionError("unreachable")


def _snapshot_rows(snapshots: list[dict], rows) -> list[dict]:
    """The snapshots of some runs of a batch: each (R, ...) array cut to `rows`, scalars (the step) kept."""
    return [{k: (v[rows] if isinstance(v, np.ndarray) else v) for k, v in snap.items()} for snap in snapshots]
