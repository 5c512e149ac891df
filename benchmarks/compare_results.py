"""Compare two results.json files number by number, timings aside: the check that a refactor changed nothing.

    python benchmarks/compare_results.py OLD/results.json NEW/results.json

Prints every value that differs, every field only one side has, and a verdict. Ignored: timings (any
key with "seconds" or "per_second" in it, "finished_at"), cache identity ("key", "code", "upstream") and
the environment block. A field the new side dropped because it copied a config value is reported as
"moved to config" when the new side's config holds the same value under the same name.
"""

from __future__ import annotations

import json
import sys

IGNORED = {"finished_at", "key", "code", "upstream", "environment", "artifacts"}


def _timing(key: str) -> bool:
    return "seconds" in key or "per_second" in key


def compare(old, new, path: str, report: list[str], configs: dict) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            if key in IGNORED or _timing(key):
                continue
            where = f"{path}.{key}" if path else key
            if key not in new:
                part = where.split(".")[1] if where.startswith("parts.") else None
                steps = where.split(".")
                moved = len(steps) == 4 and steps[2] == "result" and configs.get(part, {}).get(key, object()) == old[key]
                report.append(f"{'moved to config' if moved else 'REMOVED'}: {where} = {json.dumps(old[key])[:80]}")
            elif key not in old:
                report.append(f"added: {where} = {json.dumps(new[key])[:80]}")
            else:
                compare(old[key], new[key], where, report, configs)
    elif isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            report.append(f"DIFFERENT LENGTH: {path}: {len(old)} vs {len(new)}")
            return
        for i, (a, b) in enumerate(zip(old, new)):
            compare(a, b, f"{path}[{i}]", report, configs)
    elif old != new:
        report.append(f"DIFFERENT: {path}: {old!r} vs {new!r}")


def main(argv: list[str]) -> int:
    old, new = (json.load(open(path)) for path in argv[:2])
    configs = {name: entry.get("config", {}) for name, entry in new.get("parts", {}).items()}
    report: list[str] = []
    compare(old, new, "", report, configs)
    for line in report:
        print(line)
    bad = [line for line in report if line.startswith(("DIFFERENT", "REMOVED"))]
    print(f"{len(bad)} differing or removed values; {len(report) - len(bad)} fields added or moved to the config")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
