"""Every number of the front page's summary table, re-derived from the saved artifacts of the session's quick
run with code written here: the networks are loaded (the product's model classes give the architecture only),
evaluated on the split the report names, and recounted; Part 1's gradients come from the formulas, Part 2's
networks are trained again by a gradient descent written here. Never by calling the part's own code that
produced the number. What is handed in is checked to be what the report describes (xor_tanh.pt is the
network of the reported seed, model.pth is cnn.pt).

Part 4's success and transfer rates, Part 5's universal fooling rate and the defended network's robust
accuracy are re-derived the same way in test_part4_independent.py, test_part5.py and test_part5_robustness.py;
the PDF's summary rows are compared with them in test_report_numbers.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers import load_network

pytestmark = pytest.mark.slow  # reads the quick run of every part

XOR_INPUTS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
XOR_LABELS = np.array([0.0, 1.0, 1.0, 0.0])


@pytest.fixture(scope="module")
def saved(request):
    """(report folder, results.json's parts as plain dicts): the session's quick run, or the finished report
    in $HW1_REPORT_DIR (e.g. report/, to re-derive the real hand-in)."""
    out = (Path(os.environ["HW1_REPORT_DIR"]) if os.environ.get("HW1_REPORT_DIR")
           else request.getfixturevalue("quick_report")[0])
    return out, json.loads((out / "results.json").read_text())["parts"]


def _model_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """MNIST's uint8 digits on the assignment's [-1, 1] scale, written here: 0 -> -1, 255 -> 1."""
    return (images_uint8.to(torch.float32) / 127.5 - 1.0).unsqueeze(1)


# ---------------------------------------------------------------------------------------------- Part 1

def test_part1_largest_gradients_recomputed_from_the_formulas(saved):
    """Summary row 1: the largest |dL/dw| on the grid, L2 vs cross-entropy, from dL2/dw = 2 (s - y) s (1 - s) x
    and dCE/dw = (s - y) x on the grid the config names; the saved surfaces are these formulas too."""
    out, parts = saved
    c, r = parts["part1"]["config"], parts["part1"]["result"]
    axis = np.linspace(-c["half_range"], c["half_range"], c["grid_points"])
    w, b = np.meshgrid(axis, axis)  # rows: b, columns: w
    x, y = c["x"], c["y"]
    s = 1.0 / (1.0 + np.exp(-(w * x + b)))
    l2_grad, ce_grad = 2.0 * (s - y) * s * (1.0 - s) * x, (s - y) * x
    assert r["l2_grad_abs_max"] == pytest.approx(np.abs(l2_grad).max(), rel=1e-9)
    assert r["ce_grad_abs_max"] == pytest.approx(np.abs(ce_grad).max(), rel=1e-9)
    assert r["l2_grad_abs_max"] < r["ce_grad_abs_max"]  # the summary's contrast holds in this run
    # The saved surfaces the figures draw.
    surfaces = np.load(out / "artifacts" / r["artifact"])
    np.testing.assert_allclose(surfaces["w"], axis)
    np.testing.assert_allclose(surfaces["output"], s, atol=1e-12)
    np.testing.assert_allclose(surfaces["l2_loss"], (s - y) ** 2, atol=1e-12)
    np.testing.assert_allclose(surfaces["ce_loss"], -(y * np.log(s) + (1 - y) * np.log(1 - s)), atol=1e-9)
    np.testing.assert_allclose(surfaces["l2_grad_w"], l2_grad, atol=1e-12)
    np.testing.assert_allclose(surfaces["ce_grad_w"], ce_grad, atol=1e-12)


# ---------------------------------------------------------------------------------------------- Part 2

def _xor_start(seed: int, std: float) -> dict[str, np.ndarray]:
    """The 2-2-1 network's initial weights for a seed: torch's generator, N(0, std^2) drawn in the order
    W1 (2x2, out x in), b1, w2, b2 (the product's stated convention: what torch.manual_seed gives)."""
    generator = torch.Generator().manual_seed(seed)
    draw = [torch.randn(shape, generator=generator, dtype=torch.float64) * std for shape in ((2, 2), (2,), (2,), ())]
    return {name: t.numpy().copy() for name, t in zip(("W1", "b1", "w2", "b2"), draw)}


def _xor_forward(p: dict, tanh: bool, inputs=XOR_INPUTS) -> tuple[np.ndarray, np.ndarray]:
    """Hidden activations (4, 2) and sigmoid outputs (4,) of one network."""
    pre = inputs @ p["W1"].T + p["b1"]
    hidden = np.tanh(pre) if tanh else pre
    return hidden, 1.0 / (1.0 + np.exp(-(hidden @ p["w2"] + p["b2"])))


def _xor_train(seed: int, std: float, rate: float, steps: int, tanh: bool) -> dict[str, np.ndarray]:
    """Full-batch gradient descent on the mean binary cross-entropy of the four XOR points, written here."""
    p = _xor_start(seed, std)
    for _ in range(steps):
        hidden, out = _xor_forward(p, tanh)
        dz = (out - XOR_LABELS) / 4  # d(mean BCE)/d(logit)
        dpre = np.outer(dz, p["w2"]) * ((1 - hidden ** 2) if tanh else 1.0)  # (4, 2)
        grads = {"w2": hidden.T @ dz, "b2": dz.sum(), "W1": dpre.T @ XOR_INPUTS, "b1": dpre.sum(axis=0)}
        for name in p:
            p[name] = p[name] - rate * grads[name]
    return p


def _solves(outputs: np.ndarray, confident: float) -> bool:
    return bool(np.all(np.where(XOR_LABELS == 1, outputs > confident, outputs < 1 - confident)))


def _bce(outputs: np.ndarray) -> float:
    return float(-np.mean(XOR_LABELS * np.log(outputs) + (1 - XOR_LABELS) * np.log(1 - outputs)))


@pytest.fixture(scope="module")
def xor_study(saved):
    """Every seed of the study trained again here, with and without the tanh: {(seed, tanh): parameters}."""
    _, parts = saved
    c, r = parts["part2"]["config"], parts["part2"]["result"]
    seeds = sorted(set(r["robustness_seeds"]) | {r["reported_seed"]})
    return {(seed, tanh): _xor_train(seed, c["init_std"], c["learning_rate"], c["steps"], tanh)
            for seed in seeds for tanh in (True, False)}


def test_part2_seed_counts_recounted_by_training_every_seed_again(saved, xor_study):
    """Summary row 2: the seeds solving XOR with tanh / without activation, of the study's seeds."""
    _, parts = saved
    c, r, seed = parts["part2"]["config"], parts["part2"]["result"], parts["part2"]["seed"]
    seeds = list(range(seed, seed + c["robustness_seeds"]))
    assert r["robustness_seeds"] == seeds
    for tanh, key in ((True, "tanh"), (False, "identity")):
        outputs = [_xor_forward(xor_study[(s, tanh)], tanh)[1] for s in seeds]
        assert r[f"robustness_{key}_solved"] == [_solves(o, c["confident"]) for o in outputs], key
        np.testing.assert_allclose(r[f"robustness_{key}_loss"], [_bce(o) for o in outputs], rtol=1e-6, atol=1e-9)
    # No network without a hidden activation can solve XOR (it is affine in the inputs).
    assert not any(r["robustness_identity_solved"])


def test_part2_reported_seed_is_the_first_that_solves_and_its_outputs_are_the_reported_ones(saved, xor_study):
    """Summary row 2: the tanh network's outputs on (0,0), (0,1), (1,0), (1,1), of the seed the report names."""
    _, parts = saved
    c, r, seed = parts["part2"]["config"], parts["part2"]["result"], parts["part2"]["seed"]
    reported = r["reported_seed"]
    for earlier in range(seed, reported):  # every seed before the reported one fails (those in the study)
        if (earlier, True) in xor_study:
            assert not _solves(_xor_forward(xor_study[(earlier, True)], True)[1], c["confident"]), earlier
    p = xor_study.get((reported, True)) or _xor_train(reported, c["init_std"], c["learning_rate"], c["steps"], True)
    _, outputs = _xor_forward(p, True)
    assert _solves(outputs, c["confident"]) and r["solved"]
    np.testing.assert_allclose(r["final_outputs"], outputs, rtol=1e-7, atol=1e-9)
    assert r["final_loss"] == pytest.approx(_bce(outputs), rel=1e-6)
    q = xor_study.get((reported, False)) or _xor_train(reported, c["init_std"], c["learning_rate"], c["steps"], False)
    np.testing.assert_allclose(r["identity_final_outputs"], _xor_forward(q, False)[1], rtol=1e-7, atol=1e-9)


def test_handed_in_xor_network_is_the_reported_seeds_network(saved, xor_study):
    """xor_tanh.pt holds the weights of the reported seed's network (float32), not another seed's: its outputs
    on the four inputs are the reported ones, and every other seed's network is measurably different."""
    out, parts = saved
    c, r = parts["part2"]["config"], parts["part2"]["result"]
    state = torch.load(out / "artifacts" / r["weights"], weights_only=True)
    assert set(state) == {"hidden.weight", "hidden.bias", "output.weight", "output.bias"}
    handed_in = {"W1": state["hidden.weight"].double().numpy(), "b1": state["hidden.bias"].double().numpy(),
                 "w2": state["output.weight"].double().numpy().reshape(2), "b2": state["output.bias"].double().numpy()[0]}
    trained = xor_study.get((r["reported_seed"], True)) or _xor_train(r["reported_seed"], c["init_std"],
                                                                      c["learning_rate"], c["steps"], True)
    for name in handed_in:
        np.testing.assert_allclose(handed_in[name], trained[name], rtol=1e-6, atol=1e-6, err_msg=name)
    for (other, tanh), p in xor_study.items():
        if tanh and other != r["reported_seed"]:
            distance = max(float(np.abs(handed_in[k] - p[k]).max()) for k in handed_in)
            assert distance > 1e-3, f"seed {other}'s network is indistinguishable from the reported one"
    # What the course's autograder reads: the network on float32 (1, 2) inputs, one at a time, written here.
    outputs = []
    for a, b in XOR_INPUTS.tolist():
        x = torch.tensor([[a, b]], dtype=torch.float32)
        h = torch.tanh(x @ state["hidden.weight"].T + state["hidden.bias"])
        outputs.append(float(torch.sigmoid(h @ state["output.weight"].T + state["output.bias"])))
    np.testing.assert_allclose(outputs, r["final_outputs"], atol=2e-6)
    np.testing.assert_allclose(r["course_check_outputs"], outputs, atol=1e-7)
    assert r["course_check_pass"] == [abs(o - y) <= 0.01 for o, y in zip(outputs, XOR_LABELS)]


# ---------------------------------------------------------------------------------------------- Part 3

def _logits(network, images: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([network(images[i:i + 500]) for i in range(0, len(images), 500)])


@pytest.fixture(scope="module")
def part3_truth(saved, mnist):
    """The saved CNN evaluated here on the split the report names: the MNIST test set (its first test_subset
    images when the config sets one). (logits, labels, uint8 images)."""
    out, parts = saved
    c, r = parts["part3"]["config"], parts["part3"]["result"]
    n = c["test_subset"] or len(mnist.test_labels)
    assert r["test_images"] == n and sum(r["per_class_count"]) == n
    images, labels = mnist.test_images[:n], mnist.test_labels[:n]
    return _logits(load_network(out / "artifacts" / r["weights"]), _model_input(images)), labels, images


def _borderline(logits: torch.Tensor) -> torch.Tensor:
    """Images whose two best logits are so close that another order of summation may swap them."""
    top2 = logits.topk(2, dim=1).values
    return (top2[:, 0] - top2[:, 1]) < 1e-4


def test_part3_accuracy_confusion_and_per_class_numbers_rederived_on_the_test_set(saved, part3_truth):
    """Summary row 3 (the test accuracy), the confusion matrix, per-digit counts and accuracies, the error count
    and the test loss: counted here from the saved network's predictions on the test images."""
    _, parts = saved
    r = parts["part3"]["result"]
    logits, labels, _ = part3_truth
    predictions = logits.argmax(dim=1)
    unsure = _borderline(logits)
    assert int(unsure.sum()) <= 1, "too many near-ties to compare exactly"
    confusion = np.zeros((10, 10), dtype=int)
    for true, predicted in zip(labels.tolist(), predictions.tolist()):
        confusion[true, predicted] += 1
    slack = int(unsure.sum())  # one near-tie may move one count between two cells
    assert np.abs(np.asarray(r["confusion"]) - confusion).sum() <= 2 * slack, (r["confusion"], confusion.tolist())
    correct = int((predictions == labels).sum())
    assert r["test_accuracy"] == pytest.approx(correct / len(labels), abs=slack / len(labels) + 1e-6)  # float32 mean
    assert r["misclassified"] == pytest.approx(len(labels) - correct, abs=slack)
    assert r["per_class_count"] == np.bincount(labels.numpy(), minlength=10).tolist()
    per_class = [confusion[d, d] / max(confusion[d].sum(), 1) for d in range(10)]
    np.testing.assert_allclose(r["per_class_accuracy"], per_class, atol=slack / min(r["per_class_count"]) + 1e-6)
    loss = float(torch.nn.functional.cross_entropy(logits, labels))
    assert r["test_loss"] == pytest.approx(loss, rel=1e-4, abs=1e-6)
    # The last evaluation of the training curves is this same evaluation.
    assert r["history"]["test_accuracy"][-1] == pytest.approx(r["test_accuracy"], abs=1e-12)


def test_part3_misclassified_examples_are_the_most_confidently_wrong_test_digits(saved, part3_truth):
    """The figure's misclassified digits: test images (named by index) the saved network gets wrong, with their
    true label, prediction and confidence, the most confident errors first."""
    out, parts = saved
    c, r = parts["part3"]["config"], parts["part3"]["result"]
    logits, labels, images = part3_truth
    probabilities = torch.softmax(logits, dim=1)
    confidence, predictions = probabilities.max(dim=1)
    wrong = torch.nonzero(predictions != labels).squeeze(1)
    expected = wrong[torch.argsort(confidence[wrong], descending=True)][: c["misclassified_shown"]]

    shown = np.load(out / "artifacts" / r["misclassified_artifact"])
    index = torch.from_numpy(shown["index"]).long()
    assert len(index) == len(expected) > 0
    assert torch.equal(torch.from_numpy(shown["image"]), images[index])
    assert torch.equal(torch.from_numpy(shown["label"]).long(), labels[index])
    assert torch.equal(torch.from_numpy(shown["prediction"]).long(), predictions[index])
    assert (predictions[index] != labels[index]).all()
    np.testing.assert_allclose(shown["confidence"], confidence[index].numpy(), atol=1e-5)
    # The same images as the most confident errors counted here (near-equal confidences may swap places).
    np.testing.assert_allclose(shown["confidence"], confidence[expected].numpy(), atol=1e-5)
    assert set(index.tolist()) == set(expected.tolist()) or \
        abs(float(confidence[expected[-1]]) - float(confidence[index].min())) < 1e-5


def test_course_weights_are_the_reported_network(saved):
    """model.pth, the file the course's notebook loads, is cnn.pt: the network whose accuracy is reported."""
    out, parts = saved
    r = parts["part3"]["result"]
    cnn = torch.load(out / "artifacts" / r["weights"], weights_only=True)
    course = torch.load(out / "artifacts" / r["course_weights"], weights_only=True)
    assert r["course_weights"] == "model.pth" and set(cnn) == set(course)
    for name in cnn:
        assert torch.equal(cnn[name], course[name]), name
