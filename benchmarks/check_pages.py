"""How the report's pages are filled and headed, as a reader of a LaTeX document would check them.

For each page it prints how much of the text area below the last ink is empty, and counts as defects:
- a page whose last line of text is a heading;
- a running header (top right) that does not name the part in progress at the top of the page (LaTeX's
  running head), e.g. the part that only starts lower down;
- a page but the last more than --limit empty (issue 26: 25%), unless it is excepted, and then the exception is
  named: the next page starts with a figure or table (the next item could not fit), or with a part's heading
  or the references (the page is a part's last);
- a stranded line at a page break (LaTeX's widows and orphans): a paragraph's first line alone at the foot of a
  page, or its last line alone at the head of the next;
- a paragraph split by a block: a paragraph that runs over the page break but whose next page starts with a
  figure, a table or a caption before the rest of it.
A line "runs on" when it is justified to the right edge of the text area (a paragraph's last line stops short);
paragraphs are told apart by the gap between lines.

Usage: python benchmarks/check_pages.py report/hw1a.pdf [--limit 0.25]
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


# ------------------------------------------------------------------------- running headers and page starts

HEADER_BOTTOM_PT = 40.0  # pt from the top: the running header's two lines at most (the body starts at 2 cm = 56.7 pt)


def _page_words(pdf: Path) -> list[tuple[float, list[tuple[float, float, str, float]]]]:
    """Per page: (width, [(y, x, word, right edge)]) from pdftotext's word boxes, in points from the top left."""
    import html as html_module

    text = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.finditer(r'<page width="([\d.]+)"[^>]*>(.*?)</page>', text, re.S):
        words = [(float(y), float(x), html_module.unescape(w), float(right)) for x, y, right, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)"[^>]*>(.*?)</word>', page.group(2))]
        pages.append((float(page.group(1)), words))
    return pages


def _lines_of(words: list[tuple[float, float, str, float]]) -> list[str]:
    lines: dict[int, list[tuple[float, str]]] = {}
    for y, x, word, _ in words:
        lines.setdefault(round(y / 3), []).append((x, word))
    return [" ".join(w for _, w in sorted(line)) for _, line in sorted(lines.items())]


