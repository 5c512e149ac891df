"""The WeasyPrint speed-ups (hw1/rendering/speedups) are a claim to test: with and without them a quick
five-part report is the same PDF to a reader (text layer identical, pixels equal at 60 dpi), cold and warm;
on a WeasyPrint outside CHECKED_WEASYPRINT, or with HW1_PLAIN_WEASYPRINT=1, nothing of WeasyPrint is
touched and the report still renders; a WeasyPrint whose internals changed shape is left alone (at install)
or laid out in full (while rendering), with one line saying so."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest

weasyprint = pytest.importorskip("weasyprint")

from hw1.rendering import speedups  # noqa: E402
from hw1.rendering.speedups import incremental, pdf_cache, relayout  # noqa: E402


def _weasyprint_functions() -> dict:
    """What the speed-ups wrap, as WeasyPrint's modules and classes hold it now."""
    from weasyprint import layout
    from weasyprint.images import RasterImage, SVGImage
    from weasyprint.layout import block
    from weasyprint.pdf.fonts import Font

    return {"Font.subset": vars(Font)["subset"], "Font._fonttools_subset": vars(Font)["_fonttools_subset"],
            "SVGImage.draw": vars(SVGImage)["draw"], "RasterImage.get_x_object": vars(RasterImage)["get_x_object"],
            "layout.make_all_pages": layout.make_all_pages, "block.block_level_layout": block.block_level_layout}


def _assert_untouched() -> None:
    assert pdf_cache.installed() == [] and incremental.installed() == []
    for name, function in _weasyprint_functions().items():
        assert function.__module__.startswith("weasyprint"), f"{name} is still wrapped ({function.__module__})"


def test_plain_switch_removes_every_patch_and_puts_them_back(monkeypatch, capsys):
    speedups._SAID.clear()
    with monkeypatch.context() as patched:
        patched.setenv(speedups.PLAIN_ENV, "1")
        assert speedups.prepare() is False
        _assert_untouched()
    assert capsys.readouterr().err.count(f"{speedups.PLAIN_ENV} is set") == 1
    assert speedups.prepare() is True  # a checked WeasyPrint, the switch off: all installed again
    assert len(pdf_cache.installed()) == 4 and len(incremental.installed()) == 2
    assert all(not f.__module__.startswith("weasyprint") for f in _weasyprint_functions().values())


