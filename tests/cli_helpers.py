"""Helpers shared by the tests that drive the command line on a copy of the templates."""

from __future__ import annotations

import shutil
from pathlib import Path

from hw1.cli import main
from hw1.render import DEFAULT_TEMPLATES


def copy_templates(tmp_path: Path) -> Path:
    """A private copy of the templates folder, safe to edit."""
    target = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATES, target)
    return target


def fails(argv, capsys, *expected) -> str:
    """Run the CLI and assert it fails the way users are promised: exit 2, one line on stderr naming `expected`."""
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
