"""Rendering: templates -> HTML with typeset math -> PDF, with clear errors for broken templates."""

import re

import pytest

from helpers import copy_templates, pdf_text
from hw1.errors import UserError
from hw1.rendering.mathtex import replace_math
from hw1.pipeline import PartView
from hw1.rendering.render import DEFAULT_TEMPLATES, Renderer
from hw1.rendering.report_macros import count, num, pct, secs, sig
from hw1.toolkit.plotting import Figure


def _part1_view(tmp_path):
    import matplotlib.pyplot as plt

    from hw1.parts.part1_neuron.config import Part1Config
    from hw1.parts.part1_neuron.result import Part1Result

    (tmp_path / "figures").mkdir()
    fig, ax = plt.subplots(figsize=(2, 1.5))
    ax.plot([0, 1], [0, 1])
    fig.savefig(tmp_path / "figures" / "f.png")
    plt.close(fig)
    figure = Figure("figures/f.png", 2.0)
    result = Part1Result(
        output_min=1e-5, output_max=0.99999, l2_max=0.2499, l2_min=0.0,
        ce_min=0.6931471805599453, ce_max=6.0, ce_min_at_z=0.0, l2_grad_abs_max=0.0962, l2_grad_abs_max_at_z=1.3,
        ce_grad_abs_max=0.5, badly_wrong_fraction=0.68, l2_vanishing_fraction=0.5812, ce_vanishing_fraction=0.0,
        l2_grad_at_corner=6e-6, ce_grad_at_corner=0.49999,
        autograd_max_abs_error=1e-16,
    )
    names = ("output", "l2_loss", "l2_grad_w", "ce_loss", "ce_grad_w", "grad_slice")
    config = Part1Config()
    return PartView(number=1, title="Plot Loss and Gradient", config=config, result=result,
                    figures={n: figure for n in names}, seconds=0.5, device="cpu", seed=0,
                    finished_at="2025-12-31 23:00:00",
                    config_items=list(vars(config).items()), section_template="sections/part1.html.j2",
                    summary_template="summary/part1.html.j2")


def _context(tmp_path, environment=None):
    return {"parts": {"part1": _part1_view(tmp_path)},
            "environment": environment or {"device": "cpu", "torch": "x"},
            "generated_at": "2026-01-01 00:00", "computed_at": "2025-12-31 23:00", "quick": False}


def test_render_html_and_pdf_with_headings_bound_numbers_and_math(tmp_path):
    html_path, pdf_path = Renderer().write(_context(tmp_path), tmp_path)
    html = html_path.read_text()
    assert "1.6 What the five plots show" in html
    assert 'class="math"' in html and "$" not in html.split("<body>")[1].replace("\\$", "")
    text = pdf_text(pdf_path, "\n")
    assert "1. Plot Loss and Gradient" in text
    assert "1.3 Gradient of the L2 loss" in text
    assert "58%" in text  # l2_vanishing_fraction bound through the pct filter
    assert "Figure 6" in text and "Contents" in text


def test_values_from_results_are_escaped(tmp_path):
    # the environment is shown in the run record's appendix (--run-record)
    html = Renderer().render_html({**_context(tmp_path, {"device": "<script>alert(1)</script>"}), "run_record": True})
    assert "<script>alert(1)" not in html and "&lt;script&gt;" in html


def test_number_filters():
    assert pct(0.99312) == "99.3%" and pct(0.5, 0) == "50%"
    assert num(0.693147, 3) == "0.693"
    assert sig(0.0962, 2) == "0.096" and "<" not in sig(1.1e-16, 2)  # no HTML: replace_math sets the power
    assert replace_math(f"<p>{sig(1.1e-16, 2)}</p>") == "<p>1.1×10<sup>\u221216</sup></p>"
    assert replace_math(f"<p>{sig(-2.5e7, 2)}</p>") == "<p>\u22122.5×10<sup>7</sup></p>"
    assert count(60000) == "60,000"
    assert secs(5.25) == "5.2 s" and secs(125) == "2 min 5 s"


