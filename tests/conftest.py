"""Shared fixtures. Tests that need MNIST get it through the product's own data layer (hw1.toolkit.data),
into the same data/ folder the product uses (override with HW1_DATA_DIR)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
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
    """One quick end-to-end run of every part (the CLI's pipeline), shared by the integration tests."""
    from hw1.pipeline import Options, run_pipeline

    out = tmp_path_factory.mktemp("quick_report")
    lines: list[str] = []
    summary = run_pipeline(Options(device="cpu", out=out, quick=True, data_dir=data_dir, progress=False),
                           log=lines.append)
    return out, summary, lines


@pytest.fixture()
def part1_report(tmp_path):
    """A finished quick Part 1 report in tmp_path/report."""
    from hw1.cli import main

    out = tmp_path / "report"
    assert main(["--quick", "--parts", "1", "--device", "cpu", "--out", str(out)]) == 0
    return out
