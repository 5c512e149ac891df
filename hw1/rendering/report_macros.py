"""What the templates call: the number filters (`pct`, `num`, `sig`, `count`, `secs`) and the macros for
numbered figures and tables, cross-references, citations and the bibliography (`figure`, `table`,
`table_caption`, `ref`, `cite`, `bibliography`, `draw`). The renderer (hw1/rendering/render.py) hands them to Jinja.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from . import mathtex
from ..errors import UserError
from ..store.storage import atomic_path

REFERENCES = "references.toml"  # the bibliography that cite("key") reads (students add their own entries)
REFERENCE_FIELDS = ("authors", "title", "venue", "year")
FILTERS = ("pct", "num", "sig", "count", "secs")


# ---------------------------------------------------------------------------------- number filters

def pct(value: float, digits: int = 1) -> str:
    """0.9931 -> '99.3%'."""
    return f"{100 * float(value):.{digits}f}%"


def num(value: float, digits: int = 3) -> str:
    """Fixed decimals: num(0.69314, 3) -> '0.693'."""
    return f"{float(value):.{digits}f}"


def sig(value: float, digits: int = 3) -> str:
    """Significant digits, with a readable power of ten for tiny or huge values.

    A power of ten is marked (mathtex.power_of_ten), not written as HTML: replace_math sets it as
    1.2×10<sup>−5</sup> in the text and as 1.2\\times 10^{-5} inside a formula."""
    value = float(value)
    if value == 0:
        return "0"
    # Round to `digits` significant digits first, so a mantissa that rounds up to 10 moves the exponent
    # (0.0009996 -> 0.001, not 10.0×10^-4), then choose the notation from the rounded value.
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    rounded, exponent = float(f"{mantissa}e{exponent}"), int(exponent)
    if not -3 <= exponent < 5:
        return mathtex.power_of_ten(mantissa, exponent)
    if exponent >= digits:  # more integer digits than significant ones: 1234.5 -> 1230 (g would print 1.23e+03)
        return f"{round(rounded):d}"
    return f"{rounded:.{digits}g}"


def count(value: float) -> str:
    """Integers with thousands separators: 60000 -> '60,000'."""
    return f"{int(round(float(value))):,}"


def secs(value: float) -> str:
    """12.34 -> '12.3 s'; 119.7 -> '2 min 0 s' (rounded to whole seconds first, so never '1 min 60 s')."""
    value = float(value)
    if round(value, 1) < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(round(value), 60)
    return f"{minutes} min {seconds} s"


# --------------------------------------------------------------------------- numbering and figures

@dataclass
class Numbering:
    """Figure and table numbers, assigned in order of appearance.

    The page is rendered twice, each pass with a fresh Numbering; the numbers learnt in the first
    pass let `ref('id')` in the second name a figure or table that appears later in the document.
    """

    numbers: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    citations: dict[str, int] = field(default_factory=dict)  # reference key -> [n], in order of first citation

    def assign(self, kind: str, ident: str) -> int:
        if ident in self.numbers and self.kinds.get(ident) != kind:
            raise ValueError(f"the id {ident!r} names both a {self.kinds[ident]} and a {kind}; give each its own id")
        if ident not in self.numbers:
            self.counters[kind] = self.counters.get(kind, 0) + 1
            self.numbers[ident] = self.counters[kind]
            self.kinds[ident] = kind
        return self.numbers[ident]


def load_references(path: Path) -> dict[str, dict]:
    """The bibliography file (TOML): one table per entry, keyed by the name `cite()` uses.

    Each entry has `authors`, `title`, `venue`, `year` and optionally `arxiv`, `doi`, `url`, `note`.
    """
    import tomllib

    if not path.is_file():
        return {}
    try:
        entries = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"references file {path}: {exc}; fix the entry and re-run") from None
    for key, entry in entries.items():
        missing = [name for name in REFERENCE_FIELDS if not isinstance(entry, dict) or name not in entry]
        if missing:
            raise UserError(f"references file {path}: entry [{key}] lacks {', '.join(missing)}; every entry needs "
                            f"{', '.join(REFERENCE_FIELDS)} (and may have arxiv, doi, url, note)")
    return entries


def format_reference(entry: dict) -> Markup:
    """'Authors. Title. Venue, Year. arXiv:id.' with links, as HTML."""
    parts = [f"{escape(entry['authors'])}. <i>{escape(entry['title'])}</i>. {escape(entry['venue'])}, {escape(str(entry['year']))}."]
    if entry.get("arxiv"):
        arxiv = escape(entry["arxiv"])
        parts.append(f'<a href="https://arxiv.org/abs/{arxiv}">arXiv:{arxiv}</a>.')
    if entry.get("doi"):
        doi = escape(entry["doi"])
        parts.append(f'<a href="https://doi.org/{doi}">doi:{doi}</a>.')
    if entry.get("url") and not entry.get("arxiv") and not entry.get("doi"):
        url = escape(entry["url"])
        parts.append(f'<a href="{url}">{url}</a>.')
    if entry.get("note"):
        parts.append(f"{escape(entry['note'])}.")
    return Markup(" ".join(parts))


_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp")
OWN_FIGURES_MODULE = "own_figures.py"  # students' drawing functions, next to the templates
OWN_FIGURES = "figures/own"  # where students' own images and drawn figures go, inside the output folder


class TemplateMistake(ValueError):
    """A mistake in what a template passed to a macro; its message says what and how to fix it (the renderer
    prints it after the template's file and line, without an exception name)."""


# Jinja string literals unescape backslashes: "$\tanh$" holds a tab, "$\frac$" a form feed, "$\nabla$" a line
# break. A tab or line break is a mistake where it would be a backslash inside a formula (a string may span
# lines, and the next line may start with a letter); any other control character always is.
_ESCAPES = {"\a": "\\a", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\v": "\\v", "\f": "\\f", "\r": "\\r"}
_CONTROL_NAMES = {"\a": "a bell character", "\b": "a backspace", "\t": "a tab", "\n": "a line break",
                  "\v": "a vertical tab", "\f": "a form feed", "\r": "a carriage return"}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _escape_typed(text: str) -> int | None:
    """Where a backslash escape of a Jinja string literal turned LaTeX into a control character (None: nowhere)."""
    typed = "".join(_ESCAPES.get(c, c) if c in "\t\n" else c for c in text)  # as it was typed
    spans = mathtex.formula_spans(typed)
    shift = 0
    for match in _CONTROL.finditer(text):
        char, at = match.group(0), match.start()
        if char not in "\t\n":
            return at
        typed_at = at + shift
        shift += 1
        if text[at + 1:at + 2].isalpha() and any(start < typed_at < end for start, end in spans):
            return at
    return None


def checked_text(value: Any, what: str) -> Any:
    """`value` (a caption, a table cell) if it has no control character from a Jinja string escape and no
    unbalanced `$`; otherwise a TemplateMistake naming the problem and the fix."""
    if not isinstance(value, str):
        return value
    at = None if isinstance(value, Markup) else _escape_typed(value)  # Markup: template text, no escapes
    if at is not None:
        char, start = value[at], max(0, at - 12)
        escape_name = _ESCAPES.get(char, f"\\x{ord(char):02x}")
        shown = " ".join((value[start:at] + escape_name + value[at + 1:at + 20]).split())
        doubled = " ".join((value[start:at] + "\\" + escape_name + value[at + 1:at + 20]).split())
        raise TemplateMistake(
            f"{what} \"{shown}\" has {_CONTROL_NAMES.get(char, 'a control character')} where \"{escape_name}\" was "
            "typed: inside a Jinja string a backslash starts an escape, so LaTeX there needs doubled backslashes: "
            f"write \"{doubled}\" (or move the text into an answers macro); fix the template and re-run")
    stray = mathtex.stray_dollar(str(value))
    if stray is not None:
        text = " ".join(str(value).split())
        raise TemplateMistake(f"{what} \"{text[:60]}\" has an unbalanced $ (a formula needs $ on both sides; "
                              "a literal dollar is \\$); fix the template and re-run")
    return value


def caller_location(templates_dir: Path) -> str:
    """'answers/part2.html.j2:34': the template file (relative to the templates folder) and line of the
    innermost template code calling this Python function (Jinja marks its compiled templates' frames)."""
    frame = sys._getframe(1)
    while frame is not None:
        template = frame.f_globals.get("__jinja_template__")
        if template is not None and template.filename:
            try:
                name = Path(template.filename).relative_to(templates_dir).as_posix()
            except ValueError:
                name = template.name or Path(template.filename).name
            return f"{name}:{template.get_corresponding_lineno(frame.f_lineno)}"
        frame = frame.f_back
    return "?"


@dataclass
class _Citations:
    """cite() and bibliography(): numbered in order of first citation, linked both ways."""

    numbering: Numbering
    references: dict[str, dict]

    def cite(self, *keys: str) -> Markup:
        """[n] (or [n, m]) linking to the bibliography; numbered in order of first citation."""
        if not keys:
            raise ValueError("cite() needs at least one reference key, e.g. cite(\"goodfellow2015\")")
        links = []
        for key in keys:
            if key not in self.references:
                raise ValueError(f"cite({key!r}): no entry [{key}] in {REFERENCES}; "
                                 f"its entries are: {', '.join(sorted(self.references)) or 'none'}")
            number = self.numbering.citations.setdefault(key, len(self.numbering.citations) + 1)
            links.append(f'<a class="cite" href="#ref-{escape(key)}">{number}</a>')
        return Markup("[" + ", ".join(links) + "]")

    def bibliography(self) -> Markup:
        """The numbered list of every reference cited so far (call it last)."""
        rows = [f'<li id="ref-{escape(key)}" value="{number}"><span class="ref-number">[{number}]</span> '
                f"{format_reference(self.references[key])}</li>"
                for key, number in sorted(self.numbering.citations.items(), key=lambda item: item[1])]
        return Markup('<ol class="references">' + "".join(rows) + "</ol>")


@dataclass
class _OwnFigures:
    """A student's images and matplotlib figures: draw() from templates/own_figures.py, files next to the
    templates, and where figure() finds them."""

    templates_dir: Path
    out_dir: Path | None
    final: bool

    @jinja2.pass_context
    def draw(self, context, name: str, *args: Any) -> Any:
        """A matplotlib figure drawn by `name(parts, artifacts_dir, *args)` in <templates>/own_figures.py."""
        module = self._module(name)
        function = getattr(module, name, None)
        module_path = self.templates_dir / OWN_FIGURES_MODULE
        if not callable(function):
            defined = [n for n, v in vars(module).items() if callable(v) and getattr(v, "__module__", "") == module.__name__]
            raise ValueError(f"draw({name!r}): {module_path} defines no function {name} (it defines: "
                             f"{', '.join(defined) or 'none'})")
        try:
            fig = function(context["parts"], (self.out_dir or self.templates_dir) / "artifacts", *args)
        except Exception as exc:
            raise ValueError(f"draw({name!r}) in {module_path} raised {type(exc).__name__}: {exc}") from None
        if not hasattr(fig, "savefig"):
            raise ValueError(f"draw({name!r}): {name}() in {module_path} must return a matplotlib figure")
        return fig

    def _module(self, name: str):
        """templates/own_figures.py, read afresh each render (so an edit shows at once)."""
        import importlib.util

        module_path = self.templates_dir / OWN_FIGURES_MODULE
        if not module_path.is_file():
            raise ValueError(f"draw({name!r}): there is no {module_path}; write def {name}(parts, artifacts_dir): "
                             "... return fig there (see README, 'Your own figures and tables')")
        spec = importlib.util.spec_from_file_location("hw1_own_figures", module_path)
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)
        except Exception as exc:
            raise ValueError(f"{module_path} failed to load: {type(exc).__name__}: {exc}") from None
        return module

    def image(self, source: Any, ident: str) -> tuple[str, float | None]:
        """(src for the <img>, natural width in inches or None) of a student's image or matplotlib figure."""
        if hasattr(source, "savefig"):  # a matplotlib Figure drawn in the template's data
            width_in = float(source.get_size_inches()[0])
            if self.out_dir is not None and self.final:
                target = self.out_dir / OWN_FIGURES / f"{ident}.png"
                with atomic_path(target) as tmp:
                    source.savefig(tmp, format="png", dpi=200)
            import matplotlib.pyplot as plt

            plt.close(source)
            return f"{OWN_FIGURES}/{ident}.png", width_in
        name = str(source)
        if not name.lower().endswith(_IMAGE_SUFFIXES):
            raise ValueError(f"figure({name!r}, ...): give an image file ({', '.join(_IMAGE_SUFFIXES)}) next to the "
                             "templates, a matplotlib figure, or one of the part's figures (part.figures.NAME)")
        if not (self.templates_dir / name).is_file():
            raise TemplateMistake(f"image {name} not found; put it in {self.templates_dir} (image paths are relative "
                                  "to the templates folder) and re-run")
        return name, None  # copied beside the report with every other image (see Renderer._images)


@dataclass
class _Numbered:
    """figure(), table(), table_caption() and ref(): numbered in order of appearance; in draft mode each
    caption and table says which template line made it (data-src, as the draft loader marks the text)."""

    numbering: Numbering
    previous: Numbering
    final: bool
    own: _OwnFigures
    draft: bool = False

    def _source(self) -> str:
        return f' data-src="{escape(caller_location(self.own.templates_dir))}"' if self.draft else ""

    def figure(self, source: Any, caption: str, ident: str, width_scale: float = 1.0,
               width: float | None = None) -> Markup:
        """A numbered figure. `source`: one of the part's figures (part.figures.NAME), an image file next
        to the templates ("my_sketch.png"), or a matplotlib figure; `width`: a fraction of the text width."""
        if not re.fullmatch(r"[A-Za-z][\w-]*", str(ident)):
            raise ValueError(f"figure id {ident!r}: use letters, digits, '-' and '_' (e.g. 'fig-my-sketch')")
        checked_text(caption, f"figure {ident!r}: the caption")
        number = self.numbering.assign("figure", ident)
        if hasattr(source, "width_in") and hasattr(source, "path"):  # one of hw1's own figures
            src, natural = source.path, source.width_in
        else:
            src, natural = self.own.image(source, ident)
        if width is not None:
            style = f"width:{100 * min(float(width), 1.0):.0f}%"
        elif natural is not None:
            style = f"width:{min(natural * width_scale, 6.5):.2f}in"
        else:
            style = "max-width:100%"
        return Markup(
            f'<figure id="{escape(ident)}"><img src="{escape(src)}" style="{style}" alt="Figure {number}">'
            f'<figcaption{self._source()}><b>Figure {number}.</b> {caption}</figcaption></figure>'
        )

    def table_caption(self, caption: str, ident: str) -> Markup:
        """The numbered caption of a hand-written <table>: put it right after <table>."""
        checked_text(caption, f"table {ident!r}: the caption")
        number = self.numbering.assign("table", ident)
        return Markup(f'<caption id="{escape(ident)}"{self._source()}><b>Table {number}.</b> {caption}</caption>')

    def table(self, rows: list, caption: str, ident: str, header: list | None = None) -> Markup:
        """A numbered table from rows of cells (numbers right-aligned, text left-aligned)."""
        def cell(tag: str, value: Any) -> str:
            checked_text(value, f"table {ident!r}: the cell")
            align = "" if isinstance(value, (int, float)) else ' class="left"'
            return f"<{tag}{align}>{escape(value)}</{tag}>"

        head = f"<tr>{''.join(cell('th', h) for h in header)}</tr>" if header else ""
        body = "".join(f"<tr>{''.join(cell('td', v) for v in row)}</tr>" for row in rows)
        return Markup(f'<table class="own"{self._source()}>{self.table_caption(caption, ident)}{head}{body}</table>')

    def ref(self, ident: str) -> Markup:
        """'Figure 3' or 'Table 2', linked to it; numbers follow the figures when they move."""
        number = self.numbering.numbers.get(ident, self.previous.numbers.get(ident))
        kind = self.numbering.kinds.get(ident, self.previous.kinds.get(ident))
        if number is None and self.final:
            known = sorted(set(self.previous.numbers) | set(self.numbering.numbers))
            close = difflib.get_close_matches(ident, known, n=1)
            raise LookupError(f"ref({ident!r}) names no figure or table in the report"
                              + (f" (did you mean {close[0]!r}?)" if close else "")
                              + f"; the ids are: {', '.join(known) or 'none'}")
        label = "Table" if kind == "table" else "Figure"
        return Markup(f'<a href="#{escape(ident)}">{label} {number if number else "?"}</a>')


def make_globals(numbering: Numbering, previous: Numbering, final: bool, templates_dir: Path,
                 out_dir: Path | None, references: dict[str, dict] | None = None,
                 draft: bool = False) -> dict[str, Any]:
    """The macros templates call: figure(), draw(), table(), table_caption(), ref(), cite(), bibliography()."""
    citations = _Citations(numbering, references or {})
    own = _OwnFigures(templates_dir, out_dir, final)
    numbered = _Numbered(numbering, previous, final, own, draft)
    return {"figure": numbered.figure, "table_caption": numbered.table_caption, "table": numbered.table,
            "ref": numbered.ref, "draw": own.draw, "cite": citations.cite, "bibliography": citations.bibliography}