def test_sig_inside_math_is_latex_not_html():
    page = replace_math(f"<p>$\\epsilon = {sig(1.5e-5, 2)}$ and {sig(3e-9, 1)} in the text</p>")
    hidden = "".join(re.findall(r'<span class="math-text"[^>]*>([^<]*)</span>', page))  # the LaTeX, piece by piece
    assert hidden == "\\epsilon = 1.5\\times 10^{-5}"
    assert "3×10<sup>\u22129</sup> in the text" in page
    assert "\ue000" not in page and "\ue001" not in page


def test_math_is_typeset_and_escaped_dollars_survive():
    html = replace_math(r"cost \$5, loss $\frac{\partial L}{\partial w}$ and $$\sigma(z)$$")
    assert html.count('<img class="math"') == 2 and "cost $5" in html
    assert 'math-display' in html


def test_missing_variable_names_the_template_file_and_line(tmp_path):
    templates = copy_templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    lines = answers.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if "macro q6" in line) + 1
    lines.insert(index, "<p>{{ r.no_such_number|pct }}</p>")
    answers.write_text("\n".join(lines) + "\n")
    with pytest.raises(UserError) as error:
        Renderer(templates).render_html(_context(tmp_path))
    message = str(error.value)
    assert "answers/part1.html.j2" in message and "no_such_number" in message


def test_template_syntax_error_is_reported_before_rendering(tmp_path):
    templates = copy_templates(tmp_path)
    (templates / "sections" / "part1.html.j2").write_text("<p>{% if %}</p>\n")
    with pytest.raises(UserError, match=r"sections/part1\.html\.j2:1"):
        Renderer(templates)


def test_missing_main_template_is_a_clear_error(tmp_path):
    with pytest.raises(UserError, match="report.html.j2 is missing"):
        Renderer(tmp_path)


def test_bad_math_is_a_clear_error(tmp_path):
    templates = copy_templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    answers.write_text(answers.read_text().replace(r"$\log 2", r"$\notacommand{2}", 1))
    with pytest.raises(UserError, match="cannot typeset"):
        Renderer(templates).render_html(_context(tmp_path))


def test_reference_to_a_missing_figure_is_an_error(tmp_path):
    templates = copy_templates(tmp_path)
    answers = templates / "answers" / "part1.html.j2"
    answers.write_text(answers.read_text().replace("{% macro q1() %}", '{% macro q1() %}{{ ref("fig-p1-nope") }}', 1))
    with pytest.raises(UserError, match="fig-p1-nope"):
        Renderer(templates).render_html(_context(tmp_path))


def test_secs_never_prints_sixty_seconds():
    assert secs(119.7) == "2 min 0 s" and secs(179.7) == "3 min 0 s" and secs(59.97) == "1 min 0 s"
    assert secs(59.9) == "59.9 s" and secs(61.4) == "1 min 1 s"


@pytest.mark.slow
def test_every_citation_resolves_and_every_reference_is_cited(quick_report):
    """The bibliography (#17): each [n] in the text links to an entry, and each entry of references.toml is cited."""
    import re
    import tomllib

    out, _, _ = quick_report
    page = (out / "hw1.html").read_text(encoding="utf-8")
    entries = tomllib.loads((DEFAULT_TEMPLATES / "references.toml").read_text(encoding="utf-8"))
    cited = set(re.findall(r'<a class="cite" href="#ref-([\w-]+)">', page))
    listed = dict(re.findall(r'<li id="ref-([\w-]+)" value="(\d+)">', page))
    assert cited == set(listed) == set(entries)
    numbers = [int(listed[key]) for key in re.findall(r'<a class="cite" href="#ref-([\w-]+)">', page)]
    first_use = list(dict.fromkeys(numbers))
    assert first_use == list(range(1, len(entries) + 1))  # numbered in order of first citation


def test_citing_an_unknown_key_names_the_valid_keys(tmp_path):
    templates = copy_templates(tmp_path)
    renderer = Renderer(templates)
    template = renderer.env.from_string('{{ cite("goodfelow2015") }}')
    from hw1.rendering.report_macros import Numbering, make_globals

    with pytest.raises(ValueError, match="goodfellow2015"):
        template.render(**make_globals(Numbering(), Numbering(), True, templates, None, renderer.references))


