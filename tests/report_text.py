"""The report as a reader sees it: the HTML twin's text with each formula as its LaTeX between dollars."""

from __future__ import annotations

import html
import re
from pathlib import Path

_BLOCK = r"p|div|h[1-6]|li|ol|ul|tr|td|th|table|caption|figure|figcaption|br|nav|section|span class=\"math-display\""


def report_text(path: Path, drop_code: bool = False) -> str:
    """The text of the report at `path`; `drop_code` leaves out <code> spans (dotted names like hw1.toolkit.models.X)."""
    return html_text(Path(path).read_text(encoding="utf-8"), drop_code)


def html_text(page: str, drop_code: bool = False) -> str:
    if drop_code:
        page = re.sub(r"<code\b.*?</code>", " ", page, flags=re.S)
    page = re.sub(r"<(style|head)\b.*?</\1>", " ", page, flags=re.S)
    # each formula's LaTeX also rides as transparent text beside its drawing (for pdftotext): read it once, from alt
    page = re.sub(r'<span class="math-text"[^>]*>.*?</span>', "", page, flags=re.S)
    page = re.sub(r'<img class="math"[^>]*?alt="([^"]*)"[^>]*>', lambda m: "$" + html.unescape(m.group(1)) + "$", page)
    page = re.sub(rf"</?(?:{_BLOCK})\b[^>]*>", " ", page)  # block boundaries separate words
    page = re.sub(r"<[^>]+>", "", page)  # inline tags (b, i, a, code, sup) do not
    return " ".join(html.unescape(page).split())
