"""LaTeX math to inline SVG, because WeasyPrint runs no JavaScript (no MathJax/KaTeX).

The engine is ziamath (pure Python: LaTeX -> MathML -> SVG paths in Latin Modern Math, the math
companion of the body text's Latin Modern Roman, both shipped in hw1/fonts/). It
was chosen over matplotlib's mathtext by measurement (docs/development.md, "The math engine"): it typesets
the LaTeX students write (`\\le`, `\\tfrac`, `\\lVert`, `aligned`, `cases`, `pmatrix` ... where
mathtext refused 18 of 80 common constructs), about 20 times faster, and display math is in display
style (a displayed `\\frac` is a full-size fraction).

Templates write `$...$` (inline) or `$$...$$` (display); after Jinja has rendered the page,
`replace_math` swaps each for an <img> holding the SVG as a data URI, so the same HTML works in a
browser and in the PDF. Dollar signs follow Pandoc's rule, so prose with prices stays prose: an
opening `$` must be followed by a non-space, a closing `$` preceded by a non-space and not followed
by a digit ("costs $5 or $10" is text); `\\$` is always a literal dollar sign.
"""

from __future__ import annotations

import base64
import html
import json
import re
from pathlib import Path

FONT_SIZE_PT = 11  # the body text's size in the print stylesheet; math is scaled in em, so it follows any text
MATH_FONT = Path(__file__).resolve().parent.parent / "fonts" / "latinmodern-math.otf"  # pairs with Latin Modern Roman

# A minus sign whose left neighbour is an operator (an opening bracket, a relation, a comma, another
# operator) or nothing is a sign, not a subtraction: `[-6, 6]`, `I \\ge -1`, `w = -b`. latex2mathml writes
# every `-` as a bare <mo>, which ziamath spaces like a binary minus (`[ − 6, 6]`); LaTeX gives a sign
# no space. Marked as a prefix operator it is set tight, as in LaTeX.
_MINUS = "<mo>&#x02212;</mo>"
_BEFORE_MINUS = re.compile(r"(<mrow>|<mtd[^>]*>|<math[^>]*>|<mo[^>]*>([^<]*)</mo>)(?=" + re.escape(_MINUS) + ")")
_CLOSERS = set(")]}|!'\u2032\u2033\u2016\u27e9\u232a\u2309\u230b")  # a minus after these subtracts

# Math content: any character but `$`, an escaped character, or a `<` that starts no HTML tag (math never
# spans tags).
_CONTENT = r"(?:[^$<\\]|\\.|<(?![A-Za-z/!]))"
_DISPLAY = re.compile(rf"(?<!\\)\$\$({_CONTENT}+?)\$\$", re.S)
_INLINE = re.compile(rf"(?<![\\$])\$(?![\s$])({_CONTENT}+?)(?<![\s\\])\$(?![\d$])", re.S)

# Spellings ziamath does not know, mapped to ones it does (shown in errors as suggestions too).
_SUGGESTIONS = {
    r"\operatorname*": r"\operatorname", r"\coloneqq": ":=", r"\eqqcolon": "=:", r"\dotsc": r"\ldots",
    r"\dotsb": r"\cdots", r"\textsf": r"\mathsf", r"\textbf": r"\mathbf", r"\textit": r"\mathit",
}


# A power of ten from the `sig` filter (1.2×10 to the -5) travels through the page as the mantissa, "×10" and
# the exponent between two private-use marks, which are neither HTML nor LaTeX: replace_math sets it as
# LaTeX (1.2\\times 10^{-5}) inside a formula and as HTML (1.2×10<sup>−5</sup>) in the text.
EXPONENT_OPEN, EXPONENT_CLOSE = "\ue000", "\ue001"
_POWER_OF_TEN = re.compile("×10" + EXPONENT_OPEN + "([-\u2212]?\\d+)" + EXPONENT_CLOSE)


