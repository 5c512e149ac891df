"""Part 4 end to end, recomputed independently of the attack code from the saved artifacts of a quick run:
the constraints and the 0.90 rule on every image with the original network in eval mode, and the
transfer numbers with the retrained network, which must really be another network."""

import json

import numpy as np
import pytest
import torch

from helpers import draw_and_capture, eval_probabilities, field, load_network, stored_part
from hw1.toolkit.data import load_mnist, to_model_input

pytestmark = pytest.mark.slow  # reads the quick run of every part


def test_every_saved_adversarial_image_recomputed(quick_report, data_dir):
    out, _, _ = quick_report
    results = json.loads((out / "results.json").read_text())["parts"]
    r4 = results["part4"]["result"]
    saved = torch.load(out / "artifacts" / "adversarial.pt", weights_only=True)
    original, adversarial = saved["original"], saved["adversarial"]
    label, target, success = saved["label"], saved["target"], saved["success"]
    untargeted = target == -1

    # The originals are the test images named by test_index, each correctly classified.
    mnist = load_mnist(data_dir)
    assert torch.equal(original, to_model_input(mnist.test_images[saved["test_index"]]))
    assert torch.equal(label, mnist.test_labels[saved["test_index"]])
    network = load_network(out / "artifacts" / "cnn.pt")
    assert torch.equal(eval_probabilities(network, original).argmax(dim=1), label)

    # Constraints on every image, attacked or not: never erase, stay in [-1, 1].
    assert (adversarial >= original).all()
    assert adversarial.min() >= -1 and adversarial.max() <= 1

    # The stopping rule, recomputed: untargeted = a wrong class with p >= 0.9, targeted = the target with p >= 0.9.
    top, predicted = eval_probabilities(network, adversarial).max(dim=1)
    rule = torch.where(untargeted, predicted != label, predicted == target) & (top >= 0.9)
    borderline = (top - 0.9).abs() < 1e-5  # only here may batch-size rounding flip the decision
    assert torch.equal(rule[~borderline], success[~borderline])
    assert (target[~untargeted] != label[~untargeted]).all()

    # The report's success rates are these, and the quick run goes through the success path.
    assert r4["untargeted"]["success_rate"] == pytest.approx(float(success[untargeted].float().mean()))
    assert r4["targeted"]["success_rate"] == pytest.approx(float(success[~untargeted].float().mean()))
    assert success[untargeted].float().mean() > 0.8 and success[~untargeted].float().mean() > 0.8


def test_transfer_numbers_recomputed_with_the_retrained_network(quick_report, data_dir):
    out, _, _ = quick_report
    results = json.loads((out / "results.json").read_text())["parts"]
    r4 = results["part4"]["result"]
    original = load_network(out / "artifacts" / "cnn.pt")
    retrained = load_network(out / "artifacts" / "cnn_retrained.pt")

    # Another network: another seed, other weights.
    assert r4["retrained_seed"] != results["part3"]["seed"]
    differing = [name for name, value in retrained.state_dict().items()
                 if value.is_floating_point() and not torch.equal(value, original.state_dict()[name])]
    assert len(differing) > 10

    saved = torch.load(out / "artifacts" / "adversarial.pt", weights_only=True)
    label, target, success = saved["label"], saved["target"], saved["success"]
    predicted = eval_probabilities(retrained, saved["adversarial"]).argmax(dim=1)
    assert torch.equal(predicted, saved["retrained_prediction"])
    un = success & (target == -1)
    tg = success & (target != -1)
    assert r4["untargeted"]["retrained_misclassified"] == pytest.approx(float((predicted[un] != label[un]).float().mean()))
    assert r4["targeted"]["retrained_hit_target"] == pytest.approx(float((predicted[tg] == target[tg]).float().mean()))
    assert r4["targeted"]["retrained_misclassified"] == pytest.approx(float((predicted[tg] != label[tg]).float().mean()))
    # The rest of question 3's table, per attack: the retrained network against the attacked one's own answers
    # on the adversarial images, on the original images, and how sure it is when wrong
    probabilities = eval_probabilities(retrained, saved["adversarial"])
    attacked_answer = eval_probabilities(original, saved["adversarial"]).argmax(dim=1)
    on_originals = eval_probabilities(retrained, saved["original"]).argmax(dim=1)
    for kind, rows in (("untargeted", un), ("targeted", tg)):
        mean = lambda mask: float(mask[rows].float().mean())  # noqa: E731  (over the successful images)
        r = r4[kind]
        assert r["retrained_same_prediction"] == pytest.approx(mean(predicted == attacked_answer)), kind
        assert r["retrained_accuracy_adversarial"] == pytest.approx(mean(predicted == label)), kind
        assert r["retrained_accuracy_original"] == pytest.approx(mean(on_originals == label)), kind
        assert r["retrained_confident_wrong"] == pytest.approx(
            mean((predicted != label) & (probabilities.max(dim=1).values >= 0.9))), kind

    # Clean accuracy of the retrained network on the whole test set.
    mnist = load_mnist(data_dir)
    images = to_model_input(mnist.test_images)
    correct = sum(int((eval_probabilities(retrained, images[i:i + 1000]).argmax(dim=1) == mnist.test_labels[i:i + 1000]).sum())
                  for i in range(0, len(images), 1000))
    assert r4["retrained_test_accuracy"] == pytest.approx(correct / len(images), abs=1e-6)


