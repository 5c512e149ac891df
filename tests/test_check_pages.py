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
