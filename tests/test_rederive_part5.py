"""Part 5's numbers that test_rederive.py does not reach, re-derived from the saved artifacts with code written
here: 5.1's targeted rows (success and transfer), the four networks' clean accuracies, every budget's row of
5.3's universal table and the examples shown under it."""

from __future__ import annotations


import pytest
import torch

from helpers import eval_probabilities, load_network, model_input, report_folder, report_parts

pytestmark = pytest.mark.slow  # reads the quick run of every part

NETWORKS = {"original": "cnn.pt", "retrained": "cnn_retrained.pt",
            "single-step (Goodfellow-style)": "cnn_goodfellow_single_step.pt",
            "adversarially trained": "cnn_adversarially_trained.pt"}


@pytest.fixture(scope="module")
def part5(request):
    """(report folder, Part 5's config, Part 5's result): of the session's quick run, or of $HW1_REPORT_DIR."""
    out = report_folder(request)
    stored = report_parts(out)["part5"]  # skips a report without Part 5
    return out, stored["config"], stored["result"]


def _predict(network, x: torch.Tensor) -> torch.Tensor:
    return torch.cat([eval_probabilities(network, x[i:i + 2500]).argmax(dim=1) for i in range(0, len(x), 2500)])


def test_part5_confidence_table_targeted_rows_success_and_transfer_rederived(part5):
    """5.1's targeted rows: the share that reached each confidence in the target, and of those, how many the
    retrained network puts in the target and how many it misreads (test_rederive checks the untargeted rows)."""
    out, _, r = part5
    study = torch.load(out / "artifacts" / "part5_confidence.pt", weights_only=True)
    original = load_network(out / "artifacts" / "cnn.pt")
    retrained = load_network(out / "artifacts" / "cnn_retrained.pt")
    label, target = study["label"], study["target"]
    rows = [row for row in r["confidence"] if row["attack"] == "targeted"]
    assert [row["threshold"] for row in rows] == study["thresholds"].tolist()
    for row in rows:
        adversarial = study[f"targeted_{row['threshold']}"]
        in_target = eval_probabilities(original, adversarial).gather(1, target[:, None])[:, 0]
        reached = in_target >= row["threshold"]
        unsure = int(((in_target - row["threshold"]).abs() < 1e-5).sum())  # batch rounding may decide these
        assert reached.any(), row
        assert row["success_rate"] == pytest.approx(float(reached.float().mean()), abs=unsure / len(label) + 1e-6)
        transferred = eval_probabilities(retrained, adversarial[reached]).argmax(dim=1)
        slack = (unsure + 1e-9) / max(int(reached.sum()) - unsure, 1) + 1e-6
        assert row["transfer_hit_target"] == pytest.approx(
            float((transferred == target[reached]).float().mean()), abs=slack), row
        assert row["transfer_misclassified"] == pytest.approx(
            float((transferred != label[reached]).float().mean()), abs=slack), row


def test_part5_clean_accuracy_of_each_network_on_the_whole_test_set(part5, mnist):
    out, _, r = part5
    x, y = model_input(mnist.test_images), mnist.test_labels
    fields = {"original": "original_test_accuracy", "retrained": "retrained_test_accuracy",
              "single-step (Goodfellow-style)": "goodfellow_test_accuracy",
              "adversarially trained": "defended_test_accuracy"}
    measured = {name: float((_predict(load_network(out / "artifacts" / file), x) == y).float().mean())
                for name, file in NETWORKS.items()}
    for name, key in fields.items():
        assert r[key] == pytest.approx(measured[name], abs=1e-6), key
    assert len(set(measured.values())) == len(measured), "two networks share a clean accuracy: swaps would not show"


def test_part5_universal_table_every_budgets_row_rederived(part5, mnist):
    """5.3's table: each budget's perturbation (universal.pt) measured here, and its fooling rate on the test
    images the run used; the headline row is checked further in test_rederive."""
    out, config, r = part5
    universal = torch.load(out / "artifacts" / "universal.pt", weights_only=True)
    assert universal["budgets"].tolist() == pytest.approx([row["budget"] for row in r["universal"]])
    network = load_network(out / "artifacts" / "cnn.pt")
    subset = config.get("test_subset") or len(mnist.test_images)
    x = model_input(mnist.test_images[:subset])
    clean = _predict(network, x)
    for row, v in zip(r["universal"], universal["perturbations"]):
        assert v.min() >= 0 and v.max() <= row["budget"] + 1e-6, row["budget"]
        assert row["pixels"] == int((v > 0).sum()), row["budget"]
        assert row["linf"] == pytest.approx(float(v.max()), abs=1e-6), row["budget"]
        assert row["l2"] == pytest.approx(float(v.norm()), rel=1e-5), row["budget"]
        assert row["random_l2"] <= row["l2"] * (1 + 1e-5), row["budget"]  # the control: no larger than v
        fooled = _predict(network, torch.clamp(x + v, max=1.0)) != clean
        assert row["fooling_rate"] == pytest.approx(float(fooled.float().mean()), abs=2e-4), row["budget"]


def test_part5_universal_examples_are_the_first_test_images_with_v_added(part5, mnist):
    """The three examples under 5.3's figure: the first test images, their labels, and what the Part 3 network
    says of them with the headline perturbation added (class and confidence)."""
    out, _, r = part5
    v = torch.load(out / "artifacts" / "universal.pt", weights_only=True)["perturbation"]
    examples = r["universal_headline"]["examples"]
    x = torch.clamp(model_input(mnist.test_images[:len(examples)]) + v, max=1.0)
    probabilities = eval_probabilities(load_network(out / "artifacts" / "cnn.pt"), x)
    for k, example in enumerate(examples):
        assert example["label"] == int(mnist.test_labels[k]), k
        assert example["prediction"] == int(probabilities[k].argmax()), k
        assert example["confidence"] == pytest.approx(float(probabilities[k].max()), abs=1e-5), k


def test_part5_robust_accuracy_table_every_cell_rederived_with_the_tests_own_attack(part5, mnist):
    """5.2's Table 12: each network's clean accuracy on the evaluated images (exactly), and its robust accuracy at
    each budget against the one-sided PGD written in test_part5_robustness.py (zero and random start). The table's
    worst case adds APGD, which can only fool more: saved <= mine (+ slack), and saved >= mine minus what APGD
    found after PGD up to that budget (first_fooled) (- slack)."""
    from test_part5_robustness import _independent_robust_accuracy

    out, _, r = part5
    settings = r["robust_settings"]
    n = settings["images"]
    x, y = model_input(mnist.test_images[:n]), mnist.test_labels[:n]
    for row in r["robustness"]:
        network = load_network(out / "artifacts" / NETWORKS[row["network"]])
        assert row["images"] == n
        assert row["clean_accuracy"] == pytest.approx(float((_predict(network, x) == y).float().mean()), abs=1e-6)
        for k, budget in enumerate(row["budgets"]):
            saved = row["robust"][k]
            assert row["robust_count"][k] == round(saved * n), (row["network"], budget)
            mine = _independent_robust_accuracy(network, x, y, budget, settings["steps"],
                                                budget * settings["step_fraction"], 0)
            # fooled by APGD where PGD had failed, at this budget or a smaller one (ascending: fooled stays fooled)
            after_pgd = sum(sum(counts[1:]) for counts in row["first_fooled"][:k + 1]) / n
            assert mine - after_pgd - 0.06 <= saved <= mine + 0.06, (row["network"], budget, saved, mine)