def _part_headings(html_path: Path) -> list[str]:
    """The texts of the headings that set the running header (h2 without string-set: none), in order."""
    page = html_path.read_text(encoding="utf-8") if html_path.is_file() else ""
    found = re.findall(r"<h2(?![^>]*string-set: none)[^>]*>(.*?)</h2>", page, flags=re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", h).split()) for h in found]


def _norm(text: str) -> str:
    """Letters and digits only, without a heading's points ("(20%)"), which may wrap onto another line."""
    return re.sub(r"[^0-9a-z]+", "", re.sub(r"\(\d+%\)", "", text).lower())


@dataclass(frozen=True)
class PageHead:
    number: int
    header: str  # the running header as printed
    expected: str  # the part in progress at the top of the page ("" before the first)
    first_line: str  # the first line of the body


def headers(pdf: Path) -> list[PageHead]:
    headings = _part_headings(pdf.with_suffix(".html"))
    heads, current = [], ""
    for number, (width, words) in enumerate(_page_words(pdf), start=1):
        top = [w for w in words if w[0] < HEADER_BOTTOM_PT]
        banner_rows = {round(y / 3) for y, x, *_ in top if x < width / 2}  # the quick run's banner, top left
        header = _lines_of([w for w in top if round(w[0] / 3) not in banner_rows])
        body = _lines_of([w for w in words if HEADER_BOTTOM_PT <= w[0] < 841.9 - 2.2 / 2.54 * 72])
        body = [line for line in body if not re.search(r"(\. ?){4,}", line)]  # contents lines are not headings
        starts = [h for h in headings for line in body[:1] if _norm(line).startswith(_norm(h)[:24])]
        expected = starts[0] if starts else current
        heads.append(PageHead(number, " ".join(header), expected, body[0] if body else ""))
        for line in body:  # the last part heading begun on this page carries over to the next
            current = next((h for h in headings if _norm(line).startswith(_norm(h)[:24])), current)
    return heads


def header_defects(heads: list[PageHead]) -> list[str]:
    wrong = []
    for head in heads[1:]:  # the title page has no running header
        if _norm(head.header) != _norm(head.expected):
            wrong.append(f"page {head.number}: header {head.header!r}, but the part in progress is {head.expected!r}")
    return wrong


_FLOAT_START = re.compile(r"^(Figure|Table) \d+\.")


def exception(next_head: PageHead | None, next_lines: list[str], headings: list[str]) -> str:
    """Why an emptier page is acceptable, or "" (a defect)."""
    if next_head is None:
        return "the last page"
    if any(_norm(next_head.first_line).startswith(_norm(h)[:24]) for h in headings):
        return f"a part's last page (the next starts {next_head.first_line[:40]!r})"
    for line in next_lines[:4]:
        if _FLOAT_START.match(line):
            return f"the next item did not fit: {line[:50]!r}"
    return ""


# ------------------------------------------------------------------- stranded lines and split paragraphs

TEXT_LEFT_PT, TEXT_RIGHT_PT = 2.2 / 2.54 * 72, 595.3 - 2.2 / 2.54 * 72  # the text area of templates/style.css
BODY_TOP_PT, BODY_BOTTOM_PT = 2.0 / 2.54 * 72, 841.9 - 2.2 / 2.54 * 72
LINE_PT = 11 * 1.38  # the body's line height; a larger gap between two lines starts a new block


@dataclass(frozen=True)
class Line:
    top: float  # pt from the page's top
    left: float
    right: float
    text: str

    @property
    def runs_on(self) -> bool:
        """Justified to the right edge from the left edge: a paragraph's line that is not its last."""
        return (self.right > TEXT_RIGHT_PT - 2 and self.left < TEXT_LEFT_PT + 2 and len(self.text.split()) >= 6
                and not _FLOAT_START.match(self.text) and not re.search(r"(\. ?){4,}", self.text))  # nor contents


def _body_lines(pdf: Path) -> list[list[Line]]:
    """Per page, the body's lines (running header and page footer left out), top to bottom."""
    pages = []
    for _, words in _page_words(pdf):
        rows: dict[int, list[tuple[float, float, str, float]]] = {}
        for word in words:
            if HEADER_BOTTOM_PT <= word[0] < BODY_BOTTOM_PT:
                rows.setdefault(round(word[0] / 3), []).append(word)
        pages.append([Line(min(w[0] for w in row), min(w[1] for w in row), max(w[3] for w in row),
                           " ".join(w[2] for w in sorted(row, key=lambda w: w[1]))) for _, row in sorted(rows.items())])
    return pages


def _paragraph_tail(lines: list[Line]) -> int:
    """How many lines the page's last block has (lines closer than 1.2 line heights belong together)."""
    count = 1
    for above, below in zip(reversed(lines[:-1]), reversed(lines[1:])):
        if below.top - above.top > 1.2 * LINE_PT or not above.runs_on:
            break
        count += 1
    return count


def break_defects(pdf: Path) -> list[str]:
    """Stranded lines and block-split paragraphs at every page break."""
    pages = _body_lines(pdf)
    found = []
    for number, (page, following) in enumerate(zip(pages, pages[1:]), start=1):
        if not page or not following or not page[-1].runs_on:
            continue  # the page ends with a paragraph's end (or a figure, a table, a heading)
        first = following[0]
        if _FLOAT_START.match(first.text) or first.top > BODY_TOP_PT + 2 * LINE_PT:
            found.append(f"page {number + 1}: the paragraph ending {page[-1].text[-40:]!r} on page {number} "
                         f"is split by a block (the page starts {first.text[:40]!r} at {first.top:.0f} pt)")
        elif _paragraph_tail(page) == 1:
            found.append(f"page {number}: a paragraph's first line alone at the foot: {page[-1].text[:50]!r}")
        elif not first.runs_on and (len(following) == 1 or following[1].top - first.top > 1.2 * LINE_PT):
            found.append(f"page {number + 1}: a paragraph's last line alone at the head: {first.text[:50]!r}")
    return found + [defect for number, page in enumerate(pages, start=1) for defect in _broken_lines(page, number)]


def _broken_lines(page: list[Line], number: int) -> list[str]:
    """A short line inside a justified paragraph (full lines above and below it, at the left margin): a line broken
    early, as WeasyPrint 70 sometimes does after a hyphen ("the tar-" / "geted" / "attack succeeds ...")."""
    found = []
    for above, line, below in zip(page, page[1:], page[2:]):
        if (above.runs_on and below.runs_on and not line.runs_on and line.left < TEXT_LEFT_PT + 2
                and line.top - above.top < 1.2 * LINE_PT and below.top - line.top < 1.2 * LINE_PT):
            found.append(f"page {number}: a line broken early inside a paragraph: {line.text[:40]!r} after "
                         f"{above.text[-30:]!r}")
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("--limit", type=float, default=0.25, help="largest empty share of a page but the last")
    args = parser.parse_args()
    fills = check(args.pdf)
    heads = headers(args.pdf)
    headings = _part_headings(args.pdf.with_suffix(".html"))
    problems, over_defects = 0, 0
    print(f"{'page':>4s} {'empty':>6s}  last line / (over the limit) next page's first line")
    for fill in fills:
        flag = ""
        if fill.ends_with_heading:
            flag, problems = "  <- ends with a heading", problems + 1
        over = fill.empty_share > args.limit and fill.number < len(fills)
        print(f"{fill.number:4d} {fill.empty_share:6.0%}  {fill.last_line[:70]}{flag}")
        if over:
            following = heads[fill.number] if fill.number < len(heads) else None
            why = exception(following, _lines(args.pdf, fill.number + 1)[1:], headings)
            over_defects += not why
            print(f"{'':12s}over {args.limit:.0%}: {'excepted, ' + why if why else 'DEFECT; next page starts: ' + fill.next_first_line[:60]}")
    wrong_headers = header_defects(heads)
    for line in wrong_headers:
        print(f"running header: {line}")
    broken = break_defects(args.pdf)
    for line in broken:
        print(f"page break: {line}")
    print(f"{len(fills)} pages; {sum(f.empty_share > args.limit for f in fills[:-1])} over {args.limit:.0%} empty "
          f"(the last page not counted), {over_defects} of them not excepted; {problems} ending with a heading; "
          f"{len(wrong_headers)} running headers naming another part; {len(broken)} stranded lines, early-broken lines or "
          f"block-split paragraphs")
    return 1 if problems or over_defects or wrong_headers or broken else 0


if __name__ == "__main__":
    sys.exit(main())
