"""The one place that renders: Jinja2 templates -> HTML (with typeset math) -> PDF via WeasyPrint.

Templates live in `templates/`: `report.html.j2` (the document), `sections/` (one partial per part:
question headings, figures, tables) and `answers/` (the written answers, the files students edit),
plus `style.css` (the print stylesheet, inlined so the HTML twin is self-contained).
Numbers reach the answers through filters (`pct`, `num`, `sig`, `count`, `secs`), never by hand; the filters
and the figure, table, reference and citation macros are in hw1/rendering/report_macros.py.
"""

from __future__ import annotations

import html
import logging
import shutil
import re
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..errors import UserError
from . import mathtex
from .speedups import incremental, pdf_cache
from .mathtex import MathError, replace_math
from .report_macros import (FILTERS, OWN_FIGURES, REFERENCES, Numbering, count, load_references, make_globals, num,
                            pct, secs, sig)
from ..store.storage import atomic_path, write_text_atomic

from ..paths import DEFAULT_TEMPLATES  # noqa: E402  (re-exported)
MAIN_TEMPLATE = "report.html.j2"
STYLESHEET = "style.css"


_BLOCK_TAGS = {"if", "for", "macro", "call", "filter", "with", "block", "raw", "autoescape", "trans"}
_TAG = re.compile(r"{%-?\s*(\w+)(.*?)-?%}|{#.*?#}", re.S)


def _unclosed_block(source: str) -> tuple[str, int] | None:
    """(tag, line) of the innermost block left open in a template (or closed by the wrong end tag)."""
    stack: list[tuple[str, int]] = []
    for match in _TAG.finditer(source):
        tag, rest = match.group(1), match.group(2) or ""
        if tag is None:
            continue  # a comment
        line = source.count("\n", 0, match.start()) + 1
        if tag in _BLOCK_TAGS or (tag == "set" and "=" not in rest):
            stack.append((tag, line))
        elif tag.startswith("end"):
            if not stack or stack[-1][0] != tag[3:]:
                return stack[-1] if stack else None
            stack.pop()
    return stack[-1] if stack else None


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


class _ContentCheckedLoader(jinja2.FileSystemLoader):
    """A FileSystemLoader whose cached templates stay valid exactly while the file's text is unchanged.

    Jinja's own check compares modification times, which can miss a save within the file system's clock
    tick (tests write, render and write again in a millisecond); comparing the text costs a read."""

    def get_source(self, environment, template):
        source, filename, _ = super().get_source(environment, template)

        def uptodate() -> bool:
            try:
                return Path(filename).read_text(encoding="utf-8") == source
            except OSError:
                return False

        return source, filename, uptodate


_ENVIRONMENTS: dict[tuple[str, Path], jinja2.Environment] = {}  # one per templates folder, kept for the life of the process