# ---------------------------------------------------------------------------------- figures

def _image(call) -> np.ndarray:
    return np.asarray(call.args[0], dtype=np.float64).reshape(28, 28)


def test_example_figures_draw_each_examples_own_images_and_probabilities(quick_report, tmp_path):
    out, _, _ = quick_report
    r4 = stored_part(out, 4).result
    saved = torch.load(out / "artifacts" / r4.artifact, weights_only=True)
    drawn = draw_and_capture(4, out, tmp_path / "figures")
    for name, examples in (("untargeted_examples", r4.untargeted_examples),
                           ("targeted_examples", r4.targeted_examples)):
        images, bars = drawn[name].of("imshow"), drawn[name].of("bar")
        assert len(examples) > 0 and len(images) == 3 * len(examples) and len(bars) == 2 * len(examples)
        for k, example in enumerate(examples):
            row = field(example, "row")
            original = saved["original"][row].double().numpy().reshape(28, 28)
            adversarial = saved["adversarial"][row].double().numpy().reshape(28, 28)
            assert not np.array_equal(original, adversarial), (name, k)  # a swap would show
            shown_original, shown_delta, shown_adversarial = images[3 * k:3 * k + 3]
            np.testing.assert_allclose(_image(shown_original), original, atol=1e-6, err_msg=f"{name} {k}")
            np.testing.assert_allclose(_image(shown_delta), adversarial - original, atol=1e-6, err_msg=f"{name} {k}")
            np.testing.assert_allclose(_image(shown_adversarial), adversarial, atol=1e-6, err_msg=f"{name} {k}")
            # The digits on the [-1, 1] grey scale, the perturbation from 0.
            assert (shown_original.kwargs["vmin"], shown_original.kwargs["vmax"]) == (-1, 1)
            assert shown_delta.kwargs["vmin"] == 0
            before, after = bars[2 * k:2 * k + 2]
            np.testing.assert_allclose(np.asarray(before.args[1]), field(example, "probabilities_before"))
            np.testing.assert_allclose(np.asarray(after.args[1]), field(example, "probabilities_after"))


def test_target_grid_draws_originals_on_the_diagonal_and_each_pairs_adversarial_elsewhere(quick_report, tmp_path):
    out, _, _ = quick_report
    r4 = stored_part(out, 4).result
    saved = torch.load(out / "artifacts" / r4.artifact, weights_only=True)
    shown = iter(draw_and_capture(4, out, tmp_path / "figures")["target_grid"].of("imshow"))
    cells = 0  # adversarial (off-diagonal) cells checked
    for source in range(10):
        for target in range(10):
            row = r4.pair_grid_index[source][target]
            if row < 0:
                continue
            expected = (saved["original"] if source == target else saved["adversarial"])[row]
            np.testing.assert_allclose(_image(next(shown)), expected.double().numpy().reshape(28, 28), atol=1e-6,
                                       err_msg=f"cell ({source}, {target})")
            cells += source != target
    assert next(shown, None) is None and cells > 0  # every drawn cell checked, adversarial ones among them
