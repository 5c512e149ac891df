"""Part 2: gradient descent solves XOR with tanh; without an activation it cannot."""

import math

import numpy as np
import torch

from hw1.models import XorNet
from hw1.part2_xor import INPUTS, LABELS, Part2Config, forward, initial_parameters, run, solved, train
from hw1.results_store import StoredPart
from hw1.runtime import RunContext


def test_gradient_descent_solves_xor_and_loss_falls():
    params = initial_parameters([0], std=0.5)
    final, snapshots, curve = train(params, "tanh", learning_rate=2.0, steps=3000, snapshot_steps=(0, 100, 3000))
    _, logits = forward(final, INPUTS, "tanh")
    outputs = torch.sigmoid(logits)[0]
    assert bool(solved(outputs[None], 0.9)[0]), outputs
    assert curve[0, -1] < 0.05 < curve[0, 0]
    assert [s["step"] for s in snapshots] == [0, 100, 3000]
    assert snapshots[0]["hidden"].shape == (1, 4, 2)


def test_network_without_activation_cannot_beat_log2():
    params = initial_parameters(list(range(8)), std=0.5)
    final, _, curve = train(params, "identity", learning_rate=2.0, steps=3000)
    _, logits = forward(final, INPUTS, "identity")
    outputs = torch.sigmoid(logits)
    assert not solved(outputs, 0.9).any()
    # Convex problem with its optimum at v = 0, c = 0: every output 0.5 and loss log 2, never below.
    assert (curve >= math.log(2) - 1e-9).all()
    torch.testing.assert_close(outputs, torch.full_like(outputs, 0.5), atol=1e-3, rtol=0)


def test_runs_are_independent_when_batched():
    both = initial_parameters([3, 4], std=0.5)
    alone = initial_parameters([4], std=0.5)
    final_both, _, _ = train(both, "tanh", 2.0, 200)
    final_alone, _, _ = train(alone, "tanh", 2.0, 200)
    for name in final_both:
        torch.testing.assert_close(final_both[name][1], final_alone[name][0])


def test_run_result_snapshots_weights_and_figures(tmp_path):
    from hw1.figures import draw_part2

    config = Part2Config.preset(quick=True)
    ctx = RunContext(device=torch.device("cpu"), seed=0, out_dir=tmp_path, data_dir=tmp_path)
    result = run(config, ctx)
    count = len(config.snapshots)
    assert np.shape(result.snapshot_hidden) == (count, 4, 2)
    assert np.shape(result.snapshot_w2) == (count, 2)
    assert len(result.snapshot_b2) == len(result.snapshot_loss) == count
    assert len(result.final_outputs) == 4 and result.solved
    assert len(result.robustness_tanh_solved) == config.robustness_seeds
    # Saved weights reload into the package's module and reproduce the final outputs.
    model = XorNet("tanh").double()
    model.load_state_dict(torch.load(tmp_path / "artifacts" / result.weights, weights_only=True))
    torch.testing.assert_close(model.probability(INPUTS), torch.tensor(result.final_outputs, dtype=torch.float64))
    assert LABELS.tolist() == [0, 1, 1, 0]
    stored = StoredPart("part2", "k", config, result, 0, "cpu", 1.0, "now")
    figures = draw_part2(stored, tmp_path / "artifacts", tmp_path / "figures")
    assert set(figures) == {"hidden", "input", "loss"}
    for figure in figures.values():
        assert (tmp_path / figure.path).stat().st_size > 10_000


def test_per_run_learning_rates_equal_separate_trainings():
    params = initial_parameters([0, 0], std=0.5)
    together, _, _ = train(params, "tanh", torch.tensor([1.0, 3.0], dtype=torch.float64), 300)
    for index, rate in enumerate((1.0, 3.0)):
        alone, _, _ = train(initial_parameters([0], std=0.5), "tanh", rate, 300)
        for name in alone:
            torch.testing.assert_close(together[name][index], alone[name][0])
