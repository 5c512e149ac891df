"""How the report's pages are filled: the empty share of each page and headings stranded at a page's foot.

Issue 18 asks that no heading be the last line of a page and that no page but the last be more than 40%
empty unless the next item could not fit. This prints, for each page, how much of the text area below the
last ink is empty, flags pages over the limit with the first line of the next page (the item that did not
fit), and flags a page whose last line of text is a heading.

Usage: python benchmarks/check_pages.py report/hw1.pdf [--limit 0.4]
(needs pdftoppm and pdftotext from poppler-utils; the HTML twin beside the PDF names the headings)
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

DPI = 36
# The text area of templates/style.css's @page: A4 with margins 2 cm (top) and 2.2 cm (bottom).
PAGE_HEIGHT_CM, TOP_MARGIN_CM, BOTTOM_MARGIN_CM = 29.7, 2.0, 2.2
INK = 200  # grey level below which a pixel counts as ink (0 black, 255 white)


@dataclass(frozen=True)
class PageFill:
    number: int  # 1-based
    empty_share: float  # of the text area's height, below the last ink
    last_line: str  # the page's last line of text (header and footer left out)
    next_first_line: str  # the next page's first line of text ("" on the last page)
    ends_with_heading: bool


def _lines(pdf: Path, page: int) -> list[str]:
    text = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    lines = [line for line in lines if not re.fullmatch(r"Page \d+ of \d+", line)]
    return lines


def _heading_texts(html_path: Path) -> list[str]:
    if not html_path.is_file():
        return []
    page = html_path.read_text(encoding="utf-8")
    headings = re.findall(r"<h[234][^>]*>(.*?)</h[234]>", page, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in headings]


def check(pdf: Path) -> list[PageFill]:
    from PIL import Image

    headings = [h for h in _heading_texts(pdf.with_suffix(".html")) if h]
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["pdftoppm", "-r", str(DPI), "-gray", str(pdf), f"{scratch}/p"], check=True)
        images = sorted(Path(scratch).glob("p-*.pgm"), key=lambda p: int(p.stem.split("-")[1]))
        pages = []
        for image_path in images:
            image = Image.open(image_path)
            width, height = image.size
            top = round(height * TOP_MARGIN_CM / PAGE_HEIGHT_CM)
            bottom = round(height * (1 - BOTTOM_MARGIN_CM / PAGE_HEIGHT_CM))
            pixels = image.load()
            last_ink = top
            for y in range(bottom - 1, top - 1, -1):
                if any(pixels[x, y] < INK for x in range(width)):
                    last_ink = y
                    break
            pages.append((bottom - 1 - last_ink) / (bottom - top))
    fills = []
    for k, empty in enumerate(pages, start=1):
        lines = _lines(pdf, k)
        last = lines[-1] if lines else ""
        following = _lines(pdf, k + 1) if k < len(pages) else []
        # the running header (the section's title, top right) is the first line of a page but the first
        heading_like = bool(last) and any(" ".join(last.split()) == h or h.startswith(" ".join(last.split()))
                                           for h in headings)
        fills.append(PageFill(k, empty, last, following[1] if len(following) > 1 else "", heading_like))
    return fills


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--limit", type=float, default=0.4, help="largest empty share of a page but the last")
    args = parser.parse_args()
    fills = check(args.pdf)
    problems = 0
    print(f"{'page':>4s} {'empty':>6s}  last line / (over the limit) next page's first line")
    for fill in fills:
        flag = ""
        if fill.ends_with_heading:
            flag, problems = "  <- ends with a heading", problems + 1
        over = fill.empty_share > args.limit and fill.number < len(fills)
        print(f"{fill.number:4d} {fill.empty_share:6.0%}  {fill.last_line[:70]}{flag}")
        if over:
            print(f"{'':12s}over {args.limit:.0%}; next page starts: {fill.next_first_line[:70]}")
    print(f"{len(fills)} pages; {sum(f.empty_share > args.limit for f in fills[:-1])} over {args.limit:.0%} empty "
          f"(the last page not counted); {problems} ending with a heading")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
