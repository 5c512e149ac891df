"""Part 5.2's bounded evaluation and budgeted defence: the one-sided PGD finds exactly the images a
budget can fool on a network whose answer is known, keeps to the assignment's constraint, and the saved
defended network's robust accuracy is re-derived here with an attack written in this file."""

import json
import os
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from hw1.toolkit.attacks import OneSidedPGD, random_start_fgsm
from hw1.toolkit.data import to_model_input
from hw1.toolkit.models import Table1CNN
from hw1.toolkit.training import RobustnessGuard


class Threshold(nn.Module):
    """Class 1 when pixel (0, 0) exceeds 0, else class 0: a budget b fools a class-0 image with pixel p iff p + b > 0."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(10.0))

    def forward(self, x):
        z = self.scale * x.flatten(1)[:, :1]
        return torch.cat([-z, z], dim=1)


def test_one_sided_pgd_fools_exactly_the_images_the_budget_allows():
    p = torch.tensor([-1.0, -0.7, -0.45, -0.25, -0.05])  # pixel (0, 0) of five class-0 images
    images = torch.full((5, 1, 28, 28), -1.0)
    images[:, 0, 0, 0] = p
    labels = torch.zeros(5, dtype=torch.int64)
    budgets = [0.1, 0.3, 0.6, 1.0]
    mask = OneSidedPGD(Threshold(), steps=20, step_fraction=0.1).robust_mask(images, labels, budgets)
    expected = torch.stack([p + b <= 0 for b in budgets])
    assert torch.equal(mask, expected)
    # Monotone in the budget: robust at a larger budget implies robust at every smaller one.
    assert (mask[1:] <= mask[:-1]).all()


def test_one_sided_pgd_cannot_subtract_nor_leave_the_range():
    """A network fooled only by darkening (class 1 when the pixel drops below 0.5) or by a pixel above 1 is never fooled."""

    class Darken(Threshold):
        def forward(self, x):
            z = self.scale * (0.5 - x.flatten(1)[:, :1]) + 100 * F.relu(x.flatten(1)[:, :1] - 1.0)
            return torch.cat([-z, z], dim=1)

    images = torch.full((3, 1, 28, 28), -1.0)
    images[:, 0, 0, 0] = torch.tensor([0.6, 0.9, 1.0])
    labels = torch.zeros(3, dtype=torch.int64)
    mask = OneSidedPGD(Darken(), steps=10).robust_mask(images, labels, [0.5, 2.0])
    assert mask.all()


def test_training_attack_stays_in_the_one_sided_box_and_leaves_the_network_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    images[0] = 1.0
    labels = torch.arange(8)
    for steps, step in ((1, 0.875), (3, 0.35)):
        adversarial = random_start_fgsm(model, images, labels, 0.7, step, steps, torch.Generator().manual_seed(1))
        delta = adversarial - images
        assert (delta >= 0).all() and (delta <= 0.7 + 1e-6).all() and adversarial.max() <= 1
        assert torch.equal(adversarial[0], images[0])
        assert delta.abs().sum() > 0
    assert model.training
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name


def test_guard_restores_the_best_weights_and_stops_on_a_collapse():
    model = Threshold()
    images = torch.full((4, 1, 28, 28), -1.0)
    labels = torch.zeros(4, dtype=torch.int64)
    guard = RobustnessGuard(images, labels, budget=0.5, steps=5, collapse=0.2)
    assert guard(model) is False and guard.history == [1.0]
    with torch.no_grad():
        model.scale.fill_(-10.0)  # now every image is misclassified: robust accuracy 0
    assert guard(model) is True and guard.collapsed
    assert float(model.scale.detach()) == 10.0  # the best weights are back


def _independent_robust_accuracy(model, x, y, budget, steps, step_size, seed):
    """Robust accuracy under one-sided PGD, written here from the definition (not the product's code)."""
    upper = torch.clamp(1.0 - x, max=budget)
    with torch.no_grad():
        robust = model(x).argmax(1) == y
    for start in ("zero", "random"):
        torch.manual_seed(seed)
        delta = torch.zeros_like(x) if start == "zero" else torch.rand_like(x) * upper
        for _ in range(steps + 1):
            delta.requires_grad_(True)
            logits = model(x + delta)
            robust &= (logits.argmax(1) == y).detach()
            loss = F.cross_entropy(logits, y, reduction="sum")
            (g,) = torch.autograd.grad(loss, delta)
            delta = torch.min(torch.clamp(delta.detach() + step_size * g.sign(), min=0.0), upper)
    return float(robust.float().mean())



@pytest.mark.slow
def test_saved_defended_network_robust_accuracy_is_rederived_independently(request, mnist):
    out = Path(os.environ["HW1_REPORT_DIR"]) if os.environ.get("HW1_REPORT_DIR") else request.getfixturevalue("quick_report")[0]
    r5 = json.loads((out / "results.json").read_text())["parts"]["part5"]["result"]
    settings = r5["robust_settings"]
    curve = next(row for row in r5["robustness"] if row["network"] == "adversarially trained")
    budget = settings["headline"] if settings["headline"] in curve["budgets"] else curve["budgets"][-1]
    saved = curve["robust"][curve["budgets"].index(budget)]
    model = Table1CNN()
    model.load_state_dict(torch.load(out / "artifacts" / "cnn_adversarially_trained.pt", weights_only=True))
    model.eval()
    n = min(300, settings["images"])
    x, y = to_model_input(mnist.test_images[:n]), mnist.test_labels[:n]
    mine = _independent_robust_accuracy(model, x, y, budget, settings["steps"], budget * settings["step_fraction"], 0)
    # A subset of the saved images and other random starts: agreement within a few points.
    assert mine == pytest.approx(saved, abs=0.06), (mine, saved)
    assert r5["defended_weights"] == "cnn_adversarially_trained.pt" and r5["goodfellow_weights"] != r5["defended_weights"]
    assert (out / "artifacts" / r5["goodfellow_weights"]).is_file()
