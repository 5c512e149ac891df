"""A hand-in whose inputs did not change is not laid out again.

A student re-renders after editing one part's answers; the hand-in holding the other parts then gets the very
same HTML and files. Its PDF is a function of those inputs (the HTML with its inlined stylesheet, every local
file the HTML names, this package's rendering code, the WeasyPrint version and the speed-ups switch), so the
previous PDF is the PDF this render would write, and is kept. The key of those inputs, the PDF's size and
modification time, and what the render told the user are saved beside the figures (<out>/figures/<stem>-render.json);
a PDF changed or removed since, or any input changed, renders afresh.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
from pathlib import Path

from ..store.storage import write_text_atomic

_LOCAL_FILE = re.compile(r'\b(?:src|href)="(?!data:|https?:|#)([^"]+)"|url\((?!data:)["\']?([^)"\']+)["\']?\)')
_RENDERING_CODE = Path(__file__).resolve().parent


def key(page: str, out_dir: Path) -> str:
    """sha256 over everything the PDF is made from (see the module's docstring)."""
    digest = hashlib.sha256(page.encode("utf-8"))
    for match in sorted(set(_LOCAL_FILE.findall(page))):
        name = html.unescape(match[0] or match[1])
        path = Path(name) if name.startswith("/") else out_dir / name
        digest.update(name.encode("utf-8") + (path.read_bytes() if path.is_file() else b"(missing)"))
    for source in sorted(_RENDERING_CODE.rglob("*.py")):
        digest.update(source.read_bytes())
    import weasyprint

    digest.update(f"{weasyprint.__version__} {os.environ.get('HW1_PLAIN_WEASYPRINT', '')}".encode())
    return digest.hexdigest()


def _record_path(out_dir: Path, stem: str) -> Path:
    return out_dir / "figures" / f"{stem}-render.json"


def _stamp(pdf_path: Path) -> list[int]:
    stat = pdf_path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def previous(out_dir: Path, stem: str, pdf_path: Path, render_key: str) -> dict | None:
    """What the previous render of these very inputs told the user, if its PDF is still as it wrote it."""
    try:
        record = json.loads(_record_path(out_dir, stem).read_text(encoding="utf-8"))
        if record["key"] == render_key and record["pdf"] == _stamp(pdf_path):
            return record["info"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return None


def remember(out_dir: Path, stem: str, pdf_path: Path, render_key: str, info: dict) -> None:
    path = _record_path(out_dir, stem)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps({"key": render_key, "pdf": _stamp(pdf_path), "info": info}))
