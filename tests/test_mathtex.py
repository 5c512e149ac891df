"""Math in the answers (hw1.rendering.mathtex): LaTeX between dollars is typeset, dollar amounts in prose stay prose,
and a formula that cannot be typeset is named with its file and line."""

import pytest

from helpers import copy_templates as _templates, edit_text as _edit
from hw1.errors import UserError
from hw1.rendering.mathtex import replace_math
from hw1.rendering.render import Renderer


def test_dollar_amounts_in_prose_stay_prose():
    assert replace_math("<p>costs $5 or $10 an hour</p>") == "<p>costs $5 or $10 an hour</p>"
    assert replace_math("<p>a single $5 here</p>") == "<p>a single $5 here</p>"
    assert replace_math(r"<p>literal \$x\$</p>") == "<p>literal $x$</p>"
    assert "<img" in replace_math("<p>and $x_1$ is math</p>")


def test_math_error_names_file_line_formula_and_the_literal_dollar(tmp_path):
    from test_render import _context  # tests/ is on sys.path (pytest rootdir-less import mode)

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
    from hw1.rendering.report_macros import count, pct, sig

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
    from hw1.rendering.mathtex import MathError

    with pytest.raises(MathError, match=r"unknown LaTeX command \\R \(write \\mathbb\{R\} instead\)"):
        replace_math(r"<p>$x \in \R^n$</p>")
    with pytest.raises(MathError, match="not closed"):
        replace_math(r"<p>$\frac{1}{2$</p>")


def test_displayed_fraction_is_display_size():
    from hw1.rendering.mathtex import tex_to_svg

    _, _, inline_height, _ = tex_to_svg(r"\frac{a}{b}", display=False)
    _, _, display_height, _ = tex_to_svg(r"\frac{a}{b}", display=True)
    assert display_height > 1.3 * inline_height


def test_the_hidden_text_widths_are_the_body_fonts():
    """The formulas' hidden LaTeX is squeezed to each drawing's width using the body font's advance widths,
    kept in mathtex as a table: it must be the font's."""
    from fontTools.ttLib import TTFont

    from hw1.rendering import mathtex

    font = TTFont(mathtex._TEXT_FONT)
    cmap, metrics = font.getBestCmap(), font["hmtx"]
    assert font["head"].unitsPerEm == 1000
    assert list(mathtex._ASCII_ADVANCES) == [metrics[cmap[code]][0] for code in range(32, 127)]
