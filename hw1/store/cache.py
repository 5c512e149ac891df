"""The cache: what is saved, under which key, and when it is stale (results, code versions, figures).

Everything that decides whether saved work can be reused lives here:
- a part's **code version**: a hash of its folder (all but its drawing code) and of every `hw1` module
  that code imports, followed transitively (`code_version`): no hand-kept list can forget a module;
- its **key**: config, seed, device (for parts whose numbers depend on it), code version and the
  fingerprints of the saved upstream results it was computed from (`part_key`, `upstream`);
- the **staleness check** (`ResultStore.usable`), one rule for computing and for rendering;
- the **figure manifest** (`FigureCache`): a part's figures are redrawn only when its saved result or
  its own drawing code (its `figures.py` and what that imports) changed.

Layout of `<out>/results.json`::

    {"format": 3, "mode": "full" or "quick", "environment": {...},
     "parts": {"part1": {"key": ..., "config": {...}, "seed": 0, "device": "cpu", "code": ...,
                         "seconds": 1.2, "finished_at": ..., "artifacts": {"part1.npz": sha256},
                         "result": {...}}}}

A part's `key` hashes its config, seed, code version (and device, and upstream keys). A saved
entry is reused only when its key matches the one the current run would compute and its artifact
files still hash to what was recorded; anything else is recomputed, never rendered stale.
"""

from __future__ import annotations

import ast
import hashlib
import json
import time
from pathlib import Path
from typing import Any

from ..parts.contract import Part, StoredPart
from ..paths import PACKAGE_DIR
from .schema import from_data, to_data
from .storage import sha256_file, write_json_atomic

FORMAT = 3  # 2: entries record the upstream results they were computed from; 3: "mode" (full or quick)
RESULTS_FILE = "results.json"


