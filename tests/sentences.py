"""What the sentence tests share (test_report_sentences*.py): the report they read, and the few ways the answers
print lists and ranges, written here independently of the templates' macros."""

from __future__ import annotations

import json

import pytest

from helpers import joined_hyphens, pdf_text, report_folder


@pytest.fixture(scope="module")
def report(request):
    """(results.json's parts, the PDF's text with whitespace collapsed and hyphenated words joined)."""
    out = report_folder(request)
    return json.loads((out / "results.json").read_text())["parts"], joined_hyphens(pdf_text(out / "hw1.pdf"))


def missing(text: str, fragments: list[str]) -> list[str]:
    return [fragment for fragment in fragments if fragment not in text]


def span(low: str, high: str) -> str:
    """How the answers print a range of per-seed values, already formatted: one value or "between A and B"."""
    return f"{low} for every seed" if low == high else f"between {low} and {high}"


def listing(items: list[str]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def table_row(values: list[str]) -> str:
    return " ".join(values)


def compare(a: float, b: float, band: float) -> str | None:
    """'higher' / 'lower' beyond `band`, 'about the same' within it; None where float noise could flip it."""
    if abs(abs(a - b) - band) < 1e-9:
        return None
    return "higher" if a > b + band else "lower" if a < b - band else "about the same"
