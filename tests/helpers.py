"""Helpers shared by the test files (one copy each): the repository, the command line on copies of the
templates or of the whole project, the report's PDF text, saved networks, and what a figure drew."""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parent.parent
T = TypeVar("T")


# ----------------------------------------------------------------------------- made once per session

def made_once(tmp_path_factory, name: str, make: Callable[[Path], T]) -> tuple[Path, T]:
    """(folder, value): `make(folder)` run once per test session, even under pytest-xdist, where each worker has
    its own session fixtures. The first worker to ask makes it with all the cores (the others wait on a file
    lock) and saves the value beside it; the others reuse folder and value (pytest-xdist's documented recipe).
    Grouping the tests on one worker (--dist loadgroup) would be the other way, but with pytest 9.2 it silently
    stops grouping (pytest-xdist issue #1386)."""
    if "PYTEST_XDIST_WORKER" not in os.environ:
        folder = tmp_path_factory.mktemp(name)
        return folder, make(folder)
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp().parent  # the session's folder, above each worker's own
    folder, saved = shared / name, shared / f"{name}.pickle"
    with FileLock(str(shared / f"{name}.lock")):
        if saved.exists():
            return folder, pickle.loads(saved.read_bytes())
        shutil.rmtree(folder, ignore_errors=True)  # what a worker that failed here left
        folder.mkdir()
        with all_cores():
            value = make(folder)
        saved.write_bytes(pickle.dumps(value))
        return folder, value


@contextlib.contextmanager
def all_cores():
    """torch's threads raised to every core: while a worker makes what the others wait for, and while a test
    recomputes something made that way and expects the same floats (a sum over another number of threads is
    added in another order)."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(os.cpu_count() or threads)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


# ----------------------------------------------------------------------------- the command line

def forget_speedups_memory() -> None:
    """A cold process as far as the WeasyPrint speed-ups know: nothing kept in memory of renders before."""
    from hw1.rendering.speedups import incremental, pdf_cache

    incremental.forget()
    for kept in (pdf_cache._SUBSETS, pdf_cache._FORMULA_DRAWINGS, pdf_cache._IMAGES, pdf_cache._FILE_SIGNATURES,
                 pdf_cache._PDF_CACHE_SEEN):
        kept.clear()


def copy_templates(tmp_path: Path) -> Path:
    """A private copy of the templates folder, safe to edit."""
    from hw1.rendering.render import DEFAULT_TEMPLATES

    target = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, target)
    return target


def edit_text(path: Path, old: str, new: str) -> None:
    """Replace the first `old` in the file at `path` (which must contain it) by `new`."""
    text = path.read_text()
    assert old in text, old
    path.write_text(text.replace(old, new, 1))


def fails(argv, capsys, *expected) -> str:
    """Run the CLI and assert it fails the way users are promised: exit 2, one line on stderr naming `expected`."""
    from hw1.cli import main

    try:
        code = main(argv)
    except SystemExit as exited:  # argparse's own errors exit directly
        code = exited.code
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1, error
    for text in expected:
        assert text in error, error
    return error


def copy_of_the_project(target: Path) -> Path:
    """A private copy of the package, the templates and run_all.py, safe to edit (code and templates)."""
    shutil.copytree(REPO / "hw1", target / "hw1", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", target / "templates")
    shutil.copy(REPO / "run_all.py", target / "run_all.py")
    return target


def run_copy(project: Path, argv: list[str], timeout: int = 600) -> str:
    """Run the CLI of a project copy in a fresh Python (its own package imported, checked); return stdout.
    Fails the test with the copy's stderr if the run fails."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import hw1; "
            "assert hw1.__file__.startswith(sys.argv[1]), hw1.__file__; "
            "from hw1.cli import main; sys.exit(main(sys.argv[2:]))")
    completed = subprocess.run([sys.executable, "-c", code, str(project), *argv],
                               capture_output=True, text=True, cwd=project, timeout=timeout)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout


# ------------------------------------------------------------------------------------ the report

def pdf_text(path: Path, separator: str = " ") -> str:
    """The PDF's text, page after page; with the default separator, whitespace collapsed to single spaces."""
    stat = Path(path).stat()  # a rewritten PDF has another mtime or size: read again
    pages = _pdf_pages(str(Path(path).resolve()), stat.st_mtime_ns, stat.st_size)
    if separator == " ":
        return " ".join(" ".join(page.split()) for page in pages)
    return separator.join(pages)


