"""Part 5 (beyond the assignment): every saved perturbation obeys the constraints, the reported fooling
rate is recomputed from the saved v, the training attack keeps to the constraints, and the defended
network's recipe keeps the assignment's accuracy."""

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from helpers import load_network, percent, thousands
from hw1.toolkit.attacks import constrained_fgsm, universal_perturbation
from hw1.toolkit.data import to_model_input


@pytest.mark.slow
def test_saved_universal_perturbations_obey_the_constraints_and_reproduce_the_fooling_rate(quick_report, mnist):
    out, _, _ = quick_report
    r5 = json.loads((out / "results.json").read_text())["parts"]["part5"]["result"]
    saved = torch.load(out / "artifacts" / "universal.pt", weights_only=True)
    v = saved["perturbation"]
    assert v.shape == (1, 1, 28, 28)
    assert (v >= 0).all() and v.max() <= saved["budget"] + 1e-6
    for budget, perturbation in zip(saved["budgets"], saved["perturbations"]):
        assert (perturbation >= 0).all() and perturbation.max() <= budget + 1e-6
    images = to_model_input(mnist.test_images[: r5["universal_test_images"]])
    perturbed = torch.clamp(images + v, max=1.0)
    assert (perturbed >= images).all() and perturbed.min() >= -1 and perturbed.max() <= 1
    network = load_network(out / "artifacts" / "cnn.pt")
    with torch.no_grad():
        clean = torch.cat([network(images[i:i + 500]).argmax(1) for i in range(0, len(images), 500)])
        fooled = torch.cat([network(perturbed[i:i + 500]).argmax(1) for i in range(0, len(images), 500)]) != clean
    assert float(fooled.float().mean()) == pytest.approx(r5["universal_headline"]["fooling_rate"], abs=1e-4)
    assert r5["universal_headline"]["budget"] == pytest.approx(float(saved["budget"]))


@pytest.mark.slow
def test_confidence_adversarials_obey_the_constraints_and_rise_in_confidence(quick_report):
    out, _, _ = quick_report
    r5 = json.loads((out / "results.json").read_text())["parts"]["part5"]["result"]
    saved = torch.load(out / "artifacts" / "part5_confidence.pt", weights_only=True)
    network = load_network(out / "artifacts" / "cnn.pt")
    for threshold in saved["thresholds"].tolist():
        adversarial = saved[f"untargeted_{threshold}"]
        assert (adversarial >= saved["original"]).all() and adversarial.max() <= 1
        with torch.no_grad():
            top, predicted = torch.softmax(network(adversarial), dim=1).max(dim=1)
        met = (predicted != saved["label"]) & (top >= threshold - 1e-5)
        row = next(r for r in r5["confidence"] if r["attack"] == "untargeted" and r["threshold"] == threshold)
        assert float(met.float().mean()) == pytest.approx(row["success_rate"], abs=1.5 / len(met))
    untargeted = [r for r in r5["confidence"] if r["attack"] == "untargeted"]
    assert untargeted[-1]["median_l2"] >= untargeted[0]["median_l2"]


@pytest.mark.slow
def test_defended_network_loads_and_differs_from_the_others(quick_report):
    out, _, _ = quick_report
    defended = load_network(out / "artifacts" / "cnn_adversarially_trained.pt")
    original = load_network(out / "artifacts" / "cnn.pt")
    assert not torch.equal(defended.state_dict()["features.0.weight"], original.state_dict()["features.0.weight"])


def test_training_attack_keeps_the_constraints_and_leaves_the_network_alone():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 10)).train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    images[0] = 1.0  # a saturated image: nothing may be added
    labels = torch.arange(8)
    for steps in (1, 3):
        adversarial = constrained_fgsm(model, images, labels, eps=0.3, steps=steps)
        assert (adversarial >= images).all() and adversarial.max() <= 1
        assert ((adversarial - images) <= 0.3 + 1e-6).all()
        assert torch.equal(adversarial[0], images[0])
        with torch.no_grad():  # it ascends the loss (in eval mode, the mode it was made in)
            model.eval()
            assert F.cross_entropy(model(adversarial), labels) > F.cross_entropy(model(images), labels)
            model.train()
    assert model.training  # mode restored
    for name, value in model.state_dict().items():
        assert torch.equal(value, before[name]), name  # BatchNorm statistics untouched too


def test_universal_perturbation_draws_its_batches_from_every_training_image():
    """5.3's v is computed over the training set: each step's batch is drawn uniformly (with the run's generator)
    from all the images given, not from the first `batch_size` of them."""
    drawn: list[int] = []

    class Spy(nn.Module):  # reads back which images each batch holds: image i carries i / 1000 in its first pixel
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

        def forward(self, x):
            drawn.extend(torch.round(x.detach()[:, 0, 0, 0] * 1000).long().tolist())
            return self.net(x)

    count = 1000
    images = -torch.ones(count, 1, 28, 28)
    images[:, 0, 0, 0] = torch.arange(count) / 1000  # at most 0.999: the clamp at 1 leaves it alone
    labels = torch.zeros(count, dtype=torch.long)
    universal_perturbation(Spy(), images, labels, budget=0.0, steps=40, batch_size=16, step_size=0.1,
                           generator=torch.Generator().manual_seed(0))  # budget 0: v stays 0, batches seen as they are
    assert len(drawn) == 40 * 16
    # 640 uniform draws from 1,000 images reach about 473 distinct ones (1000 (1 - e^-0.64)), from both ends
    assert min(drawn) < 100 and max(drawn) >= 900 and len(set(drawn)) > 400, (min(drawn), max(drawn), len(set(drawn)))


