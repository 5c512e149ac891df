"""A quick run of every part, end to end: every section in the PDF, every promised artifact on disk."""

import json

import pytest
import torch
from pypdf import PdfReader

from helpers import pdf_text
from hw1.toolkit.models import Table1CNN

pytestmark = pytest.mark.slow  # reads the quick run of every part

HEADINGS = [
    "1.1 Output of the sigmoid neuron", "1.2 L2 loss", "1.3 Gradient of the L2 loss", "1.4 Cross-entropy loss",
    "1.5 Gradient of the cross-entropy loss", "1.6 What the five plots show",
    "2.1 XOR as an optimisation problem", "2.2 Gradient descent", "2.3 Without a hidden activation",
    "3.1 The network of the assignment’s architecture table", "3.2 Training and testing curves",
    "4.1 Untargeted adversarial images", "4.2 Targeted adversarial images", "4.3 A retrained network",
    "5.1 Does attacking past 90% confidence raise transfer?", "5.2 Adversarial training", "5.3 One perturbation added to every image",
]


def test_quick_run_renders_every_section(quick_report):
    out, summary, lines = quick_report
    assert summary.computed == ["part1", "part2", "part3", "part4", "part5"]
    # the render's closing lines: the combined PDF and its page map, each hand-in and its map, the run record
    assert lines[-1].startswith("run record") and lines[-1].endswith("run-record.html")
    assert lines[-2].startswith(f"{len(PdfReader(out / 'hw1b.pdf').pages)} pages; questions -> pages")
    assert lines[-3].startswith("hand-in b rendered") and lines[-5].startswith("hand-in a rendered")
    assert lines[-6].startswith(f"{len(PdfReader(out / 'hw1.pdf').pages)} pages; questions -> pages")
    assert lines[-7].startswith("report rendered")
    assert any(line.startswith("figures ready") for line in lines[-10:-7])
    text = pdf_text(out / "hw1.pdf")
    assert "Run record" not in text  # only with --run-record
    html = (out / "hw1.html").read_text()
    for heading in HEADINGS:
        assert heading in text, heading
        assert heading.split(" ", 1)[1][:20] in html


def test_quick_run_saves_results_and_artifacts(quick_report):
    out, _, _ = quick_report
    results = json.loads((out / "results.json").read_text())
    assert set(results["parts"]) == {"part1", "part2", "part3", "part4", "part5"}
    part2 = results["parts"]["part2"]["result"]
    assert len(part2["final_outputs"]) == 4
    assert set(results["environment"]["seconds_per_part"]) == {"part1", "part2", "part3", "part4", "part5"}

    model = Table1CNN()
    model.load_state_dict(torch.load(out / "artifacts" / "cnn.pt", weights_only=True))
    model.load_state_dict(torch.load(out / "artifacts" / "cnn_retrained.pt", weights_only=True))

    saved = torch.load(out / "artifacts" / "adversarial.pt", weights_only=True)
    n = len(saved["label"])
    assert saved["original"].shape == saved["adversarial"].shape == (n, 1, 28, 28)
    assert (saved["adversarial"] >= saved["original"]).all()
    assert saved["adversarial"].min() >= -1 and saved["adversarial"].max() <= 1
    untargeted = saved["target"] == -1
    assert untargeted.sum() == n // 2 and (saved["target"][~untargeted] != saved["label"][~untargeted]).all()
    for key in ("success", "steps", "original_prediction", "original_probability", "retrained_prediction",
                "retrained_probability"):
        assert len(saved[key]) == n, key
    ok = saved["success"]
    # Successful untargeted: wrong with >= 0.9; successful targeted: the target with >= 0.9.
    assert (saved["original_prediction"][ok & untargeted] != saved["label"][ok & untargeted]).all()
    assert (saved["original_prediction"][ok & ~untargeted] == saved["target"][ok & ~untargeted]).all()
    assert (saved["original_probability"][ok] >= 0.9).all()
    summary = results["parts"]["part4"]["result"]
    assert summary["untargeted"]["attacked"] == n // 2


def test_report_only_rerenders_without_recomputing(quick_report):
    from hw1.pipeline import Options, run_pipeline

    out, _, _ = quick_report
    before = (out / "results.json").read_bytes()
    summary = run_pipeline(Options(out=out, report_only=True), log=lambda _: None)
    assert summary.computed == [] and summary.rendered == ["part1", "part2", "part3", "part4", "part5"]
    assert (out / "results.json").read_bytes() == before
