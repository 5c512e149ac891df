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
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..errors import UserError
from . import mathtex
from . import linebreaks, speedups, unchanged
from .speedups import incremental, pdf_cache
from .mathtex import MathError, replace_math
from .report_macros import OWN_FIGURES, REFERENCES, Numbering, count, load_references, make_globals, num, pct, secs, sig
from .template_env import environment
from .template_errors import TemplateErrors
from ..store.storage import atomic_path, write_text_atomic

from ..paths import DEFAULT_TEMPLATES  # noqa: E402  (re-exported)
MAIN_TEMPLATE = "report.html.j2"
STYLESHEET = "style.css"


_HEADING = re.compile(r'<h([23])[^>]*\bid="([^"]+)"[^>]*>(.*?)</h\1>', re.S)
_POINTS = re.compile(r'<span class="points">.*?</span>', re.S)


def _headings(page: str) -> list[dict]:
    """Section (h2) and question (h3) headings with ids, for the table of contents."""
    entries = []
    for level, ident, inner in _HEADING.findall(page):
        text = html.unescape(re.sub(r"<[^>]+>", "", _POINTS.sub("", inner))).strip()
        entries.append({"level": int(level), "id": ident, "text": " ".join(text.split())})
    return entries


class Renderer:
    """Loads and checks the templates up front, then renders report data to HTML and PDF."""

    def __init__(self, templates_dir: Path = DEFAULT_TEMPLATES, draft: bool = False):
        """`draft`: every paragraph, caption and table says in the margin which template file and line wrote
        it (template_env.mark_source); for proofreading only, written to hw1-draft.pdf by the pipeline."""
        self.templates_dir = Path(templates_dir)
        for required in (MAIN_TEMPLATE, STYLESHEET):
            if not (self.templates_dir / required).is_file():
                raise UserError(
                    f"template {self.templates_dir / required} is missing; restore it "
                    "(git checkout templates/) or point --templates at a folder that has it"
                )
        self.draft = draft
        self.env = environment(self.templates_dir, draft)
        self.errors = TemplateErrors(self.templates_dir, self.env)
        self.references = load_references(self.templates_dir / REFERENCES)
        self.env.filters.update(pct=pct, num=num, sig=sig, count=count, secs=secs)
        self.errors.check_syntax()

    def render_html(self, context: dict[str, Any], out_dir: Path | None = None) -> str:
        """The page as HTML with typeset math; images next to the templates are copied into out_dir.

        Without `shown`, `handin` and `run_record` in the context, the document is the combined report of every part
        in `parts`, with no run record (the hand-ins set them: hw1/rendering/handins.py)."""
        context = {"shown": list(context["parts"]), "handin": None, "run_record": False, **context}
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
                                                      self.references, self.draft))
            except jinja2.TemplateNotFound as exc:
                raise UserError(self.errors.missing_template(exc)) from None
            except (jinja2.TemplateError, TypeError, ValueError, AttributeError, LookupError) as exc:
                raise UserError(self.errors.explain(exc)) from None
            previous = numbering
            contents = _headings(page)
        page = self._images(page, out_dir)
        if self.draft:  # the stylesheet shows the data-src marks in the margin (body.draft)
            page = re.sub(r"<body\b", '<body class="draft"', page, count=1)
        try:
            return replace_math(page)
        except MathError as exc:
            raise UserError(f"{self.errors.math_location(str(exc))}: {exc}; fix the math and re-run "
                            "(a literal dollar sign is written \\$)") from None

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
                where = self.errors.source_location('src="' + src + '"', src)
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

    def write(self, context: dict[str, Any], out_dir: Path, stem: str = "hw1",
              keep_unchanged: bool = False) -> tuple[Path, Path]:
        """Render and write <stem>.html and <stem>.pdf atomically; return their paths.

        Also writes <stem>-pages.txt (the question -> pages map Gradescope asks for) and leaves what
        the caller should print in `self.info` (page count, that map, warnings about the title page).
        `keep_unchanged` (the hand-ins): where the previous render had these very inputs and its PDF is as it
        wrote it, keep that PDF instead of laying it out again (hw1/rendering/unchanged.py)."""
        if self.draft:
            stem = f"{stem}-draft"  # a proofreading copy: never the file handed in
        cache, pdf_cache_file = _cache_files(out_dir, stem)
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
        pages_path = out_dir / f"{stem}-pages.txt"
        render_key = unchanged.key(page, out_dir) if keep_unchanged and not self.draft else None
        kept = render_key and html_path.is_file() and pages_path.is_file() and unchanged.previous(
            out_dir, stem, pdf_path, render_key)
        if kept:
            self.info = RenderInfo(pages=kept["pages"], questions=kept["questions"], pages_file=pages_path,
                                   warnings=_title_warnings(page), kept=True)
            return html_path, pdf_path
        document = _render_pdf(page, out_dir, pdf_path, pdf_cache_file)
        write_text_atomic(html_path, page)
        questions = _question_pages(document, _headings(page))
        write_text_atomic(pages_path, f"{pdf_path.name}: {len(document.pages)} pages\n" + "".join(
            f"{q['text']}\tp. {_page_range(q['pages'])}\n" for q in questions))
        self.info = RenderInfo(pages=len(document.pages), questions=questions, pages_file=pages_path,
                               warnings=_title_warnings(page))
        if render_key:
            unchanged.remember(out_dir, stem, pdf_path, render_key, {"pages": len(document.pages),
                                                                     "questions": questions})
        return html_path, pdf_path