def power_of_ten(mantissa: str, exponent: int) -> str:
    """`mantissa`×10^`exponent`, marked for replace_math (minus signs as true minus signs, as in math)."""
    return f"{mantissa}×10{EXPONENT_OPEN}{exponent}{EXPONENT_CLOSE}".replace("-", "\u2212")


def _powers_of_ten_as_tex(tex: str) -> str:
    return _POWER_OF_TEN.sub(lambda m: "\\times 10^{" + m.group(1).replace("\u2212", "-") + "}", tex)


def _powers_of_ten_as_html(page: str) -> str:
    return _POWER_OF_TEN.sub(lambda m: f"×10<sup>{m.group(1)}</sup>", page)


class MathError(ValueError):
    """A formula could not be typeset; the message says which and why."""


def _prepare(tex: str) -> str:
    """Make what Jinja filters print inside math valid LaTeX, and map a few spellings."""
    tex = tex.replace("\u2212", "-")  # sig's true minus sign, as LaTeX input
    tex = tex.replace("×", r"\times ")
    tex = re.sub(r"(?<!\\)%", r"\\%", tex)  # pct: '99.5%' (a bare % starts a LaTeX comment)
    tex = re.sub(r"(\d),(?=\d{3}\b)", r"\1{,}", tex)  # count: 60,000 without a space after the comma
    for spelling, replacement in _SUGGESTIONS.items():
        tex = re.sub(re.escape(spelling) + r"(?![A-Za-z])", lambda _: replacement, tex)
    return tex


def _check_braces(tex: str) -> None:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", tex):
        token = match.group()
        if token == "{":
            depth += 1
        elif token == "}":
            depth -= 1
            if depth < 0:
                raise MathError(f"cannot typeset ${tex}$: a '}}' has no matching '{{'")
    if depth:
        raise MathError(f"cannot typeset ${tex}$: {depth} '{{' not closed")


# Typeset formulas, by (display, tex), in memory and across renders on disk: a re-render after
# editing one word typesets only what changed (loading the math font alone takes about a second).
_DISK_CACHE: dict[str, list] = {}
_USED: set[str] = set()  # keys looked up since the last load_cache: what the current render needs
CACHE_VERSION = "ziamath-6-latin-modern"  # bump when the typesetting settings change


def load_cache(path: Path) -> None:
    """Start a render: fill the formula cache from `path` (a damaged or foreign file is ignored)."""
    _USED.clear()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        if data.get("version") == CACHE_VERSION and isinstance(data.get("formulas"), dict):
            _DISK_CACHE.update(data["formulas"])
    except (OSError, ValueError, AttributeError):
        pass


def save_cache(path: Path) -> None:
    """Write the formulas the current render used (since load_cache) to `path`, atomically."""
    from ..store.storage import write_json_atomic

    formulas = {k: v for k, v in _DISK_CACHE.items() if k in _USED}
    write_json_atomic(Path(path), {"version": CACHE_VERSION, "formulas": formulas})


def tex_to_svg(tex: str, display: bool = False) -> tuple[str, float, float, float]:
    """Typeset `tex` (without dollars); return (svg data URI, width, height, depth) in points."""
    key = f"{int(display)}|{tex}"
    _USED.add(key)
    if key not in _DISK_CACHE:
        _DISK_CACHE[key] = list(_typeset(tex, display))
    uri, width, height, depth = _DISK_CACHE[key]
    return uri, width, height, depth


