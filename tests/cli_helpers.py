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


REPO = Path(__file__).resolve().parent.parent


def copy_of_the_project(target: Path) -> Path:
    """A private copy of the package, the templates and run_all.py, safe to edit (code and templates)."""
    shutil.copytree(REPO / "hw1", target / "hw1", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "templates", target / "templates")
    shutil.copy(REPO / "run_all.py", target / "run_all.py")
    return target


def run_copy(project: Path, argv: list[str], timeout: int = 600) -> str:
    """Run the CLI of a project copy in a fresh Python (its own package imported, checked); return stdout.
    Fails the test with the copy's stderr if the run fails."""
    import subprocess
    import sys

    code = ("import sys; sys.path.insert(0, sys.argv[1]); import hw1; "
            "assert hw1.__file__.startswith(sys.argv[1]), hw1.__file__; "
            "from hw1.cli import main; sys.exit(main(sys.argv[2:]))")
    completed = subprocess.run([sys.executable, "-c", code, str(project), *argv],
                               capture_output=True, text=True, cwd=project, timeout=timeout)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed.stdout
