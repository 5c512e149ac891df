"""The student's edit loop (edit templates/, re-render): every answer lands in the PDF or the run says
where it is; every mistake is named in one line with its file and line; flags are never silently
ignored; quick runs never mix with full ones; nothing is left behind."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import copy_templates as _templates
from helpers import fails as _fails
from pypdf import PdfReader

from helpers import REPO
from hw1.cli import PART_NUMBERS, main
from hw1.errors import UserError
from hw1.mathtex import replace_math
from hw1.render import Renderer


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


# 1. ------------------------------------------------------------------ answers outside a macro

def test_text_after_the_last_macro_is_named_not_dropped(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    answers.write_text(answers.read_text() + "\n<p>My extra paragraph.</p>\n")
    line = len(answers.read_text().splitlines())
    before = (part1_report / "hw1.pdf").read_bytes()
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           f"answers/part1.html.j2:{line}", "outside a {% macro %}", "My extra paragraph")
    assert (part1_report / "hw1.pdf").read_bytes() == before


# 2. ------------------------------------------------------------------ quick never mixes with full

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


# 3-5. ------------------------------------------------------------------------------- math

def test_dollar_amounts_in_prose_stay_prose():
    assert replace_math("<p>costs $5 or $10 an hour</p>") == "<p>costs $5 or $10 an hour</p>"
    assert replace_math("<p>a single $5 here</p>") == "<p>a single $5 here</p>"
    assert replace_math(r"<p>literal \$x\$</p>") == "<p>literal $x$</p>"
    assert "<img" in replace_math("<p>and $x_1$ is math</p>")


def test_math_error_names_file_line_formula_and_the_literal_dollar(tmp_path):
    from test_render import (
        _context,  # tests/ is on sys.path (pytest rootdir-less import mode)
    )

    templates = _templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    _edit(answers, r"$\log 2", r"$\notacommand{2}")
    line = next(i for i, text in enumerate(answers.read_text().splitlines(), 1) if r"\notacommand" in text)
    with pytest.raises(UserError) as error:
        Renderer(templates).render_html(_context(tmp_path))
    message = str(error.value)
    assert f"answers/part1.html.j2:{line}" in message and r"\notacommand" in message and r"\$" in message
    assert "\n" not in message and len(message) < 400 and "<p>" not in message


def test_filters_inside_math_give_valid_math():
    from hw1.render import count, pct, sig

    for value in (pct(0.9954, 2), sig(1.5e-5, 2), count(60000), sig(0.25)):
        assert "<img" in replace_math(f"<p>$\\epsilon = {value}$</p>"), value


@pytest.mark.parametrize("tex", [
    r"a \le b \ge c", r"\tfrac{1}{2}", r"\displaystyle \sum_i x_i", r"\lVert x \rVert_2", r"\lvert x \rvert",
    r"\begin{aligned} a &= b \\ c &= d \end{aligned}", r"\operatorname*{argmax}_y p(y)", r"\text{if } x > 0",
    r"\begin{cases} 1 & x > 0 \\ 0 & \text{else} \end{cases}", r"\mathbb{R}^{n}", r"x \coloneqq y",
])
def test_latex_students_write_is_typeset(tex):
    assert "<img" in replace_math(f"<p>${tex}$</p>")


def test_unknown_command_suggests_a_spelling():
    from hw1.mathtex import MathError

    with pytest.raises(MathError, match=r"unknown LaTeX command \\R \(write \\mathbb\{R\} instead\)"):
        replace_math(r"<p>$x \in \R^n$</p>")
    with pytest.raises(MathError, match="not closed"):
        replace_math(r"<p>$\frac{1}{2$</p>")


def test_displayed_fraction_is_display_size():
    from hw1.mathtex import tex_to_svg

    _, _, inline_height, _ = tex_to_svg(r"\frac{a}{b}", display=False)
    _, _, display_height, _ = tex_to_svg(r"\frac{a}{b}", display=True)
    assert display_height > 1.3 * inline_height


# 6. ---------------------------------------------------------------- fast answers to the CLI

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


def test_cli_part_numbers_are_the_registry():
    from hw1.parts import PARTS

    assert PART_NUMBERS == tuple(PARTS)


# 7. ----------------------------------------------------------------------- errors that escaped

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


# 8. ----------------------------------------------------------------------- flags never ignored silently

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


# 9. ----------------------------------------------------------------------------- leftovers

def test_no_lock_or_empty_checkpoints_folder_left_behind(part1_report):
    assert not (part1_report / ".hw1.lock").exists()
    assert not (part1_report / "checkpoints").exists()


def test_refused_report_only_creates_nothing(tmp_path, capsys):
    out = tmp_path / "never-made"
    _fails(["--report-only", "--out", str(out)], capsys, "no saved results")
    assert not out.exists()


def test_title_shows_when_numbers_were_computed_and_when_rendered(part1_report):
    html = (part1_report / "hw1.html").read_text()
    finished = json.loads((part1_report / "results.json").read_text())["parts"]["part1"]["finished_at"][:16]
    assert f"numbers computed up to {finished}" in html and "report rendered" in html


# 10. ------------------------------------------------------------------------------ README

def test_readme_says_how_far_numbers_repeat():
    readme = " ".join((REPO / "README.md").read_text().split())
    assert "repeat exactly on the same machine and software" in readme
    assert "../shared" not in readme  # the repository stands alone
