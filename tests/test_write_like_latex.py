"""Writing answers as in LaTeX (issue 18): own images, own numbered figures and tables with
cross-references, the formulas of a LaTeX cheat sheet typeset and searchable in the PDF, errors that
point at the right file and line, a live preview (--watch) and the hand-in helpers."""

import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from helpers import fails as _fails
from helpers import pdf_text
from pypdf import PdfReader

from helpers import copy_templates as _templates
from hw1.cli import main

# LaTeX students write, one formula per kind: fractions, aligned, matrices, norms, sums with limits,
# unary minus after brackets and relations.
CHEAT_SHEET = [
    r"\frac{\partial \mathcal{L}}{\partial w} = \frac{1}{N}\sum_{i=1}^{N} (\hat{y}_i - y_i) x_i",
    r"\begin{aligned} h &= \tanh(W_1 x + b_1) \\ \hat{y} &= \sigma(w_2^\top h + b_2) \end{aligned}",
    r"A = \begin{pmatrix} 1 & -2 \\ -3 & 4 \end{pmatrix}",
    r"\lVert x - x' \rVert_2 \le \epsilon",
    r"\sum_{k=0}^{\infty} \frac{1}{k!} = e",
    r"w \in [-6, 6], I \ge -1, w = -b",
]


def _insert_into_q1(templates: Path, body: str) -> int:
    """Put `body` at the start of the q1 answer; return the line number of its first line."""
    answers = templates / "answers" / "part1.html.j2"
    lines = answers.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("{% macro q1()")) + 1
    lines[at:at] = body.splitlines()
    answers.write_text("\n".join(lines) + "\n")
    return at + 1


def _sketch(path: Path) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(2, 1))
    ax.text(0.5, 0.5, "SKETCH", ha="center")
    fig.savefig(path)
    plt.close(fig)


def test_own_image_figure_table_refs_and_cheat_sheet_reach_the_pdf(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    _sketch(templates / "my_sketch.png")
    _sketch(templates / "inline.png")
    (templates / "own_figures.py").write_text(
        "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n\n"
        "def ce_ceiling(parts, artifacts_dir):\n"
        "    fig, ax = plt.subplots(figsize=(3, 2))\n"
        "    ax.bar(['min', 'max'], [parts['part1'].result.ce_min, parts['part1'].result.ce_max])\n"
        "    return fig\n")
    formulas = "\n".join(f"<p>Formula {k}: $${tex}$$</p>" for k, tex in enumerate(CHEAT_SHEET))
    _insert_into_q1(templates, f"""<p>As {{{{ ref("fig-my-sketch") }}}} and {{{{ ref("tab-my-table") }}}} show,
and {{{{ ref("fig-my-plot") }}}} draws {{{{ cite("kingma2015", "hamey1998") }}}}: <img src="inline.png" style="width:2cm" alt="inline sketch"></p>
{{{{ figure("my_sketch.png", "My own sketch.", "fig-my-sketch", width=0.4) }}}}
{{{{ figure(draw("ce_ceiling"), "Drawn from the results.", "fig-my-plot") }}}}
{{{{ table([["min", r.ce_min|num(3)], ["max", r.ce_max|num(2)]], "My own table.", "tab-my-table",
          header=["what", "value"]) }}}}
{formulas}""")
    assert main(["--report-only", "--out", str(part1_report), "--templates", str(templates)]) == 0
    out = capsys.readouterr().out
    pdf = part1_report / "hw1.pdf"
    text = pdf_text(pdf, "\n")
    # numbers: the part's own figures come first (Figures 1-6 in Part 1 are after q1's own?) -> check by link text
    html = (part1_report / "hw1.html").read_text()
    assert 'src="figures/own/my_sketch.png"' in html and 'src="figures/own/inline.png"' in html
    assert 'src="figures/own/fig-my-plot.png"' in html
    for name in ("my_sketch.png", "inline.png", "fig-my-plot.png"):
        assert (part1_report / "figures" / "own" / name).is_file()
    import re

    sketch_number = re.search(r'<figure id="fig-my-sketch">.*?<b>Figure (\d+)\.</b>', html).group(1)
    table_number = re.search(r'<caption id="tab-my-table"><b>Table (\d+)\.</b>', html).group(1)
    assert f"As Figure {sketch_number} and Table {table_number} show" in " ".join(text.split())
    assert f"Figure {sketch_number}. My own sketch." in " ".join(text.split())
    # two citations, numbered in order of first use, and their entries in the bibliography
    assert re.search(r"draws \[\d+, \d+\]", " ".join(text.split()))
    assert "Adam: A Method for Stochastic Optimization" in text and "XOR has no local minima" in text
    # the images are in the PDF: hw1's own figures plus the three new ones
    images = sum(len(page.images) for page in PdfReader(pdf).pages)
    assert images >= 6 + 3, images
    # each formula's LaTeX is in the text layer
    flat = "".join(text.split())
    for tex in CHEAT_SHEET:
        assert "".join(tex.split()) in flat, tex
    if shutil.which("pdftotext"):
        layer = "".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout.split())
        for tex in CHEAT_SHEET:
            assert "".join(tex.split()) in layer, tex
    assert "questions -> pages" in out


