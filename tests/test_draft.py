"""Draft mode (run_all.py --draft, issue 27): the PDF names beside every paragraph, caption and table the
template file:line that wrote it, as SyncTeX leads from a PDF to the LaTeX source; the marks never reach
the hand-in."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hw1.rendering.template_env import mark_source


def test_marks_name_the_line_of_each_opening_tag_and_skip_jinja():
    source = ("{# <p>a comment #}\n<p>First {{ '<p>' }}\n<table><caption>x</caption></table>\n"
              "{% if a %}<li>y</li>{% endif %}<pre>z</pre>\n{% raw %}<p>raw</p>{% endraw %}\n<p\n class='q'>w</p>")
    marked = mark_source(source, "answers/x.html.j2")
    assert marked.count("\n") == source.count("\n")  # Jinja's error lines stay right
    assert re.findall(r'<(\w+) data-src="answers/x\.html\.j2:(\d+)"', marked) == [
        ("p", "2"), ("table", "3"), ("caption", "3"), ("li", "4"), ("p", "6")]
    assert "{# <p>a comment #}" in marked and "{{ '<p>' }}" in marked and "<pre>z</pre>" in marked
    assert "{% raw %}<p>raw</p>{% endraw %}" in marked


def _words(text: str) -> list[str]:
    return re.findall(r"[A-Za-z][A-Za-z'\u2019-]*", text)


def _rendered_words(inner_html: str) -> list[str]:
    """The words a reader sees in a paragraph of the HTML twin (formulas' hidden LaTeX left out)."""
    inner_html = re.sub(r'<span class="math-text"[^>]*>.*?</span>', " ", inner_html, flags=re.S)
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", inner_html)))


def _literal_words(source: str) -> list[str]:
    """The words written literally in template source: no {{ values }}, {% tags %}, {# comments #},
    formulas or HTML tags."""
    source = re.sub(r"{#.*?#}|{%.*?%}|{{.*?}}", " ", source, flags=re.S)
    source = re.sub(r"\$\$.*?\$\$|(?<!\\)\$.*?(?<!\\)\$", " ", source, flags=re.S)
    return _words(html.unescape(re.sub(r"<[^>]+>", " ", source)))


@pytest.mark.slow
def test_draft_marks_every_paragraph_with_the_line_that_holds_its_first_words(quick_report, tmp_path):
    from hw1.cli import main
    from hw1.rendering.render import DEFAULT_TEMPLATES

    source, _, _ = quick_report
    out = tmp_path / "report"
    shutil.copytree(source, out)
    hand_in = (out / "hw1.pdf").read_bytes()
    assert main(["--report-only", "--draft", "--out", str(out)]) == 0
    assert (out / "hw1.pdf").read_bytes() == hand_in  # the hand-in is not touched

    body = (out / "hw1-draft.html").read_text(encoding="utf-8").split("<body", 1)[1]
    paragraphs = re.findall(r"<p\b([^>]*)>(.*?)</p>", body, re.S)
    assert len(paragraphs) > 50
    draft_text = subprocess.run(["pdftotext", str(out / "hw1-draft.pdf"), "-"], capture_output=True, text=True,
                                check=True).stdout
    checked = 0
    for attributes, inner in paragraphs:
        mark = re.search(r'data-src="([^"]+):(\d+)"', attributes)
        assert mark, f"a paragraph without its file:line: {inner[:80]!r}"
        name, line = mark.group(1), int(mark.group(2))
        lines = (DEFAULT_TEMPLATES / name).read_text(encoding="utf-8").splitlines()
        opening = lines[line - 1].find("<p")
        assert opening >= 0, f"{name}:{line} holds no <p>: {lines[line - 1]!r}"
        literal = _literal_words("\n".join([lines[line - 1][opening:]] + lines[line:line + 3]))[:3]
        seen = _rendered_words(inner)
        if not literal or not seen:
            continue  # a paragraph of values and formulas only: no literal words to find
        assert seen[:len(literal)] == literal, f"{name}:{line} starts {literal}, the paragraph {seen[:6]}"
        assert f"{Path(name).name}:{line}" in draft_text, f"{name}:{line} is not in the draft PDF's margin"
        checked += 1
    assert checked > 50
    for page in out.glob("hw1*.html"):  # the hand-in's HTML twin and PDF carry no mark (the stylesheet names it)
        if "draft" not in page.name:
            assert not re.search(r"<\w+[^>]*\sdata-src=", page.read_text(encoding="utf-8")), page.name
    for pdf in out.glob("hw1*.pdf"):
        if "draft" not in pdf.name:
            text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
            assert not re.search(r"\.html\.j2:\d+", text), f"{pdf.name} carries draft marks"
