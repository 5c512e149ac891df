"""The constrained I-FGSM engine on a tiny fixed-weight model (float64, with BatchNorm)."""

import pytest
import torch
from torch import nn

from helpers import eval_probabilities
from hw1.toolkit.attacks import ConstrainedIFGSM


@pytest.fixture()
def model():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Flatten(), nn.Linear(784, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 10)).double()
    with torch.no_grad():
        net[2].running_mean.uniform_(-0.5, 0.5)  # eval-mode statistics differ from any batch's
        net[2].running_var.uniform_(0.5, 2.0)
        net[4].weight.mul_(8.0)  # confident predictions, like a trained classifier
    net.train()  # the attack must switch to eval mode itself and switch back
    return net


@pytest.fixture()
def digits():
    """Digit-like images: a -1 background with a few bright strokes, in [-1, 1]. (16, 1, 28, 28)"""
    generator = torch.Generator().manual_seed(1)
    images = -torch.ones(16, 1, 28, 28, dtype=torch.float64)
    strokes = torch.rand(16, 1, 28, 28, generator=generator, dtype=torch.float64)
    images[strokes > 0.8] = strokes[strokes > 0.8] * 2 - 1
    return images


def test_untargeted_constraints_stopping_rule_and_no_side_effects(model, digits):
    labels = eval_probabilities(model, digits).argmax(dim=1)  # "correctly classified"
    images_before = digits.clone()
    params_before = {k: v.clone() for k, v in model.state_dict().items()}
    outcome = ConstrainedIFGSM(model, eps=0.05, max_steps=200, confidence=0.9)(digits, labels)

    assert torch.equal(digits, images_before)  # input untouched
    assert model.training  # mode restored
    for name, value in model.state_dict().items():
        assert torch.equal(value, params_before[name]), name  # parameters (and BN buffers) unchanged
    adversarial = outcome.adversarial
    # Constraints on every image: never erase, stay in range.
    assert (adversarial >= digits).all()
    assert (adversarial >= -1).all() and (adversarial <= 1).all()
    # Every image marked successful meets the stopping rule, checked independently.
    probs = eval_probabilities(model, adversarial)
    top, predicted = probs.max(dim=1)
    rule = (predicted != labels) & (top >= 0.9)
    assert torch.equal(rule, outcome.success)
    assert outcome.success.float().mean() > 0.5
    torch.testing.assert_close(outcome.probabilities, probs)
    delta = (adversarial - digits).flatten(1)
    torch.testing.assert_close(outcome.linf, delta.amax(dim=1))
    torch.testing.assert_close(outcome.l2, delta.norm(dim=1))
    assert torch.equal(outcome.changed_pixels, (delta > 0).sum(dim=1))
    assert (outcome.steps[outcome.success] >= 1).all()


def test_targeted_attack_reaches_its_target(model, digits):
    labels = eval_probabilities(model, digits).argmax(dim=1)
    targets = (labels + 3) % 10
    outcome = ConstrainedIFGSM(model, eps=0.05, max_steps=300, confidence=0.9)(digits, labels, targets)
    assert model.training  # mode restored
    # Recomputed here with the network in eval mode, not taken from the attack's own report.
    probs = eval_probabilities(model, outcome.adversarial)
    top, predicted = probs.max(dim=1)
    assert torch.equal((predicted == targets) & (top >= 0.9), outcome.success)
    assert outcome.success.float().mean() > 0.5
    torch.testing.assert_close(outcome.probabilities, probs)
    assert (outcome.adversarial >= digits).all() and (outcome.adversarial <= 1).all()


def test_image_already_meeting_the_rule_is_returned_unchanged_after_zero_steps(model, digits):
    probs = eval_probabilities(model, digits)
    threshold = float(probs.max(dim=1).values.min())  # every image's top class reaches it
    wrong_labels = (probs.argmax(dim=1) + 1) % 10  # so the network already "misclassifies" every image
    outcome = ConstrainedIFGSM(model, eps=0.05, max_steps=50, confidence=threshold)(digits, wrong_labels)
    assert outcome.success.all()
    assert (outcome.steps == 0).all()
    assert torch.equal(outcome.adversarial, digits)
    assert (outcome.changed_pixels == 0).all() and (outcome.linf == 0).all()