def test_unary_minus_is_a_sign_and_binary_minus_subtracts():
    from ziamath.zmath import tex2mml

    from hw1.rendering.mathtex import _unary_minus

    def signs(tex):
        mathml = _unary_minus(tex2mml(tex, inline=True))
        return mathml.count('form="prefix">&#x02212;'), mathml.count("<mo>&#x02212;</mo>")

    assert signs("[-6, 6]") == (1, 0)
    assert signs(r"I \ge -1") == (1, 0)
    assert signs("w = -b") == (1, 0)
    assert signs(r"= -2(y - \hat{y})") == (1, 1)
    assert signs("f(x) - 1") == (0, 1)
    assert signs("a - b") == (0, 1)
    assert signs(r"\lVert x \rVert - 1") == (0, 1)


def test_missing_image_names_file_and_line(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    line = _insert_into_q1(templates, '<p><img src="no_such_sketch.png"></p>')
    before = (part1_report / "hw1.pdf").read_bytes()
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           f"answers/part1.html.j2:{line}", "no_such_sketch.png")
    assert (part1_report / "hw1.pdf").read_bytes() == before


@pytest.mark.parametrize("call, expected", [
    # "\t" in a Jinja string is a tab: the caption would print "$ anh(z)$" (issue 27)
    (r'{{ figure("sketch.png", "The $\tanh(z)$ squashes.", "fig-tanh") }}',
     [r'has a tab where "\t" was typed', r'write "The $\\tanh(z)$ squashes."']),
    (r'{{ table([["a", 1.0]], "Its $\frac{1}{2}$ share.", "tab-half") }}', ['has a form feed where "\\f" was typed']),
    (r'{{ figure("sketch.png", "Where $\nabla f = 0$.", "fig-grad") }}', ['has a line break where "\\n" was typed']),
    (r'{{ table([["a", 1.0]], "The $x^2 values.", "tab-x") }}', ["has an unbalanced $", "a literal dollar is \\$"]),
    (r'{{ table([["$a", 1.0]], "Fine.", "tab-cell") }}', ["table 'tab-cell': the cell", "unbalanced $"]),
    (r'{{ figure("tanh_plot.png", "A plot.", "fig-tanh") }}', ["image tanh_plot.png not found", "templates"]),
], ids=["tab", "form-feed", "line-break", "unbalanced-caption", "unbalanced-cell", "missing-image"])
def test_macro_argument_mistakes_name_file_and_line(part1_report, tmp_path, capsys, call, expected):
    """A LaTeX backslash eaten by a Jinja string, an unbalanced $ or a missing image in a macro's argument:
    one line with the file and line, exit 2, the previous PDF kept (never a silently wrong caption)."""
    templates = _templates(tmp_path)
    _sketch(templates / "sketch.png")
    line = _insert_into_q1(templates, call)
    before = (part1_report / "hw1.pdf").read_bytes()
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           f"answers/part1.html.j2:{line}: ", *expected)
    assert (part1_report / "hw1.pdf").read_bytes() == before


def test_doubled_backslashes_and_multi_line_captions_render(part1_report, tmp_path):
    """The fix the errors suggest works, and a caption string spanning lines (a line starting with a
    letter) is not mistaken for an escape."""
    templates = _templates(tmp_path)
    _sketch(templates / "sketch.png")
    _insert_into_q1(templates, '{{ figure("sketch.png", "The $\\\\tanh(z)$ squashes,\nand $a \\\\neq b$ costs $5.", '
                               '"fig-tanh") }}')
    assert main(["--report-only", "--out", str(part1_report), "--templates", str(templates)]) == 0
    text = pdf_text(part1_report / "hw1.pdf")
    assert "\\tanh(z)" in text and "\\neq" in text and "costs $5" in text