def test_a_broken_references_file_is_one_clear_error(tmp_path):
    from hw1.errors import UserError

    templates = copy_templates(tmp_path)
    (templates / "references.toml").write_text('[mine]\nauthors = "Me"\ntitle = "Notes"\n')
    with pytest.raises(UserError, match=r"entry \[mine\] lacks venue, year"):
        Renderer(templates)


def test_font_subset_without_layout_tables_is_the_same_font():
    """fontTools decompiles GSUB/GPOS only to drop them; hw1 removes them first: the subset is the same."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    from hw1.rendering.speedups.pdf_cache import _without_layout_tables
    from hw1.rendering.render import FONTS_DIR

    class Font:  # what WeasyPrint's Font gives its subsetting: the file, its face index, missing glyphs
        def __init__(self, content):
            self.file_content, self.index, self.missing = content, 0, {}

    def fonttools_subset(font, to_unicode, hinting):  # as WeasyPrint 70 calls fontTools
        options = subset.Options(retain_gids=True, passthrough_tables=True, ignore_missing_glyphs=True,
                                 hinting=hinting, desubroutinize=True, notdef_outline=bool(font.missing))
        options.drop_tables += ["GSUB", "GPOS", "SVG"]
        subsetter = subset.Subsetter(options)
        subsetter.populate(gids=to_unicode)
        ttfont = TTFont(io.BytesIO(font.file_content), fontNumber=font.index)
        subsetter.subset(ttfont)
        out = io.BytesIO()
        ttfont.save(out)
        font.file_content = out.getvalue()

    content = (FONTS_DIR / "lmroman10-italic.otf").read_bytes()
    assert {"GSUB", "GPOS"} <= set(TTFont(io.BytesIO(content)).keys())
    cmap = TTFont(io.BytesIO(content)).getBestCmap()
    order = TTFont(io.BytesIO(content)).getGlyphOrder()
    glyphs = {order.index(cmap[ord(c)]): c for c in "Gradient of the loss, 0.5"}
    plain, stripped = Font(content), Font(content)
    fonttools_subset(plain, glyphs, False)
    _without_layout_tables(fonttools_subset)(stripped, glyphs, False)

    def timeless(data: bytes) -> bytes:  # fontTools stamps each subset with the time: two calls may straddle a second
        font = TTFont(io.BytesIO(data), recalcTimestamp=False)
        font["head"].modified = 0
        out = io.BytesIO()
        font.save(out)
        return out.getvalue()

    assert timeless(stripped.file_content) == timeless(plain.file_content)
    assert len(plain.file_content) < len(content) / 3


def test_svg_drawings_that_are_not_plain_paths_are_drawn_the_ordinary_way(tmp_path):
    """Only plain formula drawings are recorded and replayed; an SVG with a gradient (a pattern) is drawn as usual."""
    import base64

    import weasyprint
    from pypdf import PdfReader

    from hw1.rendering.speedups.pdf_cache import _FORMULA_DRAWINGS, install

    install()
    gradient = (b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><defs><linearGradient id="g">'
                b'<stop offset="0" stop-color="red"/><stop offset="1" stop-color="blue"/></linearGradient></defs>'
                b'<rect width="40" height="20" fill="url(#g)"/></svg>')
    path = b'<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20"><path d="M0 0 L40 20 L0 20 Z"/></svg>'
    uris = [f"data:image/svg+xml;base64,{base64.b64encode(svg).decode()}" for svg in (gradient, path)]
    page = "".join(f'<p>x <img src="{uri}"> y</p>' for uri in uris)
    for k in range(2):  # recorded, then replayed
        weasyprint.HTML(string=page).write_pdf(tmp_path / f"{k}.pdf")
        resources = PdfReader(tmp_path / f"{k}.pdf").pages[0]["/Resources"]
        assert resources["/Pattern"], "the gradient was not drawn"
    import hashlib

    recorded = {key.split("|")[0] for key in _FORMULA_DRAWINGS}
    assert hashlib.sha1(uris[1].encode()).hexdigest() in recorded
    assert hashlib.sha1(uris[0].encode()).hexdigest() not in recorded
    assert (tmp_path / "0.pdf").read_bytes().count(b"/Pattern") == (tmp_path / "1.pdf").read_bytes().count(b"/Pattern")


def test_formulas_reach_weasyprint_as_files_named_by_content(tmp_path):
    """The page WeasyPrint reads refers to each formula's SVG in figures/math/ (named by its content, so a
    warm process can keep it); a formula no longer used is removed; other images keep their data URIs."""
    import base64

    from hw1.rendering.speedups.pdf_cache import formulas_as_files

    def formula(svg: bytes) -> str:
        return f'<img class="math" alt="x" src="data:image/svg+xml;base64,{base64.b64encode(svg).decode()}" style="">'

    first, second = b"<svg>one</svg>", b"<svg>two</svg>"
    other = f'<img src="data:image/svg+xml;base64,{base64.b64encode(b"<svg>3</svg>").decode()}">'
    page = formulas_as_files(f"<p>{formula(first)} and {formula(second)} {other}</p>", tmp_path)
    folder = tmp_path / "figures" / "math"
    names = sorted(p.name for p in folder.glob("*.svg"))
    assert len(names) == 2 and other in page  # a non-formula image is left as it was
    assert all(f'src="figures/math/{name}"' in page for name in names)
    assert {(folder / name).read_bytes() for name in names} == {first, second}
    page = formulas_as_files(f"<p>{formula(second)}</p>", tmp_path)
    assert [(p.read_bytes()) for p in folder.glob("*.svg")] == [second]


def test_each_document_keeps_its_own_caches_so_a_second_render_recomputes_nothing(tmp_path, monkeypatch):
    """hw1.pdf and a hand-in are written into one folder (the hand-in while hw1.pdf is laid out). Each render
    keeps on disk only the formulas, font subsets and formula drawings it used: were the two documents to share
    those files, the hand-in's would overwrite hw1.pdf's, and every --report-only would typeset and subset
    hw1.pdf's other formulas and glyphs again (2.6 s of a 12 s render on a 2-core AVX2 machine)."""
    from hw1.rendering import mathtex
    from hw1.rendering.speedups import pdf_cache

    from helpers import copy_templates, edit_text, forget_speedups_memory

    templates = copy_templates(tmp_path / "combined")  # hw1.pdf's answers say more than the hand-in's
    edit_text(templates / "answers" / "part1.html.j2", "{% macro q1() %}",
              "{% macro q1() %}<p>Only here: $\\zeta_9 = \\tfrac{5}{11}$ and a letter no other text uses, \u00de.</p>")
    context = _context(tmp_path)
    Renderer(templates).write(context, tmp_path)
    Renderer().write({**context, "handin": "a", "run_record": False}, tmp_path, stem="hw1a")

    # a fresh process: nothing in memory, everything from the files on disk
    mathtex._DISK_CACHE.clear()
    forget_speedups_memory()
    on_disk: dict[str, set] = {}
    real_load = pdf_cache.load

    def load(path):
        real_load(path)
        on_disk["subsets"], on_disk["drawings"] = set(pdf_cache._SUBSETS), set(pdf_cache._FORMULA_DRAWINGS)

    def no_typesetting(tex, display):
        raise AssertionError(f"${tex}$ typeset again: hw1.pdf's formula cache lost it")

    monkeypatch.setattr(pdf_cache, "load", load)
    monkeypatch.setattr(mathtex, "_typeset", no_typesetting)
    Renderer(templates).write(context, tmp_path)
    if pdf_cache.installed():  # the speed-ups are on (a checked WeasyPrint): nothing subset or drawn afresh
        assert pdf_cache._USED_SUBSETS and pdf_cache._USED_SUBSETS <= on_disk["subsets"]
        assert pdf_cache._USED_DRAWINGS and pdf_cache._USED_DRAWINGS <= on_disk["drawings"]
