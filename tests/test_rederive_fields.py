"""Smaller fields the report prints, each tied to what it is made of by code written here: Part 1's extremes of
the surfaces, Part 3's parameter and image counts and its training curves' bookkeeping, Part 4's fine-tuning
steps (and the recipe's loop, spied on), Part 5's guard record. The big numbers are in test_rederive*.py."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers import report_folder, report_parts

pytestmark = pytest.mark.slow  # reads the quick run of every part


@pytest.fixture(scope="module")
def run(request):
    """(report folder, results.json's parts): of the session's quick run, or of $HW1_REPORT_DIR."""
    out = report_folder(request)
    return out, report_parts(out)


def test_part1_extremes_of_the_surfaces_from_the_formulas(run):
    """1.1's caption (the output's range) and 1.2/1.4's grid extremes of both losses, from sigma(w x + b)."""
    _, parts = run
    c, r = parts["part1"]["config"], parts["part1"]["result"]
    axis = np.linspace(-c["half_range"], c["half_range"], c["grid_points"])
    w, b = np.meshgrid(axis, axis)
    s = 1.0 / (1.0 + np.exp(-(w * c["x"] + b)))
    l2 = (s - c["y"]) ** 2
    ce = -(c["y"] * np.log(s) + (1 - c["y"]) * np.log(1 - s))
    for key, value in (("output_min", s.min()), ("output_max", s.max()), ("l2_min", l2.min()), ("l2_max", l2.max()),
                       ("ce_min", ce.min()), ("ce_max", ce.max())):
        assert r[key] == pytest.approx(float(value), rel=1e-9, abs=1e-12), key


def test_part3_counts_are_the_networks_and_the_configs(run):
    """3.1's parameter count (trainable parameters of cnn.pt, not BatchNorm's running statistics) and 3.2's number
    of training images."""
    out, parts = run
    c, r = parts["part3"]["config"], parts["part3"]["result"]
    weights = torch.load(out / "artifacts" / "cnn.pt", weights_only=True)
    trainable = sum(v.numel() for k, v in weights.items() if not k.endswith(("running_mean", "running_var",
                                                                               "num_batches_tracked")))
    assert r["total_parameters"] == trainable == sum(row["parameters"] for row in r["architecture"]) == 115_690
    assert r["train_images"] == (c["train_subset"] or 60_000)
    assert r["test_images"] == (c["test_subset"] or 10_000)


def test_part3_training_curves_bookkeeping(run):
    """Every batch accuracy is a share of a batch, each epoch's training accuracy is the mean of its batches, the
    last test evaluation is the reported one, and "first reached 99% after X epochs" is the first evaluation at 99%."""
    _, parts = run
    c, r = parts["part3"]["config"], parts["part3"]["result"]
    h = r["history"]
    per_epoch = h["iterations_per_epoch"]
    assert len(h["iteration_accuracy"]) == len(h["iteration_loss"]) == per_epoch * len(h["epoch_train_accuracy"])
    # Each epoch's batches are full but its last, which holds what is left (a full run: 60,000 = 468 x 128 + 96).
    last = r["train_images"] - (per_epoch - 1) * c["batch_size"]
    assert 0 < last <= c["batch_size"]
    for i, accuracy in enumerate(h["iteration_accuracy"]):
        size = last if i % per_epoch == per_epoch - 1 else c["batch_size"]
        assert 0 <= accuracy <= 1 and accuracy * size == pytest.approx(round(accuracy * size), abs=1e-3), (i, size)
    for epoch, accuracy in enumerate(h["epoch_train_accuracy"]):
        batches = h["iteration_accuracy"][epoch * per_epoch:(epoch + 1) * per_epoch]
        assert accuracy == pytest.approx(float(np.mean(batches)), rel=1e-6), epoch
    assert h["test_loss"][-1] == pytest.approx(r["test_loss"], abs=1e-6)
    assert h["test_accuracy"][-1] == pytest.approx(r["test_accuracy"], abs=1e-6)
    first = next((k for k, a in enumerate(h["test_accuracy"]) if a >= 0.99), None)
    assert h["epochs_to_99"] == (None if first is None else pytest.approx(h["eval_epoch"][first]))
    assert (h["seconds_to_99"] is None) == (first is None)