def _typeset(tex: str, display: bool) -> tuple[str, float, float, float]:
    import ziamath
    from ziamath.zmath import tex2mml

    # Plain paths instead of SVG 2 <symbol>/<use> glyph references: WeasyPrint draws these faster
    # (measured: a whole --report-only render 3.15 s -> 2.75 s in-process), for a slightly larger PDF.
    ziamath.config.svg2 = False
    prepared = _prepare(tex)
    _check_braces(prepared)
    try:
        mathml = _fixed_size_marks(_unary_minus(tex2mml(prepared, inline=not display)))
        math = ziamath.Math(mathml, size=FONT_SIZE_PT, font=str(MATH_FONT))  # display math: same size, display style
        svg = math.svg()
    except Exception as exc:  # latex2mathml raises assorted exceptions for malformed input
        raise MathError(f"cannot typeset ${tex}$ ({type(exc).__name__}: {exc})") from None
    # An unknown command is not an error to latex2mathml: it becomes an identifier named "\foo".
    unknown = re.findall(r">(\\[A-Za-z]+\*?)<", mathml)
    if unknown:
        raise MathError(f"cannot typeset ${tex}$: unknown LaTeX command {unknown[0]}"
                        + _suggestion(unknown[0]))
    width = re.search(r'width="([\d.]+)"', svg)
    height = re.search(r'height="([\d.]+)"', svg)
    box = re.search(r'viewBox="[-\d.]+ ([-\d.]+) [\d.]+ ([\d.]+)"', svg)
    if not (width and height and box) or not re.search(r"<path", svg):
        # e.g. `$\\ y$` (a line break first) or `${}$`: nothing, or nothing measurable, was drawn
        raise MathError(f"cannot typeset ${tex}$: it draws nothing (a formula cannot start with a line break \\\\, "
                        "and needs at least one symbol)")
    top, box_height = (float(v) for v in box.groups())
    depth = top + box_height  # the baseline is at y = 0, so this much of the image lies below it
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return uri, float(width.group(1)), float(height.group(1)), depth


def _fixed_size_marks(mathml: str) -> str:
    """Marks LaTeX sets at a fixed size, which ziamath would stretch: the \\hat accent (drawn as a wide
    hat) and \\lVert/\\rVert (drawn taller than the line). \\widehat still stretches."""
    # \\hat as the spacing circumflex U+02C6, not stretched: the combining U+0302 also pushed the letter out
    # of the drawing in an aligned/matrix cell (`\\hat{y} &= ...` showed only the hat)
    mathml = re.sub(r'(<mover accent="true">.*?</mrow>)<mo>&#x00302;</mo>', r'\1<mo stretchy="false">&#x002C6;</mo>', mathml)
    # \\partial is an ordinary symbol in LaTeX (`\\partial L` is set tight), not an operator with space
    mathml = mathml.replace("<mo>&#x02202;</mo>", "<mi>&#x02202;</mi>")
    return mathml.replace("<mo>&#x02016;</mo>", '<mo stretchy="false">&#x02016;</mo>')


def _unary_minus(mathml: str) -> str:
    """Mark a sign minus (after an opening bracket, a relation, a comma, or first) as a prefix operator."""
    pieces, last = [], 0
    for match in _BEFORE_MINUS.finditer(mathml):
        if match.group(2) is not None and html.unescape(match.group(2)).strip() in _CLOSERS:
            continue
        minus_at = match.end()
        pieces.append(mathml[last:minus_at] + '<mo form="prefix">&#x02212;</mo>')
        last = minus_at + len(_MINUS)
    return "".join(pieces) + mathml[last:]


def _suggestion(command: str) -> str:
    known = {r"\lt": "<", r"\gt": ">", r"\R": r"\mathbb{R}", r"\N": r"\mathbb{N}", r"\eps": r"\epsilon",
             r"\argmax": r"\operatorname{argmax}", r"\argmin": r"\operatorname{argmin}"}
    if command in known:
        return f" (write {known[command]} instead)"
    return " (check the spelling; for a name in roman type write \\operatorname{...} or \\mathrm{...})"


_RELATION = re.compile(r"(?:=|:=|<|>|\\(?:leq?|geq?|neq?|approx|in|to|sim|equiv|propto|coloneqq|leftarrow|gets)(?![A-Za-z]))\s*")
_OPEN, _CLOSE = re.compile(r"\\begin\{[^}]*\}|\\{|[{(\[]"), re.compile(r"\\end\{[^}]*\}|\\}|[})\]]")
SPLIT_FROM = 24  # characters of LaTeX: shorter inline formulas never need a line break inside


