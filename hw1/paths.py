"""Where the package's own files are, and which parts exist (importable without torch, matplotlib or jinja2)."""

import re
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DEFAULT_TEMPLATES = PACKAGE_DIR.parent / "templates"
PARTS_DIR = PACKAGE_DIR / "parts"
PART_FOLDER = re.compile(r"part(\d+)_[a-z0-9_]+")  # hw1/parts/part<N>_<name>/


def part_folders() -> dict[int, Path]:
    """{N: folder} for every part package hw1/parts/part<N>_<name>/, by number (folder names only: no imports)."""
    found: dict[int, Path] = {}
    for folder in sorted(PARTS_DIR.iterdir()):
        match = PART_FOLDER.fullmatch(folder.name)
        if match and (folder / "__init__.py").is_file():
            number = int(match.group(1))
            if number in found:
                raise RuntimeError(f"two folders for part {number}: {found[number].name} and {folder.name}")
            found[number] = folder
    return dict(sorted(found.items()))
