"""A line broken early inside a justified paragraph (WeasyPrint 70 printed "the tar-" / "geted" / "attack ..." in
seed 8's hand-in b) is found in the layout and that paragraph alone is laid out again without automatic
hyphenation (hw1/rendering/linebreaks.py)."""

from __future__ import annotations

import re

import pytest

from hw1.rendering import linebreaks

STYLE = "<style>@page {size: A4; margin: 2cm} p {text-align: justify; hyphens: auto}</style>"
FULL = "The quick brown fox jumps over the lazy dog near the riverbank every single morning. " * 3


def _render(body: str):
    weasyprint = pytest.importorskip("weasyprint")
    return weasyprint.HTML(string=f"<html lang='en'><head>{STYLE}</head><body>{body}</body></html>").render()


def test_a_short_line_inside_a_justified_paragraph_is_found_and_only_that_paragraph_is_changed():
    # the middle paragraph: full lines, a one-word line forced by <br>, full lines again
    page_body = f"<p>{FULL}</p><p class='x'>{FULL}<br>geted<br>{FULL}</p><p>{FULL}</p>"
    page = f"<html lang='en'><head>{STYLE}</head><body>{page_body}</body></html>"
    broken, paragraphs = linebreaks.early_breaks(_render(page_body))
    assert (broken, paragraphs) == ([1], 3)
    fixed = linebreaks.without_auto_hyphens(page, broken, paragraphs)
    assert re.findall(r"<p[^>]*>", fixed) == ["<p>", "<p style=\"hyphens: manual\" class='x'>", "<p>"]


def test_well_broken_paragraphs_and_a_mismatched_page_are_left_alone():
    body = f"<p>{FULL}</p><p>{FULL} The end.</p>"
    assert linebreaks.early_breaks(_render(body)) == ([], 0)
    page = "<p>one</p><p>two</p>"
    assert linebreaks.without_auto_hyphens(page, [1], 3) == page  # the layout had 3 paragraphs, the page 2