def test_part4_fine_tuning_steps_are_full_batches_of_the_training_set(run):
    _, parts = run
    g = parts["part4"]["result"]["retraining"]
    images = g["clean_in_training"] + g["adversarial_untargeted_in_training"] + g["adversarial_targeted_in_training"]
    assert g["steps"] == g["epochs"] * (images // g["batch_size"])
    assert g["control_clean_in_training"] == images  # the control sees as many images, all clean


def test_finetune_takes_one_step_per_full_batch_in_train_mode():
    """The fine-tuning recipe of 4.3 (b), spied on: one optimiser step per full batch and epoch (the incomplete
    last batch dropped), BatchNorm in train mode at every forward (its running statistics move), eval mode after."""
    from hw1.parts.part4_adversarial.config import Part4Config
    from hw1.parts.part4_adversarial.retraining import finetune
    from hw1.toolkit.models import Table1CNN

    torch.manual_seed(0)
    initial = Table1CNN().state_dict()
    config = Part4Config(finetune_batch_size=32, finetune_epochs=2)
    images, labels = torch.rand(100, 1, 28, 28) * 2 - 1, torch.randint(0, 10, (100,))
    modes, steps = [], []
    original_forward, original_step = Table1CNN.forward, torch.optim.Adam.step

    def forward(self, x):
        modes.append(self.training)
        return original_forward(self, x)

    def step(self, *args, **kwargs):
        steps.append(1)
        return original_step(self, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Table1CNN, "forward", forward)
        patch.setattr(torch.optim.Adam, "step", step)
        model, total = finetune(initial, images, labels, config, torch.device("cpu"), seed=0)
    assert total == len(steps) == 2 * (100 // 32) == 6
    assert modes == [True] * 6 and not model.training
    bn = next(k for k in initial if k.endswith("running_mean"))
    assert not torch.equal(model.state_dict()[bn].cpu(), initial[bn])


def test_part5_guard_record_is_one_check_per_epoch_at_the_headline_budget(run):
    _, parts = run
    if "part5" not in parts:
        pytest.skip("no Part 5 in this report")
    c, guard = parts["part5"]["config"], parts["part5"]["result"]["guard"]
    assert (guard["budget"], guard["steps"], guard["images"], guard["collapse"]) == (
        c["robust_headline"], c["guard_steps"], c["guard_images"], c["guard_collapse"])
    assert len(guard["history"]) == guard["epochs_trained"] <= c["defence_epochs"]
    assert all(0 <= value <= 1 for value in guard["history"])
    h = guard["history"]  # collapsed: a check fell more than `collapse` below the best check before it
    assert guard["collapsed"] == any(h[k] < max(h[:k]) - guard["collapse"] for k in range(1, len(h)))


def test_part2_stuck_seeds_diagnostics_rederived_by_training_again(run):
    """2.3's table of the seeds that fail: at every snapshot their loss, gradient norm (all 9 parameters), weight
    norm and share of saturated (input, hidden unit) pairs, then the same after `escape_steps` more steps, each from
    the test's own gradient descent (test_rederive.py)."""
    from test_rederive import _bce, _xor_descend, _xor_forward, _xor_gradients, _xor_start, _solves

    _, parts = run
    c, r = parts["part2"]["config"], parts["part2"]["result"]
    assert r["stuck"], "no seed failed in this run: the table is empty"
    norm = lambda p: float(np.sqrt(sum(np.sum(np.square(v)) for v in p.values())))  # noqa: E731
    for seed in r["stuck"]:
        p, done = _xor_start(seed["seed"], c["init_std"]), 0
        for k, step in enumerate(r["snapshot_steps"]):
            p, done = _xor_descend(p, c["learning_rate"], step - done, True), step
            hidden, outputs = _xor_forward(p, True)
            assert seed["loss"][k] == pytest.approx(_bce(outputs), rel=1e-7), (seed["seed"], step)
            assert seed["grad_norm"][k] == pytest.approx(norm(_xor_gradients(p, True)), rel=1e-5), (seed["seed"], step)
            assert seed["weight_norm"][k] == pytest.approx(norm(p), rel=1e-7), (seed["seed"], step)
            assert seed["saturation"][k] == pytest.approx(float(np.mean(np.abs(hidden) > 0.99))), (seed["seed"], step)
        np.testing.assert_allclose(seed["outputs"], _xor_forward(p, True)[1], rtol=1e-7, atol=1e-9)
        longer = _xor_descend(p, c["learning_rate"], c["escape_steps"], True)
        outputs = _xor_forward(longer, True)[1]
        assert seed["longer_loss"] == pytest.approx(_bce(outputs), rel=1e-6), seed["seed"]
        assert seed["longer_grad_norm"] == pytest.approx(norm(_xor_gradients(longer, True)), rel=1e-4), seed["seed"]
        assert seed["longer_weight_norm"] == pytest.approx(norm(longer), rel=1e-6), seed["seed"]
        assert seed["longer_solved"] == _solves(outputs, c["confident"]), seed["seed"]