def test_pdftotext_reads_each_formula_between_the_words_around_it(part1_report, tmp_path):
    """Each formula's hidden LaTeX sits in the sentence's reading order (issue 27): pdftotext, plain and
    -layout, gives the sentence whole, the formula's source between the words before and after it."""
    templates = _templates(tmp_path)
    _insert_into_q1(templates, r"<p>Words before $\tanh(z) = \frac{1}{2}$ words after, then a long one "
                               r"$\hat{y} = \sigma(wx + b) = 1/(1 + e^{-(wx+b)})$ and $x_i \le \epsilon$ to close.</p>"
                               "\n" r"<p>Displayed: $$\frac{\partial L}{\partial w} = (\hat{y} - y)x$$ and after it.</p>")
    assert main(["--report-only", "--out", str(part1_report), "--templates", str(templates)]) == 0
    for option in ([], ["-layout"]):
        text = subprocess.run(["pdftotext", *option, str(part1_report / "hw1.pdf"), "-"], capture_output=True,
                              text=True, check=True).stdout
        text = " ".join(text.split())
        assert (r"Words before \tanh(z) = \frac{1}{2} words after, then a long one "
                r"\hat{y} = \sigma(wx + b) = 1/(1 + e^{-(wx+b)}) and x_i \le \epsilon to close.") in text, option
        assert r"Displayed: \frac{\partial L}{\partial w} = (\hat{y} - y)x and after it." in text, option


def test_wrong_ref_lists_the_valid_ids(part1_report, tmp_path, capsys):
    templates = _templates(tmp_path)
    line = _insert_into_q1(templates, '<p>{{ ref("fig-p1-ce-gradient") }}</p>')
    _fails(["--report-only", "--out", str(part1_report), "--templates", str(templates)], capsys,
           f"answers/part1.html.j2:{line}", "did you mean 'fig-p1-ce-grad'", "fig-p1-output", "fig-p1-slice")


@pytest.mark.parametrize("case", ["eps_after_epsilon", "line_break_first", "unclosed_if", "deleted_answers"])
def test_errors_name_the_right_file_and_line(part1_report, tmp_path, capsys, case):
    templates = _templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    before = (part1_report / "hw1.pdf").read_bytes()
    argv = ["--report-only", "--out", str(part1_report), "--templates", str(templates)]
    if case == "eps_after_epsilon":
        _insert_into_q1(templates, r"<p>A correct $\epsilon$ here.</p>")
        line = _insert_into_q1(templates, "<p>x</p>\n<p>y</p>\n" + r"<p>and a wrong $\eps$ here.</p>") + 2
        _fails(argv, capsys, f"answers/part1.html.j2:{line}", r"\eps", r"\epsilon")
    elif case == "line_break_first":
        line = _insert_into_q1(templates, r"<p>$\\ y$</p>")
        _fails(argv, capsys, f"answers/part1.html.j2:{line}", "cannot typeset")
    elif case == "unclosed_if":
        line = _insert_into_q1(templates, "{% if true %}\n<p>never closed</p>")
        error = _fails(argv, capsys, f"answers/part1.html.j2:{line}", "{% if %} is never closed")
        assert ".;" not in error
    else:
        answers.unlink()
        _fails(argv, capsys, "answers/part1.html.j2 is missing", "git checkout templates/answers/part1.html.j2")
    assert (part1_report / "hw1.pdf").read_bytes() == before


def test_truncated_results_with_report_only_is_one_clear_error(part1_report, capsys):
    results = part1_report / "results.json"
    results.write_text(results.read_text()[:200])
    before = (part1_report / "hw1.pdf").read_bytes()
    error = _fails(["--report-only", "--out", str(part1_report)], capsys, "damaged", "run without --report-only")
    assert "recomputed" not in error
    assert (part1_report / "hw1.pdf").read_bytes() == before


def test_no_weasyprint_warning_and_hand_in_lines(part1_report, capsys, caplog):
    import logging

    caplog.set_level(logging.WARNING, logger="weasyprint")
    assert main(["--report-only", "--out", str(part1_report)]) == 0
    out = capsys.readouterr().out
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")], caplog.records
    assert sum('still says "Your Name (PennKey)"' in line for line in out.splitlines()) == 1
    pages = len(PdfReader(part1_report / "hw1.pdf").pages)
    assert f"{pages} pages; questions -> pages" in out and "1.1 p. " in out
    saved = (part1_report / "hw1-pages.txt").read_text()
    assert saved.startswith(f"hw1.pdf: {pages} pages") and "1.6 What the five plots show\tp. " in saved


