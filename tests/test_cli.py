"""The command line end to end: a quick Part 1 run, cache reuse, and every bad input."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from helpers import REPO, copy_templates, fails
from hw1.errors import UserError
from hw1.pipeline import Options, run_pipeline
from hw1.store.storage import OutputLock


def _snapshot(folder: Path) -> dict[str, str]:
    """Hash of every file under `folder` (to prove a failed run changed nothing)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != ".hw1.lock"}


def test_cli_quick_part1_end_to_end_then_reuses_the_cache(part1_report, capsys):
    out = part1_report
    assert (out / "hw1.pdf").stat().st_size > 20_000 and (out / "hw1.html").is_file()
    results = json.loads((out / "results.json").read_text())
    entry = results["parts"]["part1"]
    assert entry["config"]["grid_points"] == 41 and entry["artifacts"].keys() == {"part1.npz"}
    assert results["environment"]["torch"] == torch.__version__
    assert (out / "artifacts" / "part1.npz").is_file()
    capsys.readouterr()

    lines: list[str] = []
    summary = run_pipeline(Options(parts=(1,), out=out, quick=True, device="cpu"), log=lines.append)
    assert summary.computed == [] and summary.reused == ["part1"]
    assert any("reusing saved result" in line for line in lines)
    assert json.loads((out / "results.json").read_text())["parts"]["part1"]["finished_at"] == entry["finished_at"]


def test_run_all_script_help_and_exit_codes():
    completed = subprocess.run([sys.executable, str(REPO / "run_all.py"), "--help"], capture_output=True, text=True)
    assert completed.returncode == 0
    for option in ("--device", "--parts", "--out", "--seed", "--quick", "--force", "--report-only"):
        assert option in completed.stdout


def _fails_cleanly(argv, out: Path, capsys, expected: str) -> None:
    """Fails as promised (exit 2, one clear line naming `expected`) and changes nothing on disk under `out`."""
    before = _snapshot(out) if out.is_dir() else None
    fails(argv, capsys, expected)
    if before is not None:
        assert _snapshot(out) == before  # nothing changed on disk


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_without_gpu(part1_report, capsys):
    _fails_cleanly(["--device", "cuda", "--parts", "1", "--quick", "--out", str(part1_report)], part1_report,
                   capsys, f"built for CUDA {torch.version.cuda}" if torch.version.cuda else "CPU-only build")


def test_unknown_part(part1_report, capsys):
    _fails_cleanly(["--parts", "7", "--out", str(part1_report)], part1_report, capsys, "unknown part '7'")


@pytest.mark.parametrize("value", ["-1", "1.5", "many"])
def test_bad_seed(part1_report, capsys, value):
    _fails_cleanly(["--seed", value, "--out", str(part1_report)], part1_report, capsys, "non-negative integer")


def test_output_path_that_is_a_file(tmp_path, capsys):
    target = tmp_path / "report.txt"
    target.write_text("not a folder")
    _fails_cleanly(["--parts", "1", "--quick", "--out", str(target)], tmp_path, capsys, "is a file")
    assert target.read_text() == "not a folder"


def test_unwritable_output_folder(tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("x")
    _fails_cleanly(["--parts", "1", "--quick", "--out", str(blocker / "report")], tmp_path, capsys,
                   "cannot write to output folder")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_read_only_output_folder(part1_report, capsys):
    part1_report.chmod(0o555)
    try:
        _fails_cleanly(["--parts", "1", "--quick", "--force", "--out", str(part1_report)], part1_report, capsys,
                       "cannot write")
    finally:
        part1_report.chmod(0o755)


def test_report_only_without_saved_results(tmp_path, capsys):
    out = tmp_path / "empty"
    out.mkdir()
    _fails_cleanly(["--report-only", "--out", str(out)], out, capsys, "no saved results")


def test_broken_template_stops_before_anything_is_written(part1_report, tmp_path, capsys):
    templates = copy_templates(tmp_path)
    (templates / "answers" / "part1.html.j2").write_text("{% macro q1() %}<p>{{ unclosed </p>{% endmacro %}\n")
    _fails_cleanly(["--parts", "1", "--quick", "--force", "--out", str(part1_report), "--templates", str(templates)],
                   part1_report, capsys, "answers/part1.html.j2:1")


def test_missing_variable_in_template_keeps_previous_report(part1_report, tmp_path, capsys):
    templates = copy_templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    answers.write_text(answers.read_text().replace("{{ r.l2_max|num(4) }}", "{{ r.l2_maximum|num(4) }}"))
    _fails_cleanly(["--report-only", "--out", str(part1_report), "--templates", str(templates)],
                   part1_report, capsys, "l2_maximum")


def test_missing_template_folder(part1_report, tmp_path, capsys):
    _fails_cleanly(["--report-only", "--out", str(part1_report), "--templates", str(tmp_path / "nowhere")],
                   part1_report, capsys, "is missing")


def test_second_run_on_a_folder_in_use_is_refused(part1_report, capsys):
    with OutputLock(part1_report):
        _fails_cleanly(["--parts", "1", "--quick", "--out", str(part1_report)], part1_report, capsys, "in use")
    with pytest.raises(UserError, match="in use"), OutputLock(part1_report), OutputLock(part1_report):
        pass


def test_outputs_are_readable_by_others_like_any_written_file(part1_report):
    mask = os.umask(0)
    os.umask(mask)
    for name in ("hw1.pdf", "hw1.html", "results.json", "artifacts/part1.npz"):
        assert (part1_report / name).stat().st_mode & 0o777 == 0o666 & ~mask, name
