"""The run record: everything about *how* the numbers were made, kept out of the hand-ins.

The hand-ins (hw1a.pdf, hw1b.pdf) and the combined hw1.pdf answer the assignment in the student's voice;
timings, devices, seeds, every setting, software versions and where benchmark tables came from belong
here, in report/run-record.html (and, with --run-record, in an appendix of the combined PDF).

`write_run_record` reads only saved results (results.json's entries and the typed results), so it works
after --report-only as well as after a run that computed.
"""

from __future__ import annotations

import dataclasses
import html
import platform
import re
from pathlib import Path
from typing import Any, Iterator

from ..store.storage import write_text_atomic

RUN_RECORD = "run-record.html"

# Result fields that describe the machine or the cost of a run rather than the science: listed in the record.
_PROVENANCE = re.compile(r"(seconds|per_second|device|threads|date|machine|cpu|gpu|command|note)", re.I)


def cpu_description() -> str:
    """'AMD EPYC (avx2 avx512_bf16 ...)': the CPU model and the flags that decide training speed here."""
    model, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                model = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    relevant = sorted(f for f in flags if f == "avx2" or f.startswith(("avx512_bf16", "avx512f", "amx")))
    return f"{model} ({' '.join(relevant)})" if relevant else model


def provenance_fields(value: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted name, value) of every result field about time, device or machine, nested dataclasses and
    lists of them included (a list's items are numbered)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from provenance_fields(getattr(value, field.name), f"{prefix}{field.name}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from provenance_fields(item, f"{prefix}[{key}]")
    elif isinstance(value, (list, tuple)) and value and (dataclasses.is_dataclass(value[0]) or isinstance(value[0], dict)):
        for index, item in enumerate(value):
            yield from provenance_fields(item, f"{prefix}[{index}].")
    elif _PROVENANCE.search(prefix.rsplit(".", 1)[-1]):
        yield prefix.rstrip("."), value


def _table(caption: str, header: tuple[str, ...], rows: list[tuple[Any, ...]]) -> str:
    cells = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>\n" for row in rows)
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    return f"<table>\n<caption>{html.escape(caption)}</caption>\n<tr>{head}</tr>\n{cells}</table>\n"


def render_run_record(views: dict[str, Any], environment: dict, command: str) -> str:
    """The record as a self-contained HTML page."""
    sections = [_table("Each part: seed, device, computation time and when it finished.",
                       ("part", "seed", "device", "seconds", "finished"),
                       [(f"{v.number}. {v.title}", v.seed, v.device, f"{v.seconds:.1f}", v.finished_at)
                        for v in views.values()])]
    total = sum(v.seconds for v in views.values())
    sections.append(f"<p>Total computation time: {total:.1f} s. Rendered by: <code>{html.escape(command)}</code></p>\n")
    sections.append(_table("Environment of the last run that computed results in this folder.", ("item", "value"),
                           [(k, v) for k, v in environment.items() if k != "seconds_per_part"]))
    for view in views.values():
        sections.append(_table(f"Part {view.number}: every setting.", ("field", "value"), view.config_items))
        measured = list(provenance_fields(view.result))
        if measured:
            sections.append(_table(f"Part {view.number}: times, devices and sources recorded in its result.",
                                   ("field", "value"), measured))
    body = "\n".join(sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>hw1 run record</title>\n"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse;"
            "margin:1em 0}td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left}"
            "caption{text-align:left;font-weight:bold}</style></head>\n<body>\n<h1>Run record</h1>\n"
            "<p>How the numbers of hw1.pdf, hw1a.pdf and hw1b.pdf were made. Not part of the hand-ins.</p>\n"
            f"{body}</body></html>\n")


def write_run_record(out_dir: Path, views: dict[str, Any], environment: dict, command: str) -> Path:
    path = out_dir / RUN_RECORD
    write_text_atomic(path, render_run_record(views, environment, command))
    return path
