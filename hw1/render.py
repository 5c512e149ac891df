"""The one place that renders: Jinja2 templates -> HTML (with typeset math) -> PDF via WeasyPrint.

Templates live in `templates/`: `report.html.j2` (the document), `sections/` (one partial per part:
question headings, figures, tables) and `answers/` (the written answers, the files students edit),
plus `style.css` (the print stylesheet, inlined so the HTML twin is self-contained).
Numbers reach the answers through filters (`pct`, `num`, `sig`, `count`, `secs`), never by hand.
"""

from __future__ import annotations

import html
import math
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from .errors import UserError
from . import mathtex
from .mathtex import MathError, replace_math
from .storage import atomic_path, write_text_atomic

from .paths import DEFAULT_TEMPLATES  # noqa: E402  (re-exported)
MAIN_TEMPLATE = "report.html.j2"
STYLESHEET = "style.css"
FILTERS = ("pct", "num", "sig", "count", "secs")


# ---------------------------------------------------------------------------------- number filters

def pct(value: float, digits: int = 1) -> str:
    """0.9931 -> '99.3%'."""
    return f"{100 * float(value):.{digits}f}%"


def num(value: float, digits: int = 3) -> str:
    """Fixed decimals: num(0.69314, 3) -> '0.693'."""
    return f"{float(value):.{digits}f}"


def sig(value: float, digits: int = 3) -> str:
    """Significant digits, with a readable power of ten for tiny or huge values."""
    value = float(value)
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.{digits}g}"
    exponent = int(math.floor(math.log10(abs(value))))
    return f"{value / 10**exponent:.{digits - 1}f}×10^{exponent}".replace("^", "<sup>", 1) + "</sup>"


def count(value: float) -> str:
    """Integers with thousands separators: 60000 -> '60,000'."""
    return f"{int(round(float(value))):,}"


def secs(value: float) -> str:
    value = float(value)
    if value < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(value, 60)
    return f"{int(minutes)} min {seconds:.0f} s"


# --------------------------------------------------------------------------- numbering and figures

@dataclass
class Numbering:
    """Figure and table numbers, assigned in order of appearance.

    The page is rendered twice, each pass with a fresh Numbering; the numbers learnt in the first
    pass let `ref('id')` in the second name a figure or table that appears later in the document.
    """

    numbers: dict[str, int] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def assign(self, kind: str, ident: str) -> int:
        if ident not in self.numbers:
            self.counters[kind] = self.counters.get(kind, 0) + 1
            self.numbers[ident] = self.counters[kind]
        return self.numbers[ident]


def _make_globals(numbering: Numbering, previous: dict[str, int], final: bool) -> dict[str, Any]:
    def figure(fig, caption: str, ident: str, width_scale: float = 1.0) -> Markup:
        number = numbering.assign("figure", ident)
        width = min(fig.width_in * width_scale, 6.7)
        return Markup(
            f'<figure id="{escape(ident)}"><img src="{escape(fig.path)}" style="width:{width:.2f}in" '
            f'alt="Figure {number}"><figcaption><b>Figure {number}.</b> {caption}</figcaption></figure>'
        )

    def table_caption(caption: str, ident: str) -> Markup:
        number = numbering.assign("table", ident)
        return Markup(f'<caption id="{escape(ident)}"><b>Table {number}.</b> {caption}</caption>')

    def ref(ident: str) -> Markup:
        number = numbering.numbers.get(ident, previous.get(ident))
        if number is None and final:
            raise KeyError(f"ref({ident!r}) names no figure or table in the report")
        kind = "Table" if ident.startswith("tab") else "Figure"
        target = f'<a href="#{escape(ident)}">{kind} {number if number else "?"}</a>'
        return Markup(target)

    # TEMPORARY stand-in for the lead's cite() global (templates/references.toml): drop at merge.
    def cite(key: str) -> Markup:
        return Markup(f"[{escape(key)}]")

    return {"figure": figure, "table_caption": table_caption, "ref": ref, "cite": cite}