def test_other_weasyprint_warnings_stay_visible(caplog):
    import logging

    from hw1.rendering.render import _quiet_font_subsetting_warning

    _quiet_font_subsetting_warning()
    logger = logging.getLogger("weasyprint")
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        logger.warning('Using fontTools instead of HarfBuzz-Subset for font "%s". This will be slow', "LM")
        logger.warning("Ignored `foo: bar` at 1:1, unknown property.")
    assert [r.getMessage() for r in caplog.records] == ["Ignored `foo: bar` at 1:1, unknown property."]


def test_title_switch_drops_the_generated_by_line(part1_report, tmp_path):
    templates = _templates(tmp_path)
    title = templates / "answers" / "title.html.j2"
    title.write_text(title.read_text().replace("say_generated_by_hw1 = true", "say_generated_by_hw1 = false"))
    assert main(["--report-only", "--out", str(part1_report), "--templates", str(templates)]) == 0
    assert "Submission generated by" not in (part1_report / "hw1.html").read_text()


def test_watch_rerenders_after_a_save_and_survives_an_error(part1_report, tmp_path):
    from hw1.cli import watch
    from hw1.pipeline import Options, run_pipeline

    templates = _templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    stop = threading.Event()
    results: list[bool] = []
    options = Options(out=part1_report, report_only=True, templates=templates)
    thread = threading.Thread(target=watch, args=(options, run_pipeline),
                              kwargs={"stop_event": stop, "on_render": results.append})
    thread.start()

    def wait_for(count):
        deadline = time.monotonic() + 60
        while len(results) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(results) >= count, results

    try:
        wait_for(1)
        assert results == [True]
        time.sleep(0.3)  # let the watcher start
        good = (part1_report / "hw1.pdf").read_bytes()
        answers.write_text(answers.read_text().replace("{% endmacro %}", "{% endmacro", 1))  # broken
        wait_for(2)
        assert results[1] is False and (part1_report / "hw1.pdf").read_bytes() == good
        answers.write_text(answers.read_text().replace("{% endmacro\n", "{% endmacro %}\n", 1)
                           .replace("{% macro q1() %}", "{% macro q1() %}<p>WATCHEDWORD</p>", 1))
        wait_for(3)
        assert results[2] is True
        assert "WATCHEDWORD" in pdf_text(part1_report / "hw1.pdf", "\n")
        from hw1.rendering.speedups import incremental

        if incremental.enabled():  # the warm render laid out only the pages the edit touched (hw1/rendering/speedups/incremental.py)
            assert incremental.LAST["incremental"], incremental.LAST
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_long_inline_formula_may_break_after_a_relation_and_keeps_its_text():
    import re

    from hw1.rendering.mathtex import _split_at_relations, replace_math

    tex = r"\hat{y} = \sigma(wx + b) = 1/(1 + e^{-(wx+b)})"
    assert _split_at_relations(tex) == [r"\hat{y} =", r"\sigma(wx + b) =", r"1/(1 + e^{-(wx+b)})"]
    assert _split_at_relations(r"\sum_{i=1}^{N} x_i \le \frac{a = b}{c}") == [r"\sum_{i=1}^{N} x_i \le", r"\frac{a = b}{c}"]
    assert _split_at_relations(r"\left( a = b \right) + c + d + e") == [r"\left( a = b \right) + c + d + e"]
    assert _split_at_relations("x = 1") == ["x = 1"]  # short: never split
    html = replace_math(f"<p>${tex}$</p>")
    assert html.count("<img") == 3 and html.count("<wbr>") == 2
    # each piece carries its own LaTeX, just before its drawing: the text layer reads the whole formula in order
    hidden = re.findall(r'<span class="math-text"[^>]*>([^<]*)</span><img', html)
    assert hidden == [r"\hat{y} = ", r"\sigma(wx + b) = ", r"1/(1 + e^{-(wx+b)})"]


def _normalised_text(pdf: Path) -> str:
    """pdftotext's text of the PDF, with the render time (YYYY-MM-DD HH:MM) taken out."""
    import re

    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d", "<time>", text)


