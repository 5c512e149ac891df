"""Command line: `python run_all.py [options]` computes every part and writes report/hw1.pdf."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

from .errors import UserError
from .parts import PARTS
from .pipeline import Options, run_pipeline
from .render import DEFAULT_TEMPLATES


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
    if value not in PARTS:
        raise argparse.ArgumentTypeError(f"unknown part {text!r} (choose from {' '.join(map(str, PARTS))})")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="run_all.py",
        description="Compute every part of CIS680 Assignment 1 and write the submission to <out>/hw1.pdf.",
    )
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                        help="where to train and attack: cuda needs a GPU; auto picks cuda when there is one "
                             "(default: auto)")
    parser.add_argument("--parts", nargs="+", type=_part_number, default=list(PARTS), metavar="N",
                        help="which parts to compute, e.g. --parts 1 3 (default: all); parts they need are "
                             "computed too, and every saved part still goes into the report")
    parser.add_argument("--out", type=Path, default=Path("report"),
                        help="output folder for hw1.pdf, hw1.html, results.json, figures/ and artifacts/ "
                             "(default: report/)")
    parser.add_argument("--seed", type=_non_negative_int, default=0,
                        help="random seed for every part; the same seed on the same machine gives the same numbers "
                             "(default: 0)")
    parser.add_argument("--quick", action="store_true",
                        help="tiny budgets (small grids, few training steps, few attacked images) for smoke runs "
                             "and tests; the numbers are not the assignment's")
    parser.add_argument("--force", action="store_true",
                        help="recompute the requested parts even when a matching saved result exists")
    parser.add_argument("--report-only", action="store_true",
                        help="compute nothing: render the report from saved results (after editing templates/)")
    parser.add_argument("--data-dir", type=Path, default=Path("data"),
                        help="where MNIST is kept (fetched there on first use; default: data/)")
    parser.add_argument("--templates", type=Path, default=DEFAULT_TEMPLATES,
                        help="folder of the Jinja2 templates and stylesheet (default: the project's templates/)")
    return parser


def _interrupt_on_sigterm(signum, frame) -> None:
    raise KeyboardInterrupt  # unwinds like Ctrl-C: temporary files removed, previous report kept


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if argv is None:  # the real command line (not a test calling main): treat `kill` like Ctrl-C
        signal.signal(signal.SIGTERM, _interrupt_on_sigterm)
    options = Options(
        device=args.device,
        parts=tuple(sorted(set(args.parts))),
        out=args.out,
        seed=args.seed,
        quick=args.quick,
        force=args.force,
        report_only=args.report_only,
        data_dir=args.data_dir,
        templates=args.templates,
    )
    try:
        summary = run_pipeline(options)
    except UserError as exc:
        print(f"run_all.py: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("run_all.py: interrupted; finished parts are saved and the previous report is intact. "
              "Run the same command again to resume.", file=sys.stderr)
        return 130
    print(f"done: {summary.pdf}")
    return 0