def _split_at_relations(tex: str) -> list[str]:
    """An inline formula as pieces that each end with a top-level relation (`a = b = c` -> `a =`, `b =`, `c`).

    LaTeX may break a line after a relation in inline math; an image cannot break, so a long formula
    left whole forces the line before it to stretch (word gaps three to four times normal). Typeset as
    pieces with a break opportunity between them, it breaks where LaTeX would. Relations inside braces,
    brackets, parentheses or environments are left alone.
    """
    if len(tex) < SPLIT_FROM:
        return [tex]
    pieces, depth, start, at = [], 0, 0, 0
    while at < len(tex):
        if tex[at] == "\\" and at + 1 < len(tex) and not tex[at + 1].isalpha() and tex[at + 1] not in "{}":
            at += 2  # an escaped character such as \, or \%
            continue
        opened, closed = _OPEN.match(tex, at), _CLOSE.match(tex, at)
        relation = _RELATION.match(tex, at) if depth == 0 else None
        if opened:
            depth, at = depth + 1, opened.end()
        elif closed:
            depth, at = depth - 1, closed.end()
        elif relation and tex[:at].strip() and tex[relation.end():].strip():
            pieces.append(tex[start:relation.end()].strip())
            start = at = relation.end()
        else:
            at += 1
    if depth != 0:
        return [tex]
    pieces.append(tex[start:].strip())
    return [piece for piece in pieces if piece] or [tex]


_TEXT_FONT = Path(__file__).resolve().parent.parent / "fonts" / "lmroman10-regular.otf"  # the body text's font
# The hidden LaTeX: in the flow just before its drawing, at the text's size and on its baseline, squeezed
# (scaleX) to the drawing's width and taking no room (width and line height 0). So PDF readers and
# `pdftotext` read it in the sentence, between the words before and after the formula. The inline style
# overrides the stylesheet's older rule for .math-text (absolute, 2 pt, off the line).
_HIDDEN_STYLE = ("position:static;display:inline-block;width:0;line-height:0;font-size:1em;white-space:pre;"
                 "hyphens:manual;transform-origin:0 0;transform:scaleX({scale:.4f})")


# Advance widths (1/1000 em) of printable ASCII (space to ~) in the body font (_TEXT_FONT, Latin Modern Roman
# 10 Regular), what LaTeX source is written in; read from the font once and kept here, since loading the
# font costs a quarter second of every cold render (tests/test_mathtex.py checks them against the font).
_ASCII_ADVANCES = (
    333, 278, 374, 833, 500, 833, 778, 278, 389, 389, 500, 778, 278, 333, 278, 500, 500, 500, 500, 500, 500, 500, 500,
    500, 500, 500, 278, 278, 778, 778, 778, 472, 778, 750, 708, 722, 764, 681, 653, 785, 750, 361, 514, 778, 625, 917,
    750, 778, 681, 778, 736, 556, 722, 750, 750, 1028, 750, 750, 611, 278, 500, 278, 556, 750, 500, 500, 556, 444, 556,
    444, 306, 500, 556, 278, 306, 528, 278, 833, 556, 500, 556, 528, 392, 394, 389, 556, 528, 722, 528, 528, 444, 500,
    278, 500, 556)
_OTHER_ADVANCE = 500  # any other character: about an average letter


def _text_width_em(text: str) -> float:
    """The width of `text` in the body font, in em (kerning aside)."""
    return sum(_ASCII_ADVANCES[ord(c) - 32] if 32 <= ord(c) < 127 else _OTHER_ADVANCE for c in text) / 1000