def test_warm_render_after_edits_is_the_cold_render(part1_report, tmp_path):
    """What a warm process (--watch) keeps between renders (compiled templates, font subsets, formula
    drawings, loaded figures and their PDF images) and what <out>/figures/pdf-cache.json keeps between processes change
    nothing: after edits, the warm PDF has the pages, text and page drawings of a cold --report-only of
    the same templates in a fresh process, with and without that file."""
    import re
    import sys

    from hw1.pipeline import Options, run_pipeline

    templates = _templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    options = Options(out=part1_report, report_only=True, templates=templates, handins=False)  # hw1.pdf, as --watch
    run_pipeline(options, log=lambda line: None)  # the caches filled with the shipped answers
    original = answers.read_text()
    # a new word, a new formula, a letter no other text uses (a new font subset) and a power of ten
    edited = original.replace("{% macro q1() %}", "{% macro q1() %}<p>WARMWORD \u00de $\\zeta_3 = -\\tfrac{7}{9}$ "
                              "{{ 0.000012|sig(2) }}</p>", 1)
    for text in (edited, original, edited):  # hits and misses of every cache
        answers.write_text(text)
        run_pipeline(options, log=lambda line: None)
    warm = tmp_path / "warm.pdf"
    shutil.copyfile(part1_report / "hw1.pdf", warm)

    cold_out = tmp_path / "cold"
    shutil.copytree(part1_report, cold_out)
    (cold_out / "hw1.pdf").unlink()
    (cold_out / "figures" / "pdf-cache.json").unlink()  # nothing drawn or subset before: all computed afresh
    cold, from_disk = tmp_path / "cold.pdf", tmp_path / "cold-from-disk-cache.pdf"
    for target in (cold, from_disk):  # the second run reuses the first one's <out>/figures/pdf-cache.json
        completed = subprocess.run([sys.executable, str(Path(__file__).resolve().parent.parent / "run_all.py"),
                                    "--report-only", "--out", str(cold_out), "--templates", str(templates)],
                                   capture_output=True, text=True)
        assert completed.returncode == 0, completed.stderr
        shutil.copyfile(cold_out / "hw1.pdf", target)
    warm_text = _normalised_text(warm)
    assert "WARMWORD \u00de" in warm_text and "1.2×10" in warm_text and "\\zeta_3" in warm_text
    for other in (cold, from_disk):
        assert _normalised_text(other) == warm_text
        warm_pages, other_pages = PdfReader(warm).pages, PdfReader(other).pages
        assert len(warm_pages) == len(other_pages)
        for k, (a, b) in enumerate(zip(warm_pages, other_pages)):
            if not re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", b.extract_text()):  # the render time differs
                # images are named after their URL, which holds the output folder: compare without the names
                same = [re.sub(rb"/i[0-9a-f]{32}", b"/i", page.get_contents().get_data()) for page in (a, b)]
                assert same[0] == same[1], f"{other.name}: page {k + 1} differs"
            # the figures' pixels (and alpha masks) as drawn: a warm render reuses the decoded figures
            pixels = [sorted(image.image.tobytes() + image.image.mode.encode() for image in page.images)
                      for page in (a, b)]
            assert pixels[0] == pixels[1], f"{other.name}: the images of page {k + 1} differ"


def test_warm_image_cache_sees_a_replaced_image_and_keeps_formulas(tmp_path):
    """The image cache a warm process keeps between renders: a PNG file replaced under the same name is
    loaded again (the PDF shows the new pixels); a formula file (named by its content) and a data URI are
    kept; an SVG file that is not a formula is not (it holds the render that loaded it)."""
    import os

    import weasyprint
    from PIL import Image

    from hw1.rendering.speedups import pdf_cache

    pdf_cache.install()
    png, other_svg = tmp_path / "mine.png", tmp_path / "mine.svg"
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><path d="M0 0 L40 20 L0 20 Z"/></svg>'
    formula = tmp_path.joinpath(*pdf_cache.FORMULA_FOLDER, pdf_cache.formula_file_name(svg))
    formula.parent.mkdir(parents=True)
    formula.write_bytes(svg)
    other_svg.write_bytes(svg)
    page = (f'<p><img src="{png.as_uri()}" style="width:2cm"> <img src="{formula.as_uri()}"> '
            f'<img src="{other_svg.as_uri()}"></p>')

    def render(colour: tuple) -> bytes:
        Image.new("RGB", (8, 8), colour).save(png)
        os.utime(png, ns=(png.stat().st_mtime_ns + 10**9,) * 2)  # a save in the same clock tick still counts
        cache = pdf_cache.image_cache()
        out = tmp_path / "out.pdf"
        weasyprint.HTML(string=page).write_pdf(out, cache=cache)
        pdf_cache.note_loaded_images()
        return PdfReader(out).pages[0].images[0].image.convert("RGB").getpixel((0, 0))

    assert render((255, 0, 0)) == (255, 0, 0)
    kept = dict(pdf_cache._IMAGES)
    assert render((0, 0, 255)) == (0, 0, 255), "a replaced image was drawn from the cache"
    assert pdf_cache._IMAGES[formula.as_uri()] is kept[formula.as_uri()]
    assert pdf_cache._IMAGES[other_svg.as_uri()] is not kept[other_svg.as_uri()]