def test_universal_perturbation_stays_in_its_budget():
    torch.manual_seed(0)
    seen = []

    class Spy(nn.Module):  # records the largest pixel value the network is shown
        def __init__(self):
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))

        def forward(self, x):
            seen.append(float(x.detach().max()))
            return self.net(x)

    model = Spy()
    images = torch.rand(64, 1, 28, 28) * 2 - 1
    labels = torch.randint(0, 10, (64,))
    v = universal_perturbation(model, images, labels, budget=0.25, steps=5, batch_size=16, step_size=0.1,
                               generator=torch.Generator().manual_seed(0))
    assert v.shape == (1, 1, 28, 28) and (v >= 0).all() and v.max() <= 0.25 and v.max() > 0
    # It ascends the loss: pixels whose gradient always points down stay at 0, and the loss rises.
    assert (v == 0).any()
    assert max(seen) <= 1.0  # the perturbed training images stay in range
    with torch.no_grad():
        before = torch.nn.functional.cross_entropy(model(images), labels)
        after = torch.nn.functional.cross_entropy(model(torch.clamp(images + v, max=1.0)), labels)
    assert after > before


@pytest.mark.slow
def test_defended_recipe_keeps_the_assignments_accuracy(mnist):
    """The full Part 5.2 recipe (one adversarial epoch on 30,000 images) stays above 98.5% clean accuracy."""
    from hw1.parts.part5_beyond.config import Part5Config
    from hw1.toolkit.train_config import TrainConfig
    from hw1.toolkit.training import evaluate, train_cnn

    config = Part5Config()
    recipe = TrainConfig(epochs=config.training_epochs, train_subset=config.training_subset,
                         batch_size=config.training_batch_size, evals_per_epoch=1)
    model, _ = train_cnn(recipe, mnist, torch.device("cpu"), seed=2,
                         adversary=lambda m, x, y: constrained_fgsm(m, x, y, config.adversarial_eps,
                                                                    config.adversarial_steps))
    _, accuracy, _, _ = evaluate(model, to_model_input(mnist.test_images), mnist.test_labels)
    assert accuracy > 0.985, accuracy


def test_transfer_matrix_reads_source_rows_and_leaves_a_network_fooled_on_no_image_without_a_rate():
    """5.2's transfer table: [source][target] is the share of source's successful adversarial images that target
    misclassifies, counted here; a source the attack fooled on no image gets no rate (None, printed as a dash),
    instead of a crash on an empty batch or a made-up 0%."""
    from hw1.parts.part5_beyond.compute import transfer_matrix

    torch.manual_seed(0)
    networks = {name: nn.Sequential(nn.Flatten(), nn.Linear(784, 10)) for name in ("a", "b")}
    images = torch.rand(12, 1, 28, 28) * 2 - 1
    labels = torch.randint(0, 10, (12,))
    fooled_a = torch.tensor([True, False] * 6)
    adversarials = {"a": (images, fooled_a), "b": (images, torch.zeros(12, dtype=torch.bool))}
    matrix = transfer_matrix(networks, adversarials, labels, torch.device("cpu"))
    with torch.no_grad():
        expected = [float((networks[t](images[fooled_a]).argmax(dim=1) != labels[fooled_a]).float().mean())
                    for t in ("a", "b")]
    assert matrix[0] == pytest.approx(expected) and matrix[1] == [None, None]


@pytest.mark.slow
def test_a_network_fooled_on_no_image_gets_dashes_and_its_own_sentence(quick_report, tmp_path):
    """When the Part 4 attack fools the defended network on no image (a quick run attacks a few dozen images), the
    second-view table shows dashes for its medians and the transfer table for its row (the caption says why), and
    5.2's text says so instead of quoting a median or a rate."""
    import shutil

    from helpers import joined_hyphens, pdf_text
    from hw1.pipeline import Options, run_pipeline

    out = tmp_path / "report"
    shutil.copytree(quick_report[0], out)
    results = json.loads((out / "results.json").read_text())
    r5 = results["parts"]["part5"]["result"]
    r5["transfer"][r5["networks"].index("adversarially trained")] = [None] * len(r5["networks"])
    defended = next(row for row in r5["defended"] if row["network"] == "adversarially trained")
    defended.update(success_rate=0.0, median_steps=None, median_linf=None, median_l2=None, median_changed_pixels=None)
    (out / "results.json").write_text(json.dumps(results))
    run_pipeline(Options(out=out, report_only=True, progress=False), log=lambda _: None)
    text = joined_hyphens(pdf_text(out / "hw1.pdf"))
    assert "adversarially trained – – – –" in text  # the transfer table's row
    assert f"adversarially trained {percent(defended['clean_accuracy'], 2)} 0.0% – – – –" in text  # second view
    assert (f"within its {r5['attack_max_steps']} steps the attack fooled the defended network on none of these "
            f"{thousands(r5['defended_images'])} images") in text
    assert "the attack fooled that network on no image, so there is nothing to transfer" in text
    assert "the attack made no adversarial image on the defended network to transfer" in text
