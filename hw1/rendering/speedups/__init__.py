"""Optional WeasyPrint speed-ups for warm re-renders (see README.md here): they reach into WeasyPrint's
internals, so they install only on a checked WeasyPrint version and can be switched off.

`active()` is the one gate: True only where WeasyPrint's version is in CHECKED_WEASYPRINT and the
environment variable HW1_PLAIN_WEASYPRINT is not set (to anything but "" or "0"). Where it is False,
every patch is removed (WeasyPrint's own functions are put back) and the render is plain WeasyPrint;
one line on stderr says why, once per process and reason.
"""

from __future__ import annotations

import os
import sys

# The WeasyPrint versions whose internals the patches were read against and checked with the tests
# (tests/test_speedups.py, tests/test_incremental.py). pyproject.toml's bound admits exactly these.
# Adding a version: read speedups/README.md's list of names against its source, then run those tests.
CHECKED_WEASYPRINT = ("70.0",)
PLAIN_ENV = "HW1_PLAIN_WEASYPRINT"  # set to 1: render with plain WeasyPrint (no patch, no cache)

_SAID: set[str] = set()
_IMPORTED_BY = os.getpid()  # a forked child (the hand-ins render in one) leaves the note to its parent


def weasyprint_version() -> str:
    import weasyprint

    return str(getattr(weasyprint, "__version__", "unknown"))


def plain_reason() -> str | None:
    """Why this render uses plain WeasyPrint (None: the speed-ups are used)."""
    if os.environ.get(PLAIN_ENV, "").strip() not in ("", "0"):
        return f"{PLAIN_ENV} is set: rendering with plain WeasyPrint (no speed-ups)"
    version = weasyprint_version()
    if version not in CHECKED_WEASYPRINT:
        return (f"WeasyPrint {version} is not a version the speed-ups were checked against "
                f"({', '.join(CHECKED_WEASYPRINT)}): rendering with plain WeasyPrint (same PDF, slower re-renders)")
    return None


def active() -> bool:
    """Whether the speed-ups may be used for the next render (see the module's docstring)."""
    reason = plain_reason()
    if reason is None:
        return True
    say_once(reason)
    return False


def say_once(message: str) -> None:
    """One line on stderr ("note: ..."), once per process and message; a forked child (the hand-ins render
    in one) leaves it to its parent."""
    if message not in _SAID and os.getpid() == _IMPORTED_BY:
        _SAID.add(message)
        print(f"note: {message}", file=sys.stderr, flush=True)


def prepare() -> bool:
    """Before a render: install every patch where active(), remove every one otherwise. Returns active()."""
    from . import incremental, pdf_cache

    if active():
        pdf_cache.install()
        incremental.install()
        return True
    pdf_cache.uninstall()
    incremental.uninstall()
    return False
