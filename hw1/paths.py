"""Where the package's own files are (importable without torch, matplotlib or jinja2)."""

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_TEMPLATES = PACKAGE_DIR.parent / "templates"
