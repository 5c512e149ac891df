"""The Jinja environment of a templates folder, kept for the life of the process, and the draft mode's
loader, which marks each paragraph, caption and table of the templates with the file and line it is on.
"""

from __future__ import annotations

import re
from pathlib import Path

import jinja2


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

        return self.transform(source, template), filename, uptodate

    def transform(self, source: str, name: str) -> str:
        return source


# What the draft mode marks: paragraphs, figure captions, tables, table captions, list items.
_MARKED = re.compile(r"<(p|figcaption|table|caption|li)(?=[\s>/])")
_JINJA = re.compile(r"{#.*?#}|{%.*?%}|{{.*?}}", re.S)
_RAW = re.compile(r"{%-?\s*raw\s*-?%}.*?{%-?\s*endraw\s*-?%}", re.S)
DRAFT_ATTRIBUTE = "data-src"


def mark_source(source: str, name: str) -> str:
    """The template with ` data-src="NAME:LINE"` in each opening <p>, <figcaption>, <table>, <caption>
    and <li> tag of its text (not in Jinja tags, expressions, comments or raw blocks). Lines are kept:
    the attribute is inserted on the tag's own line, so Jinja's error lines stay right."""
    skipped = [m.span() for m in _JINJA.finditer(source)] + [m.span() for m in _RAW.finditer(source)]

    def inside_jinja(at: int) -> bool:
        return any(start <= at < end for start, end in skipped)

    out, last = [], 0
    for match in _MARKED.finditer(source):
        if inside_jinja(match.start()):
            continue
        line = source.count("\n", 0, match.start()) + 1
        out.append(source[last:match.end()])
        out.append(f' {DRAFT_ATTRIBUTE}="{name}:{line}"')
        last = match.end()
    out.append(source[last:])
    return "".join(out)


class _DraftLoader(_ContentCheckedLoader):
    """The draft mode's loader: every template's paragraphs, captions and tables say where they are written."""

    def transform(self, source: str, name: str) -> str:
        return mark_source(source, name)


_ENVIRONMENTS: dict[tuple, jinja2.Environment] = {}  # one per templates folder and mode, kept for the life of the process


def environment(templates_dir: Path, draft: bool = False) -> jinja2.Environment:
    """The Jinja environment of a templates folder, reused by every Renderer of this process.

    `--watch` builds a Renderer per render; reusing the environment keeps each compiled template until
    its file changes, so a one-word edit recompiles one file instead of all of them."""
    key = (str(templates_dir), templates_dir.resolve(), draft)  # the folder as named (error messages use it) and where it is
    if key not in _ENVIRONMENTS:
        if len(_ENVIRONMENTS) >= 8:  # a test suite renders many temporary folders: keep the latest few
            _ENVIRONMENTS.pop(next(iter(_ENVIRONMENTS)))
        loader = (_DraftLoader if draft else _ContentCheckedLoader)(str(templates_dir))
        _ENVIRONMENTS[key] = jinja2.Environment(
            loader=loader,
            undefined=jinja2.StrictUndefined,
            autoescape=True,  # values from results are escaped; templates mark their own HTML
            trim_blocks=False,  # a line break after a block tag stays a space: prose around {% if %} never runs together
            lstrip_blocks=True,
            bytecode_cache=_bytecode_cache(draft),  # checked against the (marked) source: draft and hand-in never mix
        )
    return _ENVIRONMENTS[key]


def _bytecode_cache(draft: bool) -> jinja2.BytecodeCache | None:
    """Compiled templates kept on disk (Jinja's per-user folder in the temporary directory, keyed by each
    template's text): a cold --report-only compiles only the files that changed. None where that folder
    cannot be made safely (Jinja refuses one another user owns): templates are then compiled each run."""
    try:
        return jinja2.FileSystemBytecodeCache(pattern="__jinja2_draft_%s.cache" if draft else "__jinja2_%s.cache")
    except (RuntimeError, OSError):
        return None