def _cache_files(out_dir: Path, stem: str) -> tuple[Path, Path]:
    """The formula cache and the PDF cache of one document: figures/math-cache.json and pdf-cache.json for
    hw1.pdf, math-cache-hw1a.json ... for the others. Each render keeps only what it used, so documents
    sharing one file would each overwrite the others' entries (and the hand-ins are written while hw1.pdf is)."""
    suffix = "" if stem == "hw1" else f"-{stem}"
    figures = out_dir / "figures"
    return figures / f"math-cache{suffix}.json", figures / pdf_cache.PDF_CACHE.replace(".json", f"{suffix}.json")


def _render_pdf(page: str, out_dir: Path, pdf_path: Path, cache_file: Path):
    """Lay out and write the PDF: with the speed-ups where speedups.prepare() allows them (a checked
    WeasyPrint, HW1_PLAIN_WEASYPRINT unset), else with plain WeasyPrint (the page as it is, no cache)."""
    fast = speedups.prepare()
    options = {}
    if fast:
        pdf_cache.load(cache_file)
        page = pdf_cache.formulas_as_files(page, out_dir)
        options["cache"] = pdf_cache.image_cache()
    document = incremental.render(page, base_url=str(out_dir.resolve()) + "/", key=str(pdf_path.resolve()), **options)
    broken, paragraphs = linebreaks.early_breaks(document)
    if broken:  # WeasyPrint broke a line early inside a paragraph: lay those paragraphs out again (linebreaks.py)
        fixed = linebreaks.without_auto_hyphens(page, broken, paragraphs)
        if fixed != page:
            logging.getLogger(__name__).info("%s: %d paragraph(s) with a line broken early laid out again",
                                             pdf_path.name, len(broken))
            document = incremental.render(fixed, base_url=str(out_dir.resolve()) + "/", key=str(pdf_path.resolve()),
                                          **options)
    with atomic_path(pdf_path) as tmp:
        document.write_pdf(tmp)
    if fast:
        pdf_cache.note_loaded_images()
        pdf_cache.save(cache_file)
    return document


@dataclass
class RenderInfo:
    """What a render tells the user besides the PDF's path."""

    pages: int = 0
    questions: list[dict] = field(default_factory=list)  # {"text", "number", "pages": [first, ..., last]}
    pages_file: Path | None = None
    warnings: list[str] = field(default_factory=list)
    kept: bool = False  # the previous PDF of the very same inputs was kept (write(keep_unchanged=True))

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
