"""The registry of the assignment's parts, discovered from the folders `hw1/parts/part<N>_<name>/`.

Adding a part is adding a folder (docs/development.md, "Adding a part"): nothing here lists the parts by hand.
The CLI reads the folder names only (`hw1.paths.part_folders`, no imports), so `run_all.py --help` stays instant.
"""

from __future__ import annotations

import importlib

from ..paths import part_folders
from .contract import Part, StoredPart  # noqa: F401  (re-exported)


def _load() -> dict[int, Part]:
    parts: dict[int, Part] = {}
    for number, folder in part_folders().items():
        module = importlib.import_module(f"{__name__}.{folder.name}")
        part = getattr(module, "PART", None)
        if not isinstance(part, Part):
            raise RuntimeError(f"{folder}/__init__.py must define PART = Part(...)")
        if part.number != number:
            raise RuntimeError(f"{folder.name} declares Part(number={part.number}); the folder says {number}")
        missing = [d for d in part.depends_on if d not in part_folders() or d >= number]
        if missing:
            raise RuntimeError(f"part {number} depends on part {missing[0]}, which must exist and come before it")
        parts[number] = Part(**{**part.__dict__, "folder": folder})
    return parts


PARTS: dict[int, Part] = _load()


def with_dependencies(numbers: list[int]) -> list[int]:
    """The requested parts plus every part they depend on, in computation order."""
    needed: set[int] = set()

    def visit(number: int) -> None:
        if number in needed:
            return
        for dependency in PARTS[number].depends_on:
            visit(dependency)
        needed.add(number)

    for number in numbers:
        visit(number)
    return sorted(needed)
