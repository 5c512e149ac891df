"""The numbers a reader sees in the PDF are the numbers in results.json, each bound to the right field:
a template that swaps untargeted and targeted, or the original and retrained network, fails here."""

import json

import pytest

from helpers import pdf_text
from hw1.rendering.report_macros import num, pct

pytestmark = pytest.mark.slow  # reads the quick run of every part


def test_headline_numbers_in_the_pdf_equal_the_saved_results(quick_report):
    out, _, _ = quick_report
    parts = json.loads((out / "results.json").read_text())["parts"]
    text = pdf_text(out / "hw1.pdf")
    r2, r3, r4 = (parts[name]["result"] for name in ("part2", "part3", "part4"))
    u, t = r4["untargeted"], r4["targeted"]

    outputs = ", ".join(num(o, 4) for o in r2["final_outputs"])
    assert f"(tanh network) {outputs}" in text
    assert f"CNN test accuracy (requirement 99%) {pct(r3['test_accuracy'], 2)}" in text
    assert f"untargeted / targeted {pct(u['success_rate'], 1)} / {pct(t['success_rate'], 1)}" in text
    assert (f"hits the target (targeted) {pct(u['retrained_misclassified'], 1)} / "
            f"{pct(t['retrained_hit_target'], 1)}") in text

    # Part 4's statistics table: untargeted column first, then targeted.
    steps = (f"Steps: median / mean / 90th percentile / max {num(u['steps']['median'], 0)} / {num(u['steps']['mean'], 1)}"
             f" / {num(u['steps']['p90'], 0)} / {num(u['steps']['max'], 0)} {num(t['steps']['median'], 0)} /")
    assert steps in text
    # The two networks' clean accuracies are where the report names them.
    assert pct(r4["original_test_accuracy"], 2) in text and pct(r4["retrained_test_accuracy"], 2) in text


def test_the_quick_run_can_tell_the_swaps_apart(quick_report):
    """The test above only catches a swap if the swapped numbers differ; make sure they do."""
    out, _, _ = quick_report
    r4 = json.loads((out / "results.json").read_text())["parts"]["part4"]["result"]
    u, t = r4["untargeted"], r4["targeted"]
    assert u["steps"]["median"] != t["steps"]["median"] or u["steps"]["mean"] != t["steps"]["mean"]
    assert u["retrained_misclassified"] != t["retrained_hit_target"]