def test_an_unchecked_weasyprint_gets_no_patch_and_the_report_still_renders(part1_report, monkeypatch, capsys):
    from hw1.cli import main

    speedups._SAID.clear()
    (part1_report / "hw1.pdf").unlink()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(weasyprint, "__version__", "71.0")
            assert main(["--report-only", "--out", str(part1_report)]) == 0
            _assert_untouched()
            assert incremental.LAST["incremental"] is False
    finally:
        speedups.prepare()  # as the other tests of this process expect: installed on the checked version
    err = capsys.readouterr().err
    assert err.count("WeasyPrint 71.0 is not a version the speed-ups were checked against (70.0)") == 1, err
    text = subprocess.run(["pdftotext", str(part1_report / "hw1.pdf"), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "1.1 Output of the sigmoid neuron" in text


def test_pyproject_admits_exactly_the_checked_weasyprint():
    import tomllib

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    bounds = [d for d in project["dependencies"] if d.lower().startswith("weasyprint")]
    assert bounds == [f"weasyprint=={speedups.CHECKED_WEASYPRINT[0]}"] and len(speedups.CHECKED_WEASYPRINT) == 1


def test_changed_internals_are_left_alone_at_install(monkeypatch, capsys):
    """A WeasyPrint method with other parameters than the wrappers expect: nothing is wrapped."""
    from weasyprint.images import SVGImage
    from weasyprint.layout import page

    speedups._SAID.clear()
    pdf_cache.uninstall()
    incremental.uninstall()
    try:
        with monkeypatch.context() as patched:
            patched.setattr(SVGImage, "draw", lambda self, stream, width, height: None)
            patched.setattr(page, "remake_page", lambda index, context, root_box: None)
            assert pdf_cache.install() is False and incremental.install() is False
            assert pdf_cache.installed() == [] and incremental.installed() == []
    finally:
        speedups.prepare()
    err = capsys.readouterr().err
    assert "SVGImage.draw is not a method taking stream, concrete_width" in err
    assert "remake_page is not a function of (index, context, root_box, html" in err


def test_a_page_maker_of_another_shape_means_a_full_layout(monkeypatch, capsys):
    """The second render would keep pages, but page_maker's entries are not what relayout reads: one line,
    and WeasyPrint lays out every page (the same PDF as a render with nothing kept)."""
    assert incremental.enabled()
    html = ("<!DOCTYPE html><html><head><style>@page { size: A6 } p { margin: 0 0 2em }</style></head><body>"
            + "".join(f"<p>Paragraph {k} of a document that needs a few pages.</p>" for k in range(40))
            + "</body></html>")
    incremental.forget("shape")
    incremental.render(html, base_url="file:///nonexistent/", key="shape")
    with pytest.raises(relayout._ShapeChanged):
        relayout._entry((None, 1, True, ([0], {}, [], [])))  # four fields, not five
    with monkeypatch.context() as patched:
        patched.setattr(relayout, "_REMAKE_KEYS", relayout._REMAKE_KEYS | {"a_key_weasyprint_70_lacks"})
        edited = incremental.render(html.replace("Paragraph 30", "Paragraph thirty"), base_url="file:///nonexistent/",
                                    key="shape")
    assert incremental.LAST["incremental"] is False
    assert "page_maker entry is not (resume_at, next_page, right_page" in capsys.readouterr().err
    incremental.forget("shape")
    full = incremental.render(html.replace("Paragraph 30", "Paragraph thirty"), base_url="file:///nonexistent/",
                              key="shape")
    assert edited.write_pdf() == full.write_pdf()


# ------------------------------------------------ with and without the speed-ups: the same PDF to a reader

def _same_to_a_reader(fast: Path, plain: Path, work: Path) -> None:
    """The text layer (pdftotext) identical, and every page's pixels at 60 dpi (pdftoppm -r 60)."""
    texts = [subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
             for pdf in (fast, plain)]
    assert texts[0] == texts[1], f"{fast.name}: the text layers differ"
    work.mkdir(parents=True)
    for label, pdf in (("fast", fast), ("plain", plain)):
        subprocess.run(["pdftoppm", "-r", "60", str(pdf), str(work / label)], check=True)
    pages = [sorted(work.glob(f"{label}-*.ppm")) for label in ("fast", "plain")]
    assert len(pages[0]) == len(pages[1]) > 0, f"{fast.name}: {len(pages[0])} pages against {len(pages[1])}"
    for k, (a, b) in enumerate(zip(*pages), start=1):
        assert a.read_bytes() == b.read_bytes(), f"{fast.name}: page {k} differs at 60 dpi"


@pytest.mark.slow
def test_speedups_change_nothing_on_a_quick_report_cold_and_warm(quick_report, tmp_path, monkeypatch):
    from helpers import copy_templates, forget_speedups_memory
    from hw1.pipeline import Options, run_pipeline

    source, _, _ = quick_report
    templates = copy_templates(tmp_path)
    real_strftime = time.strftime  # the render time is printed on the title page: the same for both
    monkeypatch.setattr(time, "strftime", lambda fmt, *args: "2026-01-01 00:00" if fmt == "%Y-%m-%d %H:%M"
                        else real_strftime(fmt, *args))
    outs = {name: tmp_path / name for name in ("fast", "plain")}
    for out in outs.values():
        shutil.copytree(source, out)
        (out / "figures" / "pdf-cache.json").unlink(missing_ok=True)

    def render(name: str) -> list[Path]:
        if name == "plain":
            monkeypatch.setenv(speedups.PLAIN_ENV, "1")
        else:
            monkeypatch.delenv(speedups.PLAIN_ENV, raising=False)
        started = time.time()
        run_pipeline(Options(out=outs[name], report_only=True, templates=templates, progress=False),
                     log=lambda line: None)
        assert bool(pdf_cache.installed()) == bool(incremental.installed()) == (name == "fast")
        written = sorted(pdf for pdf in outs[name].glob("*.pdf") if pdf.stat().st_mtime >= started - 1)
        assert written and written[0].name == "hw1.pdf"
        return written

    try:
        forget_speedups_memory()
        for fast, plain in zip(render("fast"), render("plain"), strict=True):  # cold
            _same_to_a_reader(fast, plain, tmp_path / "cold" / fast.stem)
        answers = templates / "answers" / "part1.html.j2"
        text = answers.read_text()
        at = text.index("<p>", text.index("{% macro q1() %}"))
        answers.write_text(text[:at] + "<p>A new paragraph with a formula $\\zeta_3 = -\\tfrac{7}{9}$, "
                           "a new word (WARMWORD) and a letter no text used before: \u00de.</p>\n" + text[at:])
        fast_pdfs = render("fast")  # warm: this process rendered these files before
        assert incremental.LAST["incremental"], incremental.LAST
        for fast, plain in zip(fast_pdfs, render("plain"), strict=True):
            _same_to_a_reader(fast, plain, tmp_path / "warm" / fast.stem)
        assert "WARMWORD" in subprocess.run(["pdftotext", str(fast_pdfs[0]), "-"], capture_output=True, text=True,
                                            check=True).stdout
    finally:
        monkeypatch.delenv(speedups.PLAIN_ENV, raising=False)
        speedups.prepare()