@functools.lru_cache(maxsize=8)
def _pdf_pages(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """Each page's text (pypdf takes seconds on the full report, and several test modules read the same one)."""
    from pypdf import PdfReader

    return tuple(page.extract_text() for page in PdfReader(path).pages)


def report_folder(request) -> Path:
    """The folder a test reads: the finished report in $HW1_REPORT_DIR (e.g. report/), else the session's quick run."""
    return (Path(os.environ["HW1_REPORT_DIR"]) if os.environ.get("HW1_REPORT_DIR")
            else request.getfixturevalue("quick_report")[0])


class ReportParts(dict):
    """results.json's "parts": a part the report lacks (a partial run, e.g. plant_bugs.py --fast computing only
    the parts a bug needs) skips the test that reads it instead of failing it with a KeyError."""

    def __missing__(self, name: str):
        import pytest

        pytest.skip(f"no {name} in this report")


def report_parts(out: Path) -> ReportParts:
    """The parts of the report in `out`, read from its results.json."""
    import json

    return ReportParts(json.loads((out / "results.json").read_text())["parts"])


def lower_median(values) -> float | None:
    """The lower of the two middle values for an even count (as torch.median), written here; None if empty."""
    import torch

    if len(values) == 0:
        return None
    ordered = torch.sort(torch.as_tensor(values).double()).values
    return float(ordered[(len(ordered) - 1) // 2])


def joined_hyphens(text: str) -> str:
    """Text with the words hyphenated across lines joined again ("im‐ ages" -> "images")."""
    return re.sub(r"(\w)[\u2010\u00ad] (\w)", r"\1\2", text)


# ------------------------------------------------------------------------------------ networks

def model_input(images_uint8):
    """MNIST's (N, 28, 28) uint8 digits as (N, 1, 28, 28) float32 on the assignment's [-1, 1] scale, written here
    (not the product's to_model_input): 0 -> -1, 255 -> 1."""
    import torch

    return (images_uint8.to(torch.float32) / 127.5 - 1.0).unsqueeze(1)


def load_network(path: Path):
    """A saved Table 1 CNN, in eval mode (BatchNorm on its running statistics)."""
    import torch

    from hw1.toolkit.models import Table1CNN

    model = Table1CNN()
    model.load_state_dict(torch.load(path, weights_only=True))
    return model.eval()


def eval_probabilities(net, x):
    """Softmax outputs of `net` in eval mode, written here (not the product's helper); the mode is restored."""
    import torch

    was = net.training
    net.eval()
    with torch.no_grad():
        probs = torch.softmax(net(x), dim=1)
    net.train(was)
    return probs


# ------------------------------------------------------------------------------ what is drawn

@dataclass
class Drawn:
    """One drawing call on a figure's axes: `method` (plot, imshow, plot_surface, ...) with its arguments."""

    ax: Any
    method: str
    args: tuple
    kwargs: dict


@dataclass
class DrawnFigure:
    """A figure as the part drew it: the file it was saved to, its axes (in order) and every drawing call."""

    file: str
    axes: list
    calls: list[Drawn]

    def of(self, method: str, ax=None) -> list[Drawn]:
        return [c for c in self.calls if c.method == method and (ax is None or c.ax is ax)]


_DRAWING_METHODS = ("plot", "imshow", "bar", "barh", "hist", "scatter", "contour", "contourf", "pcolormesh",
                    "fill_between", "step", "errorbar", "matshow")
_DRAWING_METHODS_3D = ("plot_surface", "plot_wireframe")


def stored_part(out: Path, part_number: int):
    """Part `part_number` as saved in the report folder `out`, loaded into its typed config and result."""
    from hw1.store.cache import ResultStore
    from hw1.parts import PARTS

    part = PARTS[part_number]
    stored, reason = ResultStore(out).load(part.name, part.config_cls, part.result_cls, None)
    assert stored is not None, reason
    return stored


def draw_and_capture(part_number: int, out: Path, figures_dir: Path, stored=None) -> dict[str, DrawnFigure]:
    """Draw the saved part `part_number` of the report in `out` with the part's own `draw` (into
    `figures_dir`), recording every drawing call on matplotlib's axes. Returns {the name draw() gives the
    figure, the one templates use (e.g. "l2_grad_w"): what it drew}. Calls are matched to a figure when the
    part hands it to save_figure, before it is closed. `stored` replaces the saved part (a run's own result)."""
    import matplotlib.axes
    import pytest
    from mpl_toolkits.mplot3d import Axes3D

    from hw1.parts import PARTS

    part = PARTS[part_number]
    stored = stored or stored_part(out, part_number)
    module = sys.modules[part.draw.__module__]
    calls: list[Drawn] = []
    saved: dict[str, DrawnFigure] = {}

    with pytest.MonkeyPatch.context() as patch:
        def spy(cls, name):
            original = getattr(cls, name)

            def recording(self, *args, **kwargs):
                calls.append(Drawn(self, name, args, kwargs))
                return original(self, *args, **kwargs)

            patch.setattr(cls, name, recording)

        for name in _DRAWING_METHODS:
            spy(matplotlib.axes.Axes, name)
        for name in _DRAWING_METHODS_3D:
            spy(Axes3D, name)
        save_figure = module.save_figure

        def saving(fig, folder, name):
            assert name not in saved, f"figure {name} saved twice"
            figure = save_figure(fig, folder, name)
            saved[Path(figure.path).name] = DrawnFigure(Path(figure.path).name, list(fig.axes),
                                                        [call for call in calls if call.ax.figure is fig])
            return figure

        patch.setattr(module, "save_figure", saving)
        figures = part.draw(stored, out / "artifacts", figures_dir)
    return {name: saved[Path(figure.path).name] for name, figure in figures.items()}


def field(value, name: str):
    """`value[name]` for a dict, `value.name` for a typed result (the result types are moving to dataclasses)."""
    return value[name] if isinstance(value, dict) else getattr(value, name)


# ------------------------------------------------------------------ numbers as the report should print them

# Written here, independently of the product's filters (hw1.rendering.report_macros), so that a filter that
# rounds the wrong way cannot cancel out in a test that compares the PDF with results.json: exact decimal
# arithmetic on the float's exact value, half to even (what correct rounding of a binary float gives).

def fixed(value, decimals: int) -> str:
    """`value` with `decimals` decimals: fixed(0.69314, 3) -> '0.693', fixed(2.5, 0) -> '2'."""
    from decimal import ROUND_HALF_EVEN, Decimal

    rounded = Decimal(float(value)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return format(rounded, "f")


def percent(share, decimals: int = 1) -> str:
    """A share as a percentage: percent(0.9931, 2) -> '99.31%' (the share times 100 in float, as printed)."""
    return fixed(100 * float(share), decimals) + "%"


def significant(value, digits: int) -> str:
    """`value` to `digits` significant digits, trailing zeros dropped; below 10^-3 or from 10^5 on as a power of
    ten the way the PDF's text reads it: significant(6.144e-6, 2) -> '6.1×10−6', significant(0.5, 3) -> '0.5'."""
    from decimal import ROUND_HALF_EVEN, Decimal

    exact = Decimal(float(value))
    if exact == 0:
        return "0"
    exponent = exact.adjusted()
    mantissa = exact.scaleb(-exponent).quantize(Decimal(1).scaleb(1 - digits), rounding=ROUND_HALF_EVEN)
    if abs(mantissa) >= 10:  # 9.99 -> 10.0: one more power of ten
        exponent += 1
        mantissa = exact.scaleb(-exponent).quantize(Decimal(1).scaleb(1 - digits), rounding=ROUND_HALF_EVEN)
    if not -3 <= exponent < 5:
        return f"{mantissa}×10{'−' if exponent < 0 else ''}{abs(exponent)}".replace("-", "−")
    text = format(mantissa.scaleb(exponent), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def thousands(value) -> str:
    """A whole number with a comma every three digits: thousands(60000) -> '60,000'."""
    whole = int(fixed(value, 0))  # an integer: no "-0"
    sign, digits = ("-" if whole < 0 else ""), str(abs(whole))
    groups = []
    while len(digits) > 3:
        digits, groups = digits[:-3], [digits[-3:]] + groups
    return sign + ",".join([digits] + groups)


def duration(seconds) -> str:
    """'12.3 s' under a minute (to the tenth), else whole seconds as 'M min S s': duration(119.7) -> '2 min 0 s'."""
    tenths = fixed(seconds, 1)
    if float(tenths) < 60:
        return f"{tenths} s"
    whole = int(fixed(seconds, 0))
    return f"{whole // 60} min {whole % 60} s"