def _environment(templates_dir: Path) -> jinja2.Environment:
    """The Jinja environment of a templates folder, reused by every Renderer of this process.

    `--watch` builds a Renderer per render; reusing the environment keeps each compiled template until
    its file changes, so a one-word edit recompiles one file instead of all of them."""
    key = (str(templates_dir), templates_dir.resolve())  # the folder as named (error messages use it) and where it is
    if key not in _ENVIRONMENTS:
        if len(_ENVIRONMENTS) >= 8:  # a test suite renders many temporary folders: keep the latest few
            _ENVIRONMENTS.pop(next(iter(_ENVIRONMENTS)))
        _ENVIRONMENTS[key] = jinja2.Environment(
            loader=_ContentCheckedLoader(str(templates_dir)),
            undefined=jinja2.StrictUndefined,
            autoescape=True,  # values from results are escaped; templates mark their own HTML
            trim_blocks=False,  # a line break after a block tag stays a space: prose around {% if %} never runs together
            lstrip_blocks=True,
            bytecode_cache=_bytecode_cache(),
        )
    return _ENVIRONMENTS[key]


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept on disk (Jinja's per-user folder in the temporary directory, keyed by each
    template's text): a cold --report-only compiles only the files that changed. None where that folder
    cannot be made safely (Jinja refuses one another user owns): templates are then compiled each run."""
    try:
        return jinja2.FileSystemBytecodeCache()
    except (RuntimeError, OSError):
        return None


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
        self.env = _environment(self.templates_dir)
        self.references = load_references(self.templates_dir / REFERENCES)
        self.env.filters.update(pct=pct, num=num, sig=sig, count=count, secs=secs)
        self._check_syntax()

    def _check_syntax(self) -> None:
        for name in self.env.list_templates(extensions=["j2"]):
            try:
                self.env.get_template(name)
            except jinja2.TemplateSyntaxError as exc:
                hint = ""
                if "No filter named" in exc.message:
                    hint = f" (hw1's filters: {', '.join(FILTERS)}; Jinja's built-ins such as round, join, length also work)"
                lineno, message = exc.lineno, (exc.message or "").rstrip(". ")
                opened = _unclosed_block((self.templates_dir / name).read_text(encoding="utf-8"))
                if opened and ("Unexpected end of template" in message or "Encountered unknown tag 'end" in message):
                    tag, lineno = opened
                    message = (f"this {{% {tag} %}} is never closed (no {{% end{tag} %}} before "
                               f"line {exc.lineno}, where Jinja noticed)")
                raise UserError(
                    f"template {self.templates_dir / name}:{lineno}: {message}{hint}; fix the template and re-run"
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

    def render_html(self, context: dict[str, Any], out_dir: Path | None = None) -> str:
        """The page as HTML with typeset math; images next to the templates are copied into out_dir."""
        template = self.env.get_template(MAIN_TEMPLATE)
        stylesheet = (self.templates_dir / STYLESHEET).read_text(encoding="utf-8")
        page = ""
        previous = Numbering()
        contents: list[dict] = []
        for final in (False, True):  # pass 1 learns figure numbers and headings, pass 2 resolves references
            numbering = Numbering()
            try:
                page = template.render(**context, stylesheet=Markup(stylesheet), contents=contents,
                                       **make_globals(numbering, previous, final, self.templates_dir, out_dir,
                                                       self.references))
            except jinja2.TemplateNotFound as exc:
                raise UserError(self._missing_template(exc)) from None
            except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError) as exc:
                raise UserError(self._explain(exc)) from None
            previous = numbering
            contents = _headings(page)
        page = self._images(page, out_dir)
        try:
            return replace_math(page)
        except MathError as exc:
            raise UserError(f"{self._math_location(str(exc))}: {exc}; fix the math and re-run "
                            "(a literal dollar sign is written \\$)") from None

    def _missing_template(self, exc: jinja2.TemplateNotFound) -> str:
        """A deleted answers file (or section) is named, with how to get it back."""
        name = exc.name if isinstance(exc.name, str) else str(exc)
        path = self.templates_dir / name
        return (f"template {path} is missing (the report includes it); restore it with "
                f"git checkout templates/{name} (or copy it from the project's templates/ folder) and re-run")

    _IMG = re.compile(r'(<img\b[^>]*?\bsrc=")([^"]+)(")')

    def _images(self, page: str, out_dir: Path | None) -> str:
        """Every <img> of the page must show: an image next to the templates is copied to
        <out>/figures/own/ (so the PDF and the HTML twin both find it); a missing one is an error."""
        def resolve(match: re.Match) -> str:
            src = html.unescape(match.group(2))
            if re.match(r"(data|https?|file):", src) or src.startswith("/"):
                return match.group(0)
            if src.startswith("figures/") and (out_dir is None or (out_dir / src).is_file()):
                return match.group(0)  # hw1's own figures, drawn into the output folder
            source = self.templates_dir / src
            if not source.is_file() or ".." in Path(src).parts:
                where = self._source_location('src="' + src + '"', src)
                raise UserError(f"{where}: image {src} not found; put it in "
                                f"{self.templates_dir} (image paths are relative to the templates folder) and re-run")
            if out_dir is None:
                return match.group(0)
            target = out_dir / OWN_FIGURES / src
            if not target.is_file() or target.read_bytes() != source.read_bytes():
                target.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(target) as tmp:
                    shutil.copyfile(source, tmp)
            return match.group(1) + str(escape(f"{OWN_FIGURES}/{src}")) + match.group(3)

        return self._IMG.sub(resolve, page)

    def _source_location(self, *needles: str) -> str:
        """'template <file>:<line>' of the first template line holding one of `needles` (in that order)."""
        sources = [self.templates_dir / name for name in sorted(self.env.list_templates(extensions=["j2"]))]
        for needle in needles:
            for path in sources:
                for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    if needle in line:
                        return f"template {path}:{lineno}"
        return "template"

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
        tries the whole formula between its dollars, then the whole formula, then the unknown command
        it names (as a whole command: `\\eps` is not found inside `\\epsilon`), then ever shorter
        beginnings of the formula.
        """
        formula = re.search(r"\$(.+?)\$(?=[: (])", message)
        if not formula:
            return "template"
        tex = formula.group(1)
        command = re.search(r"unknown LaTeX command (\\[A-Za-z]+)", message)
        patterns = [re.escape(f"${tex}$"), re.escape(tex)]
        if command:
            patterns.append(re.escape(command.group(1)) + r"(?![A-Za-z])")
        patterns += [re.escape(tex[:n]) for n in (30, 20, 12, 8) if n < len(tex)]
        sources = [(self.templates_dir / name) for name in sorted(self.env.list_templates(extensions=["j2"]))]
        for pattern in patterns:
            for path in sources:
                for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                    # templates write a backslash in a Jinja string as \\: look for both spellings
                    if re.search(pattern, line) or re.search(pattern, line.replace("\\\\", "\\")):
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
        """Render and write <stem>.html and <stem>.pdf atomically; return their paths.

        Also writes <stem>-pages.txt (the question -> pages map Gradescope asks for) and leaves what
        the caller should print in `self.info` (page count, that map, warnings about the title page)."""
        cache = out_dir / "figures" / "math-cache.json"
        mathtex.load_cache(cache)
        page = self.render_html(context, out_dir)
        cache.parent.mkdir(parents=True, exist_ok=True)
        mathtex.save_cache(cache)
        _copy_fonts(out_dir)
        html_path, pdf_path = out_dir / f"{stem}.html", out_dir / f"{stem}.pdf"
        try:
            import weasyprint
        except ImportError:  # e.g. a GPU machine without it: keep what can be kept, say what to do
            write_text_atomic(html_path, page)
            raise UserError(f"WeasyPrint is not installed, so no PDF was written (results are saved and {html_path} "
                            "is written); pip install weasyprint, then run python run_all.py --report-only") from None
        _quiet_font_subsetting_warning()
        pdf_cache.install()
        pdf_cache.load(cache.parent / pdf_cache.PDF_CACHE)
        page_for_pdf = pdf_cache.formulas_as_files(page, out_dir)
        images = pdf_cache.image_cache()
        document = incremental.render(page_for_pdf, base_url=str(out_dir.resolve()) + "/", key=str(pdf_path.resolve()),
                                      cache=images)
        with atomic_path(pdf_path) as tmp:
            document.write_pdf(tmp)
        pdf_cache.note_loaded_images()
        pdf_cache.save(cache.parent / pdf_cache.PDF_CACHE)
        write_text_atomic(html_path, page)
        questions = _question_pages(document, _headings(page))
        pages_path = out_dir / f"{stem}-pages.txt"
        write_text_atomic(pages_path, f"{pdf_path.name}: {len(document.pages)} pages\n" + "".join(
            f"{q['text']}\tp. {_page_range(q['pages'])}\n" for q in questions))
        self.info = RenderInfo(pages=len(document.pages), questions=questions, pages_file=pages_path,
                               warnings=_title_warnings(page))
        return html_path, pdf_path


@dataclass
class RenderInfo:
    """What a render tells the user besides the PDF's path."""

    pages: int = 0
    questions: list[dict] = field(default_factory=list)  # {"text", "number", "pages": [first, ..., last]}
    pages_file: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """'24 pages; questions -> pages: 1.1 p. 3, 1.2 p. 3-4, ...' (one line)."""
        numbered = [q for q in self.questions if q["number"]]
        pairs = ", ".join(f"{q['number']} p. {_page_range(q['pages'])}" for q in numbered)
        return f"{self.pages} pages; questions -> pages (for Gradescope, also in {self.pages_file}): {pairs}"


PLACEHOLDER_NAME = "Your Name (PennKey)"


def _title_warnings(page: str) -> list[str]:
    if PLACEHOLDER_NAME in page:
        return [f"the title page still says \"{PLACEHOLDER_NAME}\": put your name and PennKey in "
                "templates/answers/title.html.j2"]
    return []


def _page_range(pages: list[int]) -> str:
    return f"{pages[0]}" if pages[0] == pages[-1] else f"{pages[0]}-{pages[-1]}"


def _question_pages(document, headings: list[dict]) -> list[dict]:
    """Pages of each heading's section: from its heading to just before the next heading of any level."""
    where: dict[str, tuple[int, float]] = {}
    for number, page in enumerate(document.pages, start=1):
        for ident, position in page.anchors.items():
            where.setdefault(ident, (number, position[1]))
    located = [h for h in headings if h["id"] in where]
    questions = []
    for index, heading in enumerate(located):
        first = where[heading["id"]][0]
        if index + 1 < len(located):
            next_page, next_y = where[located[index + 1]["id"]]
            last = next_page if next_y > 120 else next_page - 1  # px: the next heading is not at the page's top
        else:
            last = len(document.pages)
        number = re.match(r"(\d+(?:\.\d+)*)\.?\s", heading["text"])
        questions.append({"text": heading["text"], "number": number.group(1) if number else "",
                          "pages": list(range(first, max(first, last) + 1))})
    return questions


FONTS_DIR = Path(__file__).resolve().parent.parent / "fonts"


def _copy_fonts(out_dir: Path) -> None:
    """The stylesheet's fonts, beside the PDF and the HTML twin (fonts/, relative to both)."""
    target_dir = out_dir / "fonts"
    for font in sorted(FONTS_DIR.glob("*.otf")) + [FONTS_DIR / "GUST-FONT-LICENSE.txt"]:
        target = target_dir / font.name
        if not target.is_file() or target.stat().st_size != font.stat().st_size:
            target_dir.mkdir(parents=True, exist_ok=True)
            with atomic_path(target) as tmp:
                shutil.copyfile(font, tmp)


class _FontSubsettingFilter(logging.Filter):
    """Drops WeasyPrint's 'Using fontTools instead of HarfBuzz-Subset' notice, and nothing else.

    Without the optional libharfbuzz-subset library WeasyPrint subsets fonts with fontTools (same PDF,
    a little slower) and says so once per font and render: noise that made real warnings look random."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("Using fontTools instead of HarfBuzz")


def _quiet_font_subsetting_warning() -> None:
    logger = logging.getLogger("weasyprint")
    if not any(isinstance(f, _FontSubsettingFilter) for f in logger.filters):
        logger.addFilter(_FontSubsettingFilter())


_quiet_font_subsetting_warning()  # from import on, so every caller (the CLI, tests, benchmarks) is quiet
