"""benchmarks/check_pages.py finds what LaTeX never prints: a paragraph's first line alone at the foot of a page
(an orphan) and its last line alone at the head of the next (a widow). Checked on small documents laid out with the
report's page and body settings, once with the stylesheet's orphans: 2; widows: 2 and once without them."""

from __future__ import annotations

import importlib.util
import sys

import pytest

from helpers import REPO

WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore et dolore "
         "magna aliqua").split()


def _check_pages():
    spec = importlib.util.spec_from_file_location("check_pages", REPO / "benchmarks" / "check_pages.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("check_pages", module)  # its dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def _paragraph(words: int, shift: int = 0) -> str:
    return "<p>" + " ".join(WORDS[(i * 7 + shift) % len(WORDS)] for i in range(words)) + ".</p>"


def _defects(tmp_path, lead_words: int, stranding: str) -> list[str]:
    """A paragraph of `lead_words` words, then two short ones, on the report's A4 page (templates/style.css)."""
    import weasyprint

    style = (f"@page {{size: A4; margin: 2cm 2.2cm 2.2cm 2.2cm}} html {{font-family: 'Latin Modern Roman', serif; "
             f"font-size: 11pt; line-height: 1.38}} body {{margin: 0 auto; max-width: 16.6cm}} "
             f"p {{margin: 0.35em 0 0.6em 0; text-align: justify; hyphens: auto; {stranding}}}")
    body = _paragraph(lead_words) + _paragraph(60, 3) + _paragraph(60, 5)
    pdf = tmp_path / f"{lead_words}.pdf"
    weasyprint.HTML(string=f"<html><head><style>{style}</style></head><body>{body}</body></html>").write_pdf(pdf)
    return _check_pages().break_defects(pdf)


# lead paragraphs whose next paragraph starts on page 1's last line, and whose own last line falls alone on page 2
ORPHAN_LEADS, WIDOW_LEADS = (561, 567), (600, 606)


@pytest.mark.parametrize("lead", ORPHAN_LEADS + WIDOW_LEADS)
def test_a_stranded_line_is_found_and_the_stylesheets_settings_leave_none(tmp_path, lead):
    found = _defects(tmp_path, lead, "orphans: 1; widows: 1")
    kind = "first line alone at the foot" if lead in ORPHAN_LEADS else "last line alone at the head"
    assert len(found) == 1 and kind in found[0], found
    assert _defects(tmp_path, lead, "orphans: 2; widows: 2") == []


def test_a_line_broken_early_inside_a_paragraph_is_found_and_a_paragraphs_end_is_not():
    """WeasyPrint 70 once broke "the tar-" / "geted" / "attack succeeds ..." (seed 8's hand-in b): a short line between
    two full lines of one paragraph. A paragraph's short last line before the next paragraph is no defect."""
    cp = _check_pages()
    full = "word " * 12

    def line(top, text, right=cp.TEXT_RIGHT_PT):
        return cp.Line(top, cp.TEXT_LEFT_PT, right, text.strip())

    step = cp.LINE_PT
    broken = [line(100, full), line(100 + step, "geted", cp.TEXT_LEFT_PT + 30), line(100 + 2 * step, full)]
    assert len(cp._broken_lines(broken, 7)) == 1 and "'geted'" in cp._broken_lines(broken, 7)[0]
    ended = [line(100, full), line(100 + step, "the end.", cp.TEXT_LEFT_PT + 40), line(100 + 2.5 * step, full)]
    assert cp._broken_lines(ended, 7) == []