def _hidden_text(tex: str, width_em: float) -> str:
    """The formula's LaTeX as invisible text over its drawing, `width_em` wide (see _HIDDEN_STYLE)."""
    style = _HIDDEN_STYLE.format(scale=max(width_em, 0.05) / (_text_width_em(tex) or 1.0))
    return f'<span class="math-text" style="{style}">{html.escape(tex, quote=True)}</span>'


def math_html(tex: str, display: bool = False) -> str:
    """The typeset formula: an <img> aligned on the text baseline (inline) or centred (display).

    Sizes are in em of the surrounding text (typeset at FONT_SIZE_PT), so math in an 8.5 pt caption
    is as small as the caption's words. The drawing is paths, which no PDF reader can search or copy,
    so the LaTeX source rides along as invisible text over it (class math-text, transparent), in reading
    order (see _HIDDEN_STYLE): it is in the PDF's text layer (pdftotext, search, copy, screen readers)
    without changing the look. A long inline formula is drawn in pieces that may break after a relation
    (see _split_at_relations), each with its own piece of the LaTeX.
    """
    tex = " ".join(_powers_of_ten_as_tex(tex).split())
    alt = html.escape(tex, quote=True)
    em = FONT_SIZE_PT
    if display:
        uri, width, height, depth = tex_to_svg(tex, display)
        size = f"width:{width / em:.3f}em;height:{height / em:.3f}em"
        return (f'<span class="math-display">{_hidden_text(tex, width / em)}'
                f'<img class="math" alt="{alt}" src="{uri}" style="{size}"></span>')
    pieces = _split_at_relations(tex)
    try:
        drawn = [tex_to_svg(piece) for piece in pieces]
    except MathError:
        tex_to_svg(tex)  # the error names the whole formula, as written
        raise
    images = []
    for k, (uri, width, height, depth) in enumerate(drawn):
        piece = tex if len(pieces) == 1 else pieces[k]
        said = piece if k == len(pieces) - 1 else piece + " "  # the pieces' text reads as the whole formula
        images.append(f'{_hidden_text(said, width / em)}<img class="math" alt="{html.escape(piece, quote=True)}" '
                      f'src="{uri}" style="width:{width / em:.3f}em;height:{height / em:.3f}em;'
                      f'vertical-align:-{depth / em:.3f}em">')
    # no line break between a piece's hidden text and its drawing (nowrap); the pieces may break apart (<wbr>)
    return (f'<span class="math-inline" style="white-space:nowrap">{images[0]}</span>'
            + "".join(f'<wbr><span style="white-space:nowrap">{image}</span>' for image in images[1:]))


def formula_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each `$$...$$` and `$...$` formula in `text`, dollars included."""
    spans = [match.span() for match in _DISPLAY.finditer(text)]
    rest = _DISPLAY.sub(lambda match: " " * len(match.group(0)), text)
    return sorted(spans + [match.span() for match in _INLINE.finditer(rest)])


def stray_dollar(text: str) -> int | None:
    """Where `text` has a `$` that is part of no formula, is not escaped (\\$) and is not a price ("$5"):
    an unbalanced dollar, e.g. a formula's closing `$` forgotten. None where every `$` pairs up."""
    def blank(match: re.Match) -> str:
        return " " * len(match.group(0))

    rest = _INLINE.sub(blank, _DISPLAY.sub(blank, text))
    for match in re.finditer(r"(?<!\\)\$", rest):
        if not rest[match.end():match.end() + 1].isdigit():
            return match.start()
    return None


def replace_math(page: str) -> str:
    """Replace every `$$...$$` and `$...$` in rendered HTML with typeset SVG; `\\$` becomes `$`; the `sig`
    filter's powers of ten become LaTeX inside formulas and <sup> HTML in the text."""
    page = _DISPLAY.sub(lambda m: math_html(html.unescape(m.group(1)), display=True), page)
    page = _INLINE.sub(lambda m: math_html(html.unescape(m.group(1))), page)
    return _powers_of_ten_as_html(page).replace("\\$", "$")
