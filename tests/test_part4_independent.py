"""Part 4 end to end, recomputed independently of the attack code from the saved artifacts of a quick run:
the constraints and the 0.90 rule on every image with the original network in eval mode, and the
transfer numbers with the retrained network, which must really be another network."""

import json

import pytest
import torch

from helpers import load_network
from hw1.toolkit.data import load_mnist, to_model_input

pytestmark = pytest.mark.slow  # reads the quick run of every part


def _probabilities(model, images):
    with torch.no_grad():
        return torch.softmax(model(images), dim=1)


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
    assert torch.equal(_probabilities(network, original).argmax(dim=1), label)

    # Constraints on every image, attacked or not: never erase, stay in [-1, 1].
    assert (adversarial >= original).all()
    assert adversarial.min() >= -1 and adversarial.max() <= 1

    # The stopping rule, recomputed: untargeted = a wrong class with p >= 0.9, targeted = the target with p >= 0.9.
    top, predicted = _probabilities(network, adversarial).max(dim=1)
    rule = torch.where(untargeted, predicted != label, predicted == target) & (top >= 0.9)
    borderline = (top - 0.9).abs() < 1e-5  # only here may batch-size rounding flip the decision
    assert torch.equal(rule[~borderline], success[~borderline])
    assert (target[~untargeted] != label[~untargeted]).all()

    # The report's success rates are these, and the quick run goes through the success path.
    assert r4["untargeted"]["success_rate"] == pytest.approx(float(success[untargeted].float().mean()))
    assert r4["targeted"]["success_rate"] == pytest.approx(float(success[~untargeted].float().mean()))
    assert success[untargeted].float().mean() > 0.8 and success[~untargeted].float().mean() > 0.8


def test_transfer_numbers_recomputed_with_the_retrainedload_network(quick_report, data_dir):
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
    predicted = _probabilities(retrained, saved["adversarial"]).argmax(dim=1)
    assert torch.equal(predicted, saved["retrained_prediction"])
    un = success & (target == -1)
    tg = success & (target != -1)
    assert r4["untargeted"]["retrained_misclassified"] == pytest.approx(float((predicted[un] != label[un]).float().mean()))
    assert r4["targeted"]["retrained_hit_target"] == pytest.approx(float((predicted[tg] == target[tg]).float().mean()))
    assert r4["targeted"]["retrained_misclassified"] == pytest.approx(float((predicted[tg] != label[tg]).float().mean()))

    # Clean accuracy of the retrained network on the whole test set.
    mnist = load_mnist(data_dir)
    images = to_model_input(mnist.test_images)
    correct = sum(int((_probabilities(retrained, images[i:i + 1000]).argmax(dim=1) == mnist.test_labels[i:i + 1000]).sum())
                  for i in range(0, len(images), 1000))
    assert r4["retrained_test_accuracy"] == pytest.approx(correct / len(images), abs=1e-6)
