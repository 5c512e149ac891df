"""Shared fixtures. Tests that need MNIST get it through the product's own data layer (hw1.toolkit.data),
into the same data/ folder the product uses (override with HW1_DATA_DIR).

Expensive outputs are made once per session; tests that change them get a private copy. End-to-end tests
(whole pipelines, CNN training, CLI runs of a project copy) are marked `slow`: `pytest -m "not slow"` is the
inner loop, plain `pytest` (CI) runs everything. Shared helpers are in tests/helpers.py."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

if "PYTEST_XDIST_WORKER_COUNT" in os.environ:
    # Under pytest-xdist (pyproject's addopts: -n auto) the workers share the cores: each one's torch and NumPy
    # (and each CLI run it starts, which inherits the environment) get their share of threads, so that the
    # workers do not oversubscribe the CPU. Set before anything imports torch, which reads it once.
    _threads = max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"]))
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ.setdefault(_name, str(_threads))

from helpers import REPO, made_once  # noqa: E402

DATA_DIR = Path(os.environ.get("HW1_DATA_DIR", REPO / "data"))


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA_DIR


@pytest.fixture(scope="session")
def mnist(data_dir):
    from hw1.toolkit.data import load_mnist

    return load_mnist(data_dir)


@pytest.fixture(scope="session")
def quick_report(tmp_path_factory, data_dir):
    """One quick end-to-end run of every part (the CLI's pipeline), shared by the integration tests.
    Read-only: a test that changes the folder copies it first."""
    from hw1.pipeline import Options, run_pipeline

    def make(out: Path):
        lines: list[str] = []
        summary = run_pipeline(Options(device="cpu", out=out, quick=True, data_dir=data_dir, progress=False),
                               log=lines.append)
        return summary, lines

    out, (summary, lines) = made_once(tmp_path_factory, "quick_report", make)
    return out, summary, lines


@pytest.fixture(scope="session")
def _part1_report_once(tmp_path_factory) -> Path:
    """One finished quick Part 1 report (a run of the CLI and a PDF), made once per session."""
    from hw1.cli import main

    def make(folder: Path) -> Path:
        out = folder / "report"
        assert main(["--quick", "--parts", "1", "--device", "cpu", "--out", str(out)]) == 0
        return out

    return made_once(tmp_path_factory, "part1_once", make)[1]


@pytest.fixture()
def part1_report(_part1_report_once, tmp_path) -> Path:
    """A finished quick Part 1 report in tmp_path/report: this test's own copy, free to change
    (chmod, results.json edits, locks, re-renders)."""
    out = tmp_path / "report"
    shutil.copytree(_part1_report_once, out)
    return out


def pytest_collection_modifyitems(config, items):
    """A test that reads the session's quick run of every part is end to end: it must be marked slow,
    or `-m "not slow"` would start the whole pipeline after all."""
    unmarked = [item.nodeid for item in items
                if "quick_report" in getattr(item, "fixturenames", ()) and item.get_closest_marker("slow") is None]
    if unmarked:
        raise pytest.UsageError("tests using quick_report must be marked @pytest.mark.slow: " + ", ".join(unmarked))

