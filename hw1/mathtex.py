"""LaTeX math to inline SVG, because WeasyPrint runs no JavaScript (no MathJax/KaTeX).

matplotlib's mathtext typesets a large subset of TeX math (fractions, sums, hats, Greek, \\mathcal)
without a TeX installation. Templates write `$...$` (inline) or `$$...$$` (display); after Jinja
has rendered the page, `replace_math` swaps each for an <img> holding the SVG as a data URI, so the
same HTML works in a browser and in the PDF. `\\$` is a literal dollar sign.
"""

from __future__ import annotations

import base64
import functools
import html
import io
import re

import matplotlib

matplotlib.use("Agg")
from matplotlib import mathtext  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

FONT_SIZE_PT = 11  # matches the body text of the print stylesheet
_DISPLAY = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$", re.S)
_INLINE = re.compile(r"(?<!\\)\$(.+?)(?<!\\)\$", re.S)


class MathError(ValueError):
    """mathtext could not parse an expression."""


@functools.lru_cache(maxsize=None)
def tex_to_svg(tex: str, size_pt: float = FONT_SIZE_PT) -> tuple[str, float, float, float]:
    """Typeset `tex` (without dollars); return (svg data URI, width, height, depth) in points."""
    buffer = io.BytesIO()
    with matplotlib.rc_context({"mathtext.fontset": "cm", "svg.fonttype": "path"}):
        try:
            # At 72 dpi one pixel is one point, so the returned depth is in points.
            depth = mathtext.math_to_image(
                f"${tex}$", buffer, prop=FontProperties(size=size_pt), dpi=72, format="svg"
            )
        except ValueError as exc:
            detail = " ".join(line.strip() for line in str(exc).splitlines() if line.strip())
            raise MathError(f"cannot typeset ${tex}$ ({detail or 'mathtext parse error'})") from None
    svg = buffer.getvalue().decode()
    width = float(re.search(r'width="([\d.]+)pt"', svg).group(1))
    height = float(re.search(r'height="([\d.]+)pt"', svg).group(1))
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    return uri, width, height, float(depth)


def math_html(tex: str, display: bool = False) -> str:
    """An <img> tag for `tex`, aligned on the text baseline (inline) or centred (display)."""
    tex = " ".join(tex.split())  # mathtext rejects line breaks inside an expression
    uri, width, height, depth = tex_to_svg(tex, FONT_SIZE_PT * (1.15 if display else 1.0))
    alt = html.escape(tex, quote=True)
    if display:
        return (f'<span class="math-display"><img class="math" alt="{alt}" src="{uri}" '
                f'style="width:{width:.2f}pt;height:{height:.2f}pt"></span>')
    return (f'<img class="math" alt="{alt}" src="{uri}" '
            f'style="width:{width:.2f}pt;height:{height:.2f}pt;vertical-align:-{depth:.2f}pt">')


def replace_math(page: str) -> str:
    """Replace every `$$...$$` and `$...$` in rendered HTML with typeset SVG."""
    page = _DISPLAY.sub(lambda m: math_html(html.unescape(m.group(1)), display=True), page)
    page = _INLINE.sub(lambda m: math_html(html.unescape(m.group(1))), page)
    return page.replace("\\$", "$")