def part_key(part: str, config: Any, seed: int, device: str | None, code: str, upstream: dict[str, str]) -> str:
    payload = json.dumps(
        {"part": part, "config": to_data(config), "seed": seed, "device": device,
         "code": code, "upstream": upstream},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


class ResultStore:
    """Reads and writes results.json in an output folder; detects damaged or stale entries."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / RESULTS_FILE
        self.warnings: list[str] = []
        self.damage: str | None = None  # why results.json could not be read, if it could not
        self.data = self._read()

    def _read(self) -> dict:
        empty = {"format": FORMAT, "mode": None, "environment": {}, "parts": {}}
        if not self.path.exists():
            return empty
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("parts"), dict):
                raise ValueError("unexpected layout")
        except (OSError, ValueError) as exc:
            self.damage = f"{self.path} is damaged or from another version ({exc})"
            self.warnings.append(
                f"{self.path} is damaged or from another version ({exc}); its parts will be recomputed"
            )
            return empty
        return data

    @property
    def mode(self) -> str | None:
        """"full" or "quick" (a smoke run with tiny budgets), None while nothing is saved."""
        return self.data.get("mode") if self.data["parts"] else None

    def start_mode(self, mode: str) -> None:
        """Record the mode of the results about to be saved; results of the other mode are dropped."""
        if self.mode not in (None, mode):
            self.data["parts"] = {}
        self.data["mode"] = mode

    @property
    def environment(self) -> dict:
        return self.data.get("environment", {})

    def names(self) -> list[str]:
        return list(self.data["parts"])

    def load(self, name: str, config_cls: type, result_cls: type, expected_key: str | None) -> tuple[StoredPart | None, str]:
        """The saved part `name`, or None and the reason it cannot be used.

        `expected_key=None` skips the key comparison (used by --report-only, which cannot recompute).
        """
        entry = self.data["parts"].get(name)
        if entry is None:
            return None, "not computed yet"
        if expected_key is not None and entry.get("key") != expected_key:
            return None, "its config, seed, device or code changed"
        for artifact, digest in entry.get("artifacts", {}).items():
            path = self.out_dir / "artifacts" / artifact
            if not path.exists():
                return None, f"artifact {artifact} is missing"
            if sha256_file(path) != digest:
                return None, f"artifact {artifact} is damaged (checksum mismatch)"
        try:
            stored = StoredPart(
                name=name,
                key=entry["key"],
                config=from_data(config_cls, entry["config"]),
                result=from_data(result_cls, entry["result"]),
                seed=int(entry["seed"]),
                device=str(entry["device"]),
                seconds=float(entry["seconds"]),
                finished_at=str(entry["finished_at"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            return None, f"its saved result is unreadable ({exc})"
        return stored, "cached"

    def put(self, name: str, key: str, code: str, config: Any, result: Any, seed: int, device: str,
            seconds: float, artifacts: list[str], upstream: dict[str, str]) -> None:
        """Record a finished part and write results.json at once (atomically)."""
        self.data["parts"][name] = {
            "key": key,
            "code": code,
            "upstream": upstream,  # fingerprints of the saved results this part was computed from
            "config": to_data(config),
            "seed": seed,
            "device": device,
            "seconds": round(seconds, 3),
            "finished_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "artifacts": {a: sha256_file(self.out_dir / "artifacts" / a) for a in artifacts},
            "result": to_data(result),
        }
        self.save()

    def set_environment(self, environment: dict) -> None:
        self.data["environment"] = environment

    def save(self) -> None:
        ordered = dict(sorted(self.data["parts"].items()))
        self.data["parts"] = ordered
        write_json_atomic(self.path, self.data)


# --------------------------------------------------------------------------- code versions

DRAWING_MODULE = "figures.py"  # in a part's folder: its drawing code, versioned apart from its computation


def _module_file(module: str) -> Path | None:
    """The source file of an `hw1` module name (a package's __init__.py), or None if it is not one."""
    parts = module.split(".")
    if parts[0] != PACKAGE_DIR.name:
        return None
    base = PACKAGE_DIR.joinpath(*parts[1:])
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _module_name(path: Path) -> str:
    relative = path.resolve().relative_to(PACKAGE_DIR.parent).with_suffix("")
    names = list(relative.parts)
    return ".".join(names[:-1] if names[-1] == "__init__" else names)


_PARSED_IMPORTS: dict[Path, tuple[str, set[Path]]] = {}  # file -> (its text, what it imports): parsed once per text


def _imports(path: Path) -> set[Path]:
    """The `hw1` source files `path` imports anywhere in its body (also inside functions).

    Remembered per file text: every render (and each --watch re-render) asks again for about 100 files,
    and parsing them was about 1 s of a warm re-render; reading them to compare costs a few ms."""
    text = path.read_text(encoding="utf-8")
    remembered = _PARSED_IMPORTS.get(path)
    if remembered is not None and remembered[0] == text:
        return set(remembered[1])
    found = _parse_imports(path, text)
    _PARSED_IMPORTS[path] = (text, found)
    return set(found)


def _parse_imports(path: Path, text: str) -> set[Path]:
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[Path] = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                origin = ".".join(base + ([node.module] if node.module else []))
            else:
                origin = node.module or ""
            # `from origin import name`: name may be a submodule (from . import compute) or an attribute.
            targets = [origin] + [f"{origin}.{alias.name}" for alias in node.names]
        else:
            continue
        found.update(f for f in map(_module_file, targets) if f is not None)
    return found


def module_closure(roots: list[Path], exclude: frozenset[Path] = frozenset()) -> list[Path]:
    """`roots` and every `hw1` module they import, transitively (never entering `exclude`), sorted."""
    seen: set[Path] = set()
    todo = [root.resolve() for root in roots]
    while todo:
        path = todo.pop()
        if path in seen or path in exclude:
            continue
        seen.add(path)
        todo.extend(_imports(path) - seen)
    return sorted(seen)


def source_hash(files: list[Path]) -> str:
    """Hash of source files (named by their path inside the package, so a moved file counts as changed)."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(str(path.resolve().relative_to(PACKAGE_DIR)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def computing_code(part: Part) -> list[Path]:
    """The files that decide a part's numbers: its folder but its drawing module, and all they import."""
    drawing = (part.folder / DRAWING_MODULE).resolve()
    roots = [f for f in sorted(part.folder.glob("*.py")) if f.resolve() != drawing]
    return module_closure(roots, exclude=frozenset({drawing}))


def drawing_code(part: Part) -> list[Path]:
    """The files that decide a part's figures: its drawing module and all it imports."""
    return module_closure([part.folder / DRAWING_MODULE])


def code_version(part: Part) -> str:
    return source_hash(computing_code(part))


def drawing_version(part: Part) -> str:
    return source_hash(drawing_code(part))


# --------------------------------------------------------------------------- staleness

def fingerprint(store: ResultStore, name: str) -> str:
    """Identity of a saved result: its key and its artifacts' hashes ("" if absent)."""
    entry = store.data["parts"].get(name)
    if entry is None:
        return ""
    return json.dumps([entry.get("key"), entry.get("artifacts", {})], sort_keys=True)


def upstream(store: ResultStore, part: Part, parts: dict[int, Part]) -> dict[str, str]:
    """Fingerprints of the saved results `part` is computed from."""
    return {parts[d].name: fingerprint(store, parts[d].name) for d in part.depends_on}


def load_current(store: ResultStore, part: Part, parts: dict[int, Part]) -> tuple[StoredPart | None, str]:
    """A saved part that is intact, made by the current code and from the current upstream results
    (what the report may show), or None and why not."""
    stored, reason = store.load(part.name, part.config_cls, part.result_cls, None)
    entry = store.data["parts"].get(part.name, {})
    if stored is not None and entry.get("code") != code_version(part):
        return None, "it was made by an older version of the code"
    if stored is not None and entry.get("upstream", {}) != upstream(store, part, parts):
        return None, "a part it was computed from has changed since"
    return stored, reason


# --------------------------------------------------------------------------- figures

class FigureCache:
    """figures/manifest.json: per part, the figures drawn, their hashes, and what they were drawn from."""

    def __init__(self, out_dir: Path):
        self.out_dir = Path(out_dir)
        self.figures_dir = self.out_dir / "figures"
        self.path = self.figures_dir / "manifest.json"
        try:
            self.manifest = json.loads(self.path.read_text())
        except (OSError, ValueError):
            self.manifest = {}

    def figures(self, part: Part, stored: StoredPart, store: ResultStore, figure_cls: type) -> dict:
        """The part's figures ({name: figure_cls(path, width_in)}): reused when the saved result and the
        part's drawing code are unchanged and the files are intact, otherwise drawn now."""
        stamp = fingerprint(store, part.name) + drawing_version(part)
        cached = self.manifest.get(part.name)
        if cached and cached.get("stamp") == stamp and all(
            (self.out_dir / f["path"]).exists() and sha256_file(self.out_dir / f["path"]) == f["sha256"]
            for f in cached["figures"].values()
        ):
            return {name: figure_cls(f["path"], f["width_in"]) for name, f in cached["figures"].items()}
        drawn = part.draw(stored, self.out_dir / "artifacts", self.figures_dir)
        self.manifest[part.name] = {
            "stamp": stamp,
            "figures": {name: {"path": f.path, "width_in": f.width_in, "sha256": sha256_file(self.out_dir / f.path)}
                        for name, f in drawn.items()},
        }
        write_json_atomic(self.path, self.manifest)
        return drawn


