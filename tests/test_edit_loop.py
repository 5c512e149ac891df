"""The student's edit loop (edit templates/, re-render): every answer lands in the PDF or the run says
where it is; every mistake is named in one line with its file and line; flags are never silently
ignored; quick runs never mix with full ones; nothing is left behind. (Math in answers: test_mathtex.py.)"""

import json
import re
import subprocess
import sys

import pytest
from pypdf import PdfReader

from helpers import REPO, copy_templates as _templates, edit_text as _edit, fails as _fails
from hw1.cli import PART_NUMBERS, main


# ------------------- template mistakes: one line naming the file and line, the previous report kept

def test_text_after_the_last_macro_is_named_not_dropped(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    answers.write_text(answers.read_text() + "\n<p>My extra paragraph.</p>\n")
    line = len(answers.read_text().splitlines())
    before = (part1_report / "hw1.pdf").read_bytes()
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           f"answers/part1.html.j2:{line}", "outside a {% macro %}", "My extra paragraph")
    assert (part1_report / "hw1.pdf").read_bytes() == before


def test_missing_stylesheet_is_one_line(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    (templates / "style.css").unlink()
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           "style.css is missing")


def test_misspelt_result_field_lists_the_valid_names(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    _edit(templates / "answers" / "part1.html.j2", "{{ r.l2_max|num(4) }}", "{{ r.l2_maxx|num(4) }}")
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           "l2_maxx", "it has:", "l2_max,", "ce_grad_abs_max")


def test_renamed_macro_is_reported_in_the_answers_file(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    _edit(templates / "answers" / "part1.html.j2", "{% macro q1() %}", "{% macro question1() %}")
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           "answers/part1.html.j2", "defines no macro q1()", "question1")


def test_unknown_filter_lists_the_available_ones(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    _edit(templates / "answers" / "part1.html.j2", "{{ r.l2_max|num(4) }}", "{{ r.l2_max|pctt(4) }}")
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           "pctt", "pct, num, sig, count, secs")


# ------------------------ flags: never ignored silently, wrong ones refused before anything is made

def test_report_only_names_the_flags_it_ignores(part1_report, capsys):
    assert main(["--report-only", "--parts", "1", "--seed", "7", "--out", str(part1_report)]) == 0
    err = capsys.readouterr().err
    assert "--parts, --seed are ignored" in err


def test_report_only_needs_no_gpu(part1_report, capsys):
    assert main(["--report-only", "--device", "cuda", "--out", str(part1_report)]) == 0
    assert "--device is ignored" in capsys.readouterr().err


def test_abbreviated_flags_are_refused(part1_report, capsys):
    _fails(["--report", "--out", str(part1_report)], capsys, "unrecognized arguments: --report")


def test_report_only_with_force_is_refused(part1_report, capsys):
    _fails(["--report-only", "--force", "--out", str(part1_report)], capsys, "--report-only", "--force")


def test_refused_report_only_creates_nothing(tmp_path, capsys):
    out = tmp_path / "never-made"
    _fails(["--report-only", "--out", str(out)], capsys, "no saved results")
    assert not out.exists()


def test_cli_part_numbers_are_the_registry():
    from hw1.parts import PARTS

    assert PART_NUMBERS == tuple(PARTS)


# --------------------------------- fast answers: help, argument errors and re-renders without torch

def test_help_and_argument_errors_do_not_import_torch():
    code = ("import sys\nfrom hw1.cli import main\ntry:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO TORCH')")
    for argv in (["--help"], ["--parts", "9"]):
        completed = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, cwd=REPO)
        assert completed.stdout.strip().endswith("NO TORCH"), (argv, completed.stdout[-200:], completed.stderr)


def test_report_only_does_not_import_torch(part1_report):
    code = ("import sys\nfrom hw1.cli import main\ncode = main(sys.argv[1:])\n"
            "print('TORCH' if 'torch' in sys.modules else 'NO TORCH', code)")
    completed = subprocess.run([sys.executable, "-c", code, "--report-only", "--out", str(part1_report)],
                               capture_output=True, text=True, cwd=REPO)
    assert completed.stdout.strip().endswith("NO TORCH 0"), completed.stdout[-300:] + completed.stderr[-500:]


def test_compute_only_saves_results_without_weasyprint_and_report_only_renders_them_later(tmp_path, capsys):
    """The split for a machine without WeasyPrint (the GPU image): compute there, render elsewhere."""
    out = tmp_path / "report"
    code = ("import sys\nsys.modules['weasyprint'] = None  # any import of it fails\nfrom hw1.cli import main\n"
            "print('EXIT', main(sys.argv[1:]))")
    completed = subprocess.run([sys.executable, "-c", code, "--quick", "--parts", "1", "--device", "cpu",
                                "--compute-only", "--out", str(out)], capture_output=True, text=True, cwd=REPO)
    assert completed.stdout.strip().endswith("EXIT 0"), completed.stdout[-300:] + completed.stderr[-500:]
    assert "results.json (render it with --report-only)" in completed.stdout
    assert list(json.loads((out / "results.json").read_text())["parts"]) == ["part1"]
    assert not list(out.glob("*.pdf")) and not list(out.glob("*.html")) and not list(out.glob("figures/*.png"))
    assert main(["--report-only", "--out", str(out)]) == 0
    assert (out / "hw1.pdf").is_file() and (out / "figures" / "part1_output.png").is_file()
    _fails(["--compute-only", "--report-only", "--out", str(out)], capsys, "--compute-only", "--report-only")
    _fails(["--compute-only", "--watch", "--out", str(out)], capsys, "--compute-only", "--watch")


# -------------------------------------------------------------- quick runs never mix with full ones

def test_quick_run_refuses_a_folder_of_full_results(part1_report, capsys):
    results = json.loads((part1_report / "results.json").read_text())
    results["mode"] = "full"  # as if a full run had written this folder
    (part1_report / "results.json").write_text(json.dumps(results))
    before = (part1_report / "results.json").read_bytes()
    _fails(["--quick", "--parts", "1", "--device", "cpu", "--out", str(part1_report)], capsys,
           "holds full results", "report-quick")
    assert (part1_report / "results.json").read_bytes() == before


def test_quick_runs_default_to_their_own_folder():
    from hw1.cli import DEFAULT_OUT, DEFAULT_QUICK_OUT

    assert DEFAULT_QUICK_OUT != DEFAULT_OUT


@pytest.mark.slow
def test_every_page_of_a_quick_pdf_says_it_is_a_smoke_run(quick_report):
    out, _, _ = quick_report
    pages = PdfReader(out / "hw1.pdf").pages
    assert len(pages) > 5
    for number, page in enumerate(pages, start=1):
        assert "QUICK SMOKE RUN" in page.extract_text(), number


# ------------------------------------- the finished folder: nothing left behind, times in the title

def test_no_lock_or_empty_checkpoints_folder_left_behind(part1_report):
    assert not (part1_report / ".hw1.lock").exists()
    assert not (part1_report / "checkpoints").exists()


def test_title_shows_the_date_and_the_run_record_when_numbers_were_computed(part1_report):
    html = (part1_report / "hw1.html").read_text()
    finished = json.loads((part1_report / "results.json").read_text())["parts"]["part1"]["finished_at"]
    assert re.search(r"<b>Date</b></td><td>\d{4}-\d\d-\d\d</td>", html)
    assert finished in (part1_report / "run-record.html").read_text()


# --------------------------------------------------------------------------------------- the README

def test_readme_says_how_far_numbers_repeat():
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "repeat exactly on the same machine and software" in readme
    assert "../shared" not in readme  # the repository stands alone
