"""Editing the code invalidates what it made: a part whose source changed is recomputed, and figures
whose drawing code changed are redrawn. Proven on an edited *copy* of the package, run as a user would."""

from pathlib import Path

import pytest

from helpers import copy_of_the_project, run_copy

pytestmark = pytest.mark.slow  # CLI runs of a project copy


def _run(project: Path, out: Path, data_dir: Path) -> str:
    return run_copy(project, ["--quick", "--parts", "1", "--device", "cpu", "--out", str(out), "--data-dir", str(data_dir)])


def test_editing_a_parts_code_recomputes_it_and_editing_figures_code_redraws(tmp_path, data_dir):
    project = copy_of_the_project(tmp_path / "project")
    out = tmp_path / "out"
    # (no plain rerun right after the first: the third run shows reuse, with the figure kept)
    assert "part 1 (Plot Loss and Gradient): computing" in _run(project, out, data_dir)
    figure = out / "figures" / "part1_output.png"
    drawn_at = figure.stat().st_mtime_ns

    part1 = project / "hw1" / "parts" / "part1_neuron" / "compute.py"
    part1.write_text(part1.read_text() + "\n# an edit that changes nothing computed, but the code is new\n")
    assert "part 1 (Plot Loss and Gradient): computing" in _run(project, out, data_dir)

    redrawn_after_recompute = figure.stat().st_mtime_ns
    assert "part 1 (Plot Loss and Gradient): reusing" in _run(project, out, data_dir)
    assert figure.stat().st_mtime_ns == redrawn_after_recompute  # unchanged result and code: figure reused

    figures_code = project / "hw1" / "parts" / "part1_neuron" / "figures.py"
    figures_code.write_text(figures_code.read_text() + "\n# a change to the drawing code\n")
    assert "part 1 (Plot Loss and Gradient): reusing" in _run(project, out, data_dir)
    assert figure.stat().st_mtime_ns > redrawn_after_recompute > drawn_at
