"""Editing the code invalidates what it made: a part whose source changed is recomputed, and figures
whose drawing code changed are redrawn. Proven on an edited *copy* of the package, run as a user would."""

import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _copy_of_the_project(target: Path) -> Path:
    shutil.copytree(REPO / "hw1", target / "hw1", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", target / "templates")
    shutil.copy(REPO / "run_all.py", target / "run_all.py")
    return target


def _run(project: Path, out: Path, data_dir: Path) -> str:
    # The copy's own package must be the one imported (not the installed one): checked, then run.
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import hw1; "
            "assert hw1.__file__.startswith(sys.argv[1]), hw1.__file__; "
            "from hw1.cli import main; sys.exit(main(sys.argv[2:]))")
    completed = subprocess.run(
        [sys.executable, "-c", code, str(project), "--quick", "--parts", "1", "--device", "cpu",
         "--out", str(out), "--data-dir", str(data_dir)],
        capture_output=True, text=True, cwd=project, timeout=300,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_editing_a_parts_code_recomputes_it_and_editing_figures_code_redraws(tmp_path, data_dir):
    project = _copy_of_the_project(tmp_path / "project")
    out = tmp_path / "out"
    assert "part 1 (Plot Loss and Gradient): computing" in _run(project, out, data_dir)
    assert "part 1 (Plot Loss and Gradient): reusing" in _run(project, out, data_dir)
    figure = out / "figures" / "part1_output.png"
    drawn_at = figure.stat().st_mtime_ns

    part1 = project / "hw1" / "part1_neuron.py"
    part1.write_text(part1.read_text() + "\n# an edit that changes nothing computed, but the code is new\n")
    assert "part 1 (Plot Loss and Gradient): computing" in _run(project, out, data_dir)

    redrawn_after_recompute = figure.stat().st_mtime_ns
    assert "part 1 (Plot Loss and Gradient): reusing" in _run(project, out, data_dir)
    assert figure.stat().st_mtime_ns == redrawn_after_recompute  # unchanged result and code: figure reused

    figures_code = project / "hw1" / "figures.py"
    figures_code.write_text(figures_code.read_text() + "\n# a change to the drawing code\n")
    assert "part 1 (Plot Loss and Gradient): reusing" in _run(project, out, data_dir)
    assert figure.stat().st_mtime_ns > redrawn_after_recompute > drawn_at
