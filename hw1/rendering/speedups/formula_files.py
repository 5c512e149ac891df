"""Typeset formulas as files for WeasyPrint: each formula's SVG in <out>/figures/math/<hash>.svg instead of
a data URI in the page, and what identifies an SVG image's content from its URL (used by the PDF caches in
pdf_cache.py). No WeasyPrint internals: this only rewrites the page WeasyPrint reads.
"""

from __future__ import annotations

import re
from pathlib import Path

from ...store.storage import atomic_path

FORMULA_FOLDER = ("figures", "math")  # under the output folder: typeset formulas, each named by its SVG's hash
_FORMULA_FILE = re.compile(r"[0-9a-f]{20}\.svg")
# False while a hand-in renders beside the combined report (hw1/rendering/handins.py): its formulas are a subset of
# the combined report's, and removing the combined report's other formulas would pull files from under its layout.
REMOVE_UNUSED = True


def formula_file_name(svg: bytes) -> str:
    """The name of a formula's SVG file in FORMULA_FOLDER: its content's hash (so the name is the content)."""
    import hashlib

    return hashlib.sha1(svg).hexdigest()[:20] + ".svg"


_FORMULA_DATA_URI = re.compile(r'(<img class="math"[^>]*? src=")data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"')


def formulas_as_files(page: str, out_dir: Path) -> str:
    """The page for WeasyPrint, with each typeset formula's SVG in a file (figures/math/<hash>.svg) instead
    of a data URI; the files no other formula uses are removed.

    The data URIs are about 1.2 MB of a 1.3 MB page, and WeasyPrint's HTML parser reads attribute values a
    character at a time: 0.8 s of every render. The HTML twin keeps the data URIs (it stays self-contained)."""
    import base64

    folder = out_dir.joinpath(*FORMULA_FOLDER)
    folder.mkdir(parents=True, exist_ok=True)
    used: set[str] = set()

    def to_file(match: re.Match) -> str:
        svg = base64.b64decode(match.group(2))
        name = formula_file_name(svg)
        if name not in used and not (folder / name).is_file():
            with atomic_path(folder / name) as tmp:
                tmp.write_bytes(svg)
        used.add(name)
        return f'{match.group(1)}{"/".join(FORMULA_FOLDER)}/{name}"'

    page = _FORMULA_DATA_URI.sub(to_file, page)
    for stale in folder.glob("*.svg") if REMOVE_UNUSED else ():
        if stale.name not in used:
            stale.unlink(missing_ok=True)
    return page


def _file_of(url: str) -> Path:
    """The local path a file: URL names."""
    from urllib.parse import unquote, urlsplit

    return Path(unquote(urlsplit(url).path))


def svg_identity(url) -> str | None:
    """What identifies an SVG image's content from its URL alone, or None where the URL does not.

    A data URI is its content (hashed); a formula file (FORMULA_FOLDER/<hash>.svg) is named by its content.
    Any other file could change under the same name, so it has no identity here and is never cached."""
    import hashlib

    if not isinstance(url, str):
        return None
    if url.startswith("data:image/svg+xml"):
        return hashlib.sha1(url.encode()).hexdigest()
    if url.startswith("file:"):
        path = _file_of(url)
        if path.parent.parts[-2:] == FORMULA_FOLDER and _FORMULA_FILE.fullmatch(path.name):
            return f"formula-{path.name}"
    return None
