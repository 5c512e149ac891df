"""results.json: every part's result, saved with the config, seed and code that produced it.

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

import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .storage import sha256_file, write_json_atomic

FORMAT = 3  # 2: entries record the upstream results they were computed from; 3: "mode" (full or quick)
RESULTS_FILE = "results.json"


def source_hash(module_files: list[Path]) -> str:
    """Hash of the source files that define how a part computes (its code version)."""
    digest = hashlib.sha256()
    for path in sorted(module_files):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def part_key(part: str, config: Any, seed: int, device: str | None, code: str, upstream: dict[str, str]) -> str:
    payload = json.dumps(
        {"part": part, "config": dataclasses.asdict(config), "seed": seed, "device": device,
         "code": code, "upstream": upstream},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:20]


@dataclass
class StoredPart:
    """A saved part, loaded back into its typed config and result."""

    name: str
    key: str
    config: Any
    result: Any
    seed: int
    device: str
    seconds: float
    finished_at: str


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
                config=config_cls(**entry["config"]),
                result=result_cls(**entry["result"]),
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
            "config": dataclasses.asdict(config),
            "seed": seed,
            "device": device,
            "seconds": round(seconds, 3),
            "finished_at": time.strftime("%Y-%m-%d %H:%M:%S"),
            "artifacts": {a: sha256_file(self.out_dir / "artifacts" / a) for a in artifacts},
            "result": dataclasses.asdict(result),
        }
        self.save()

    def set_environment(self, environment: dict) -> None:
        self.data["environment"] = environment

    def save(self) -> None:
        ordered = dict(sorted(self.data["parts"].items()))
        self.data["parts"] = ordered
        write_json_atomic(self.path, self.data)
