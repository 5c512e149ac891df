"""The assignment's two hand-ins, rendered beside the combined report.

The course has two due dates: Part (a) is problems 1-3, Part (b) is problem 4. Each hand-in is the same
report.html.j2 with its own title page, contents and references, showing only its parts' sections (every part's
results stay reachable, so a sentence may still quote another part's number).

The hand-ins are laid out while the combined hw1.pdf is: in a forked child process where the platform has
fork, so a --report-only costs about what it did before they existed on a machine with two free cores
(`HW1_SERIAL_HANDINS=1` renders them after the combined report instead, in the same process). A hand-in whose
inputs are the previous render's (the other due date's answers were edited) keeps its PDF (unchanged.py).
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import UserError

# (file stem, label, part numbers). Parts above 4 (the optional extras) go with the last hand-in.
HANDINS = (("hw1a", "a", range(1, 4)), ("hw1b", "b", range(4, 100)))


def _render_all(renderer, context: dict[str, Any], out_dir: Path) -> list[dict]:
    """Render each hand-in that has parts; [{"pdf", "lines"}] with what to print for each."""
    from .speedups import formula_files

    done, formula_files.REMOVE_UNUSED = [], False
    try:
        _render_each(renderer, context, out_dir, done)
    finally:
        formula_files.REMOVE_UNUSED = True
    return done


def _render_each(renderer, context: dict[str, Any], out_dir: Path, done: list[dict]) -> None:
    for stem, label, numbers in HANDINS:
        shown = [name for name, view in context["parts"].items() if view.number in numbers]
        if not shown:
            continue
        started = time.perf_counter()
        _, pdf = renderer.write({**context, "shown": shown, "handin": label, "run_record": False}, out_dir, stem=stem,
                                keep_unchanged=True)
        what = "unchanged (its inputs are the previous render's), kept" if renderer.info.kept else \
            f"rendered in {time.perf_counter() - started:.1f} s"
        done.append({"pdf": str(pdf), "lines": [f"hand-in {label} {what}: {pdf}", renderer.info.summary()]})


def _serial() -> bool:
    return not hasattr(os, "fork") or os.environ.get("HW1_SERIAL_HANDINS", "") not in ("", "0")


def start(renderer, context: dict[str, Any], out_dir: Path) -> Callable[[], list[dict]]:
    """Start rendering the hand-ins; the returned function waits for them and returns what _render_all does.

    In the child, any failure is sent back as text and raised in the parent as a UserError (one line); the
    child never returns into the caller's code (os._exit), so nothing runs twice."""
    if _serial():
        return lambda: _render_all(renderer, context, out_dir)
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: render, report, leave without running the parent's cleanup
        os.close(read_end)
        with contextlib.suppress(OSError):  # hw1.pdf, the longer layout, goes first where the cores are contended:
            os.nice(10)  # measured with benchmarks/bench_rerender.py on 2 cores: --report-only 9.54 s -> 9.06 s
        status = 0
        try:
            message = {"done": _render_all(renderer, context, out_dir)}
        except UserError as exc:
            message, status = {"error": str(exc)}, 1
        except BaseException as exc:  # noqa: BLE001 (Ctrl-C included: the parent reports it)
            message, status = {"error": f"the hand-ins could not be rendered: {type(exc).__name__}: {exc}"}, 1
        with os.fdopen(write_end, "w") as pipe:
            pipe.write(json.dumps(message))
        os._exit(status)
    os.close(write_end)

    def wait() -> list[dict]:
        with os.fdopen(read_end) as pipe:
            text = pipe.read()
        os.waitpid(pid, 0)
        message = json.loads(text) if text else {"error": "the hand-ins' renderer stopped without a word"}
        if "error" in message:
            raise UserError(message["error"])
        return message["done"]

    return wait