_HEADING = re.compile(r'<h([23])[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_POINTS = re.compile(r'<span class="points">.*?</span>', re.S)


def _headings(page: str) -> list[dict]:
    """Section (h2) and question (h3) headings with ids, for the table of contents."""
    entries = []
    for level, ident, inner in _HEADING.findall(page):
        text = html.unescape(re.sub(r"<[^>]+>", "", _POINTS.sub("", inner))).strip()
        entries.append({"level": int(level), "id": ident, "text": " ".join(text.split())})
    return entries


def _field_names(qualified_class: str) -> list[str]:
    """Fields (and properties) of a result/config dataclass named like 'hw1.part3_cnn.Part3Result'."""
    import dataclasses
    import importlib

    module_name, _, class_name = qualified_class.rpartition(".")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError, ValueError):
        return []
    if not dataclasses.is_dataclass(cls):
        return []
    properties = [name for name, value in vars(cls).items() if isinstance(value, property)]
    return [f.name for f in dataclasses.fields(cls)] + properties


class Renderer:
    """Loads and checks the templates up front, then renders report data to HTML and PDF."""

    def __init__(self, templates_dir: Path = DEFAULT_TEMPLATES):
        self.templates_dir = Path(templates_dir)
        for required in (MAIN_TEMPLATE, STYLESHEET):
            if not (self.templates_dir / required).is_file():
                raise UserError(
                    f"template {self.templates_dir / required} is missing; restore it "
                    "(git checkout templates/) or point --templates at a folder that has it"
                )
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(self.templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=True,  # values from results are escaped; templates mark their own HTML
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.env.filters.update(pct=pct, num=num, sig=lambda v, d=3: Markup(sig(v, d)), count=count, secs=secs)
        self._check_syntax()

    def _check_syntax(self) -> None:
        for name in self.env.list_templates(extensions=["j2"]):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                hint = ""
                if "No filter named" in exc.message:
                    hint = f" (hw1's filters: {', '.join(FILTERS)}; Jinja's built-ins such as round, join, length also work)"
                raise UserError(
                    f"template {self.templates_dir / name}:{exc.lineno}: {exc.message}{hint}; fix the template and re-run"
                ) from None
            if name.startswith("answers/"):
                self._check_answers_file(name)

    def _check_answers_file(self, name: str) -> None:
        """Text outside every {% macro %} of an answers file of macros is never shown: say where, and stop."""
        source = (self.templates_dir / name).read_text(encoding="utf-8")
        if not re.search(r"{%-?\s*macro\b", source):
            return  # included whole (like title.html.j2), not a library of macros: all of it is shown
        depth, after_block_begin = 0, False
        for lineno, token, value in self.env.lex(source):
            if token == "whitespace":
                continue
            if token == "block_begin":
                after_block_begin = True
                continue
            if after_block_begin and token == "name":
                depth += {"macro": 1, "endmacro": -1}.get(value, 0)
            after_block_begin = False
            if depth == 0 and (token == "variable_begin" or (token == "data" and value.strip())):
                text = " ".join(value.split())[:40] if token == "data" else "{{ ... }}"
                if token == "data":  # the line of the first visible character, not of the token's start
                    lineno += value[: len(value) - len(value.lstrip())].count("\n")
                raise UserError(
                    f"template {self.templates_dir / name}:{lineno}: text outside a {{% macro %}} block "
                    f"(\"{text}\") would not appear in the report; move it inside one of the file's macros "
                    "(before its {% endmacro %}) and re-run"
                )

    def render_html(self, context: dict[str, Any]) -> str:
        template = self.env.get_template(MAIN_TEMPLATE)
        stylesheet = (self.templates_dir / STYLESHEET).read_text(encoding="utf-8")
        page = ""
        previous: dict[str, int] = {}
        contents: list[dict] = []
        for final in (False, True):  # pass 1 learns figure numbers and headings, pass 2 resolves references
            numbering = Numbering()
            try:
                page = template.render(**context, stylesheet=Markup(stylesheet), contents=contents,
                                       **_make_globals(numbering, previous, final))
            except (jinja2.TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
                raise UserError(self._explain(exc)) from None
            previous = dict(numbering.numbers)
            contents = _headings(page)
        try:
            return replace_math(page)
        except MathError as exc:
            raise UserError(f"{self._math_location(str(exc))}: {exc}; fix the math and re-run "
                            "(a literal dollar sign is written \\$)") from None

    def _explain(self, exc: BaseException) -> str:
        """One line for a rendering error: where, what, and the names that would have worked."""
        location, message = self._template_location(exc), str(exc)
        missing = re.search(r"'([\w.]+) object' has no attribute '(\w+)'", message)
        if missing and missing.group(1).endswith("TemplateModule"):
            # A section calls a macro its answers file no longer defines: point at the answers file.
            source_file = location.removeprefix("template ").rsplit(":", 1)[0]
            imported = re.search(r'import "(answers/[^"]+)"', Path(source_file).read_text(encoding="utf-8")) \
                if Path(source_file).is_file() else None
            if imported:
                answers = self.templates_dir / imported.group(1)
                macros = re.findall(r"{%-?\s*macro\s+(\w+)", answers.read_text(encoding="utf-8"))
                return (f"template {answers}: defines no macro {missing.group(2)}() ({location} calls it; the file "
                        f"defines {', '.join(macros) or 'none'}); restore the macro's name and re-run")
        if missing:
            fields = _field_names(missing.group(1))
            if fields:
                message += f" (it has: {', '.join(fields)})"
        return f"{location}: {type(exc).__name__}: {message}; fix the template and re-run"

    def _math_location(self, message: str) -> str:
        """'template <file>:<line>' of the formula named in a MathError, found in the template sources.

        The formula in the message is the rendered one (numbers from {{ }} filled in), so the search
        also tries the unknown command it names and ever shorter beginnings of the formula.
        """
        formula = re.search(r"\$(.+?)\$(?=[: (])", message)
        if not formula:
            return "template"
        tex = formula.group(1)
        command = re.search(r"unknown LaTeX command (\\[A-Za-z]+)", message)
        candidates = [tex] + ([command.group(1)] if command else []) + [tex[:n] for n in (30, 20, 12, 8) if n < len(tex)]
        sources = [(self.templates_dir / name) for name in sorted(self.env.list_templates(extensions=["j2"]))]
        for needle in candidates:
            for path in sources:
                for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    if needle in line:
                        return f"template {path}:{lineno}"
        return "template (a formula built from {{ }} values)"

    def _template_location(self, exc: BaseException) -> str:
        """'templates/x.html.j2:12' for the innermost template frame in the traceback."""
        location = "template"
        for frame in traceback.extract_tb(exc.__traceback__):
            if frame.filename.startswith(str(self.templates_dir)):
                location = f"template {frame.filename}:{frame.lineno}"
        if isinstance(exc, jinja2.TemplateSyntaxError) and exc.filename:
            location = f"template {exc.filename}:{exc.lineno}"
        return location

    def write(self, context: dict[str, Any], out_dir: Path, stem: str = "hw1") -> tuple[Path, Path]:
        """Render and write <stem>.html and <stem>.pdf atomically; return their paths."""
        cache = out_dir / "figures" / "math-cache.json"
        mathtex.load_cache(cache)
        page = self.render_html(context)
        cache.parent.mkdir(parents=True, exist_ok=True)
        mathtex.save_cache(cache)
        html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
        try:
            import weasyprint
        except ImportError:  # e.g. a GPU machine without it: keep what can be kept, say what to do
            write_text_atomic(html_path, page)
            raise UserError(f"WeasyPrint is not installed, so no PDF was written (results are saved and {html_path} "
                            "is written); pip install weasyprint, then run python run_all.py --report-only") from None
        document = weasyprint.HTML(string=page, base_url=str(out_dir.resolve()) + "/")
        with atomic_path(pdf_path) as tmp:
            document.write_pdf(tmp)
        write_text_atomic(html_path, page)
        return html_path, pdf_path