def test_failures_are_reported_not_dropped(model, digits):
    labels = eval_probabilities(model, digits).argmax(dim=1)
    outcome = ConstrainedIFGSM(model, eps=1e-4, max_steps=2)(digits, labels)
    assert len(outcome.success) == len(digits)
    assert (~outcome.success).any()
    assert (outcome.steps[~outcome.success] == 2).all()


def test_batch_gives_the_same_result_as_one_image_at_a_time(model, digits):
    labels = eval_probabilities(model, digits).argmax(dim=1)
    batched = ConstrainedIFGSM(model, eps=0.05, max_steps=100, batch_size=16)(digits, labels)
    for i in range(len(digits)):
        alone = ConstrainedIFGSM(model, eps=0.05, max_steps=100, batch_size=1)(digits[i:i + 1], labels[i:i + 1])
        assert int(alone.steps[0]) == int(batched.steps[i])
        assert bool(alone.success[0]) == bool(batched.success[i])
        torch.testing.assert_close(alone.adversarial[0], batched.adversarial[i], rtol=0, atol=1e-12)


def test_one_pass_at_several_confidences_equals_separate_attacks(model, digits):
    labels = eval_probabilities(model, digits).argmax(dim=1)
    attack = ConstrainedIFGSM(model, eps=0.05, max_steps=150)
    for targets in (None, (labels + 3) % 10):
        together = attack.at_confidences(digits, labels, targets, (0.99, 0.9, 0.999))
        for outcome, level in zip(together, (0.9, 0.99, 0.999)):
            alone = ConstrainedIFGSM(model, eps=0.05, max_steps=150, confidence=level)(digits, labels, targets)
            assert torch.equal(outcome.success, alone.success), level
            assert torch.equal(outcome.steps, alone.steps), level
            torch.testing.assert_close(outcome.adversarial, alone.adversarial, rtol=0, atol=1e-12)
            torch.testing.assert_close(outcome.probabilities, alone.probabilities)
        assert together[0].success.any() and (together[2].steps >= together[0].steps).all()


def test_each_step_moves_every_free_pixel_by_exactly_eps(model, digits):
    """One update: delta = clip(eps * sign(gradient), 0, 1 - I), so every changed pixel moved by eps (or to 1)."""
    labels = eval_probabilities(model, digits).argmax(dim=1)
    for targets in (None, (labels + 1) % 10):
        outcome = ConstrainedIFGSM(model, eps=0.05, max_steps=1, confidence=0.999999)(digits, labels, targets)
        assert (outcome.steps <= 1).all()
        delta = outcome.adversarial - digits
        moved = delta > 0
        assert moved.any()
        room = (1 - digits)[moved]
        torch.testing.assert_close(delta[moved], torch.minimum(torch.full_like(room, 0.05), room), rtol=0, atol=1e-12)


def test_targeted_success_means_the_target_even_at_a_low_threshold(model, digits):
    """With a low threshold another wrong class can pass it first: that is not a targeted success."""
    labels = eval_probabilities(model, digits).argmax(dim=1)
    for shift in range(1, 10):
        targets = (labels + shift) % 10
        outcome = ConstrainedIFGSM(model, eps=0.05, max_steps=60, confidence=0.35)(digits, labels, targets)
        top, predicted = eval_probabilities(model, outcome.adversarial).max(dim=1)
        assert torch.equal((predicted == targets) & (top >= 0.35), outcome.success), shift


@pytest.mark.parametrize("bad", [dict(eps=0), dict(max_steps=-1), dict(confidence=0), dict(confidence=1.01),
                                 dict(batch_size=0)])
def test_impossible_settings_are_refused(model, bad):
    settings = dict(eps=0.05, max_steps=10, confidence=0.9, batch_size=4) | bad
    with pytest.raises(ValueError):
        ConstrainedIFGSM(model, **settings)


def test_edge_settings_are_allowed(model, digits):
    labels = eval_probabilities(model, digits).argmax(dim=1)
    outcome = ConstrainedIFGSM(model, eps=0.05, max_steps=0, confidence=1.0, batch_size=1)(digits[:2], labels[:2])
    assert torch.equal(outcome.adversarial, digits[:2]) and (outcome.steps == 0).all()
    with pytest.raises(ValueError):
        ConstrainedIFGSM(model, eps=0.05, max_steps=5).at_confidences(digits, labels, None, (0.0, 0.9))
