"""Command line: `python run_all.py [options]` computes every part and writes report/hw1.pdf.

Only argparse and the standard library are imported before the arguments are read, so `--help` and
argument errors answer at once; the pipeline (and torch, when something is computed) comes after.
"""

from __future__ import annotations

import argparse
import dataclasses
import signal
import sys
from pathlib import Path

from .errors import UserError
from .paths import DEFAULT_TEMPLATES, part_folders

PART_NUMBERS = tuple(part_folders())  # the keys of hw1.parts.PARTS, from folder names (--help imports no part)
DEFAULT_OUT, DEFAULT_QUICK_OUT = Path("report"), Path("report-quick")
# Flags that only affect computing: --report-only computes nothing, so it says when they are ignored.
COMPUTE_FLAGS = ("parts", "seed", "device", "data_dir")


class _OneLineParser(argparse.ArgumentParser):
    """argparse, but a bad argument is one line on stderr (and exit code 2, as argparse does)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        print(f"run_all.py: error: {message}; see python run_all.py --help", file=sys.stderr)
        raise SystemExit(2)


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {value}")
    return value


def _part_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value not in PART_NUMBERS:
        raise argparse.ArgumentTypeError(f"unknown part {text!r} (choose from {' '.join(map(str, PART_NUMBERS))})")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="run_all.py",
        description="Compute every part of CIS680 Assignment 1 and write the submission to <out>/hw1.pdf.",
        allow_abbrev=False,  # --report is not --report-only: a typo must not silently mean something
    )
    # Defaults of None mark "not given", so --report-only can name the compute flags it ignores.
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default=None,
                        help="where to train and attack: cuda needs a GPU; auto picks cuda when there is one "
                             "(default: auto)")
    parser.add_argument("--parts", nargs="+", type=_part_number, default=None, metavar="N",
                        help="which parts to compute, e.g. --parts 1 3 (default: all); parts they need are "
                             "computed too, and every saved part still goes into the report")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder for hw1.pdf, hw1.html, results.json, figures/ and artifacts/ "
                             f"(default: {DEFAULT_OUT}/, or {DEFAULT_QUICK_OUT}/ with --quick)")
    parser.add_argument("--seed", type=_non_negative_int, default=None,
                        help="random seed for every part; the same seed on the same machine and software gives "
                             "the same numbers (default: 0)")
    parser.add_argument("--quick", action="store_true",
                        help=f"tiny budgets for smoke runs and tests, written to {DEFAULT_QUICK_OUT}/ by default; "
                             "the numbers are not the assignment's, and every page of the PDF says so")
    parser.add_argument("--force", action="store_true",
                        help="recompute the requested parts even when a matching saved result exists")
    parser.add_argument("--report-only", action="store_true",
                        help="compute nothing: render the report from saved results (after editing templates/)")
    parser.add_argument("--compute-only", action="store_true",
                        help="compute and save the results (results.json, artifacts/) without drawing or rendering "
                             "anything: for a machine without WeasyPrint; render them later with --report-only")
    parser.add_argument("--watch", action="store_true",
                        help="live preview while writing: render from saved results (like --report-only), then "
                             "re-render whenever a file in the templates folder is saved; errors are printed and "
                             "watching goes on (the previous PDF stays); Ctrl-C stops")
    parser.add_argument("--draft", action="store_true",
                        help="proofreading copy: render saved results (like --report-only) to hw1-draft.pdf, where "
                             "each paragraph, caption and table names in the margin the template file:line that "
                             "wrote it; hw1.pdf and the hand-ins are left as they are (works with --watch)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="where MNIST is kept (fetched there on first use; default: data/)")
    parser.add_argument("--leave-out", nargs="+", type=_part_number, default=[], metavar="N",
                        help="parts to leave out of the PDF, e.g. --leave-out 5 for a report of the assignment's "
                             "parts only; their results stay saved (works with --report-only, recomputes nothing)")
    parser.add_argument("--run-record", action="store_true",
                        help="append the run record (time per part, devices, every setting, environment) to the "
                             "combined hw1.pdf; the hand-ins never carry it (it is always in run-record.html)")
    parser.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES,
                        help="folder of the Jinja2 templates and stylesheet (default: the project's templates/)")
    return parser


def _interrupt_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: temporary files removed, previous report kept


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.watch or args.draft:
        args.report_only = True  # a preview renders from saved results; computing is a separate run
    mode = "watch" if args.watch else "draft" if args.draft else "report-only"  # what set report_only
    if args.report_only and args.force:
        parser.error(f"--{mode} computes nothing and --force recomputes: "
                     "use one of them")
    if args.compute_only and args.report_only:
        parser.error(f"--compute-only renders nothing and --{mode} computes nothing: use one of them")
    if args.report_only:
        ignored = [f"--{name.replace('_', '-')}" for name in COMPUTE_FLAGS if getattr(args, name) is not None]
        if ignored:
            print(f"run_all.py: note: --report-only computes nothing, so {', '.join(ignored)} "
                  f"{'is' if len(ignored) == 1 else 'are'} ignored; every saved part is rendered", file=sys.stderr)
    if argv is None:  # the real command line (not a test calling main): treat `kill` like Ctrl-C
        signal.signal(signal.SIGTERM, _interrupt_on_sigterm)

    from .pipeline import Options, run_pipeline  # imports jinja2 and matplotlib: after the arguments are read

    options = Options(
        device=args.device or "auto",
        parts=tuple(sorted(set(args.parts or PART_NUMBERS))),
        out=args.out or (DEFAULT_QUICK_OUT if args.quick else DEFAULT_OUT),
        seed=0 if args.seed is None else args.seed,
        quick=args.quick,
        force=args.force,
        report_only=args.report_only,
        data_dir=args.data_dir or Path("data"),
        templates=args.templates,
        leave_out=tuple(args.leave_out),
        draft=args.draft,
        run_record=args.run_record,
        compute_only=args.compute_only,
        command=" ".join(["python run_all.py", *(sys.argv[1:] if argv is None else argv)]),
    )
    if args.watch:
        return watch(options, run_pipeline)
    try:
        summary = run_pipeline(options)
    except UserError as exc:
        print(f"run_all.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("run_all.py: interrupted; finished parts are saved and the previous report is intact. "
              "Run the same command again to resume.", file=sys.stderr)
        return 130
    print(f"done: {options.out / 'results.json'} (render it with --report-only)" if args.compute_only
          else f"done: {summary.pdf}")
    return 0


def _relaid_pages() -> str:
    """'; pages 2, 12-13 laid out again' after a render that kept the other pages (hw1/rendering/speedups/incremental.py)."""
    from .rendering.speedups import incremental

    if not incremental.LAST.get("incremental"):
        return ""
    ranges = [f"{first + 1}" if first == last else f"{first + 1}-{last + 1}" for first, last in incremental.LAST["relaid"]]
    return f"; page{'s' if len(ranges) > 1 or '-' in ranges[0] else ''} {', '.join(ranges)} laid out again" if ranges else ""


WATCH_DEBOUNCE_MS = 300  # saves closer together than this (an editor writing several files) render once


def _render_once(options, run_pipeline) -> bool:
    """One render of --watch: "done:" once hw1.pdf is written; False on an error."""
    import gc
    import time

    started = time.perf_counter()
    # The cyclic garbage collector is paused while rendering and run after, while the watcher waits for
    # the next save: WeasyPrint makes millions of small objects, and collecting them mid-render delays
    # the PDF (measured with benchmarks/bench_rerender.py).
    gc.disable()
    try:
        summary = run_pipeline(options)
        print(f"done: {summary.pdf} ({time.perf_counter() - started:.2f} s{_relaid_pages()})", flush=True)
    except UserError as exc:
        print(f"run_all.py: error: {exc}", file=sys.stderr, flush=True)
        print("watching: fix it and save; the previous PDF is unchanged", file=sys.stderr, flush=True)
        return False
    finally:
        gc.enable()
    return True


def watch(options, run_pipeline, stop_event=None, on_render=None) -> int:
    """Render, then re-render on every save under the templates folder until Ctrl-C (or `stop_event`).

    The process stays warm between renders: Python, Jinja, WeasyPrint, the fonts and the formula cache
    are loaded once, and only the pages an edit touches are laid out again (hw1/rendering/speedups/incremental.py), so a
    one-word edit reaches the PDF in about a third of a cold --report-only. A render
    that fails prints its one-line error and leaves the previous PDF in place; watching goes on.
    """
    import gc
    import threading

    import watchfiles

    templates = Path(options.templates).resolve()
    # A preview: hw1.pdf only, as fast as before the hand-ins existed (their layout would share the 2 cores and the
    # watcher's time); `python run_all.py --report-only` writes hw1a.pdf, hw1b.pdf and the run record.
    options = dataclasses.replace(options, handins=False)
    print("preview: hw1.pdf only; python run_all.py --report-only writes the hand-ins", flush=True)

    def render() -> None:
        ok = _render_once(options, run_pipeline)
        if on_render is not None:
            on_render(ok)
        gc.collect()

    # Ctrl-C during a render may land inside one of WeasyPrint's C callbacks, where Python reports the
    # KeyboardInterrupt and drops it: the watcher rendered on and never stopped. The handler also sets an
    # event that watchfiles checks, so the watcher stops after that render at the latest.
    stop_event = stop_event or threading.Event()
    previous_handler = None
    if threading.current_thread() is threading.main_thread():
        def interrupt(signum, frame):
            stop_event.set()
            raise KeyboardInterrupt

        previous_handler = signal.signal(signal.SIGINT, interrupt)
    try:
        render()
        print(f"watching {templates} for changes (Ctrl-C to stop)", flush=True)
        for changes in watchfiles.watch(templates, debounce=WATCH_DEBOUNCE_MS, step=50, stop_event=stop_event,
                                        raise_interrupt=True):
            if stop_event.is_set():
                break
            names = sorted({Path(path).name for _, path in changes})
            print(f"changed: {', '.join(names)}", flush=True)
            render()
    except KeyboardInterrupt:
        pass
    finally:
        if previous_handler is not None:
            signal.signal(signal.SIGINT, previous_handler)
    print("stopped watching", flush=True)
    return 0
