"""Mutation testing for the templates (issue 29): which computed spots of the written answers can be wrong
without a test noticing?

mutmut mutates Python; the report's sentences live in Jinja templates, where most planted bugs survived the
audits. This script mutates every Jinja tag of templates/ one at a time ({{ ... }} and {% if/elif/set/for %}),
with the bugs a reviewer plants: a comparison turned (> to >=, == to !=), a negation dropped, `and` for `or`,
an index moved ([0] to [1], [-1] to [0]), a +1/-1 dropped, a sibling field swapped (untargeted/targeted,
original/retrained, tanh/identity, l2/ce, min/max, first/last, median/mean). Each mutant re-renders a
finished quick run (hw1.pdf only, in this process, from its saved results: seconds, nothing recomputed); a
mutant that leaves the HTML or the PDF's text unchanged on that run is EQUIVALENT there (no text test could see
it) and is not tested; the others run the tests that read the PDF's text against results.json (TEXT_TESTS:
test_report_numbers.py, test_report_sentences*.py and the claims register on that run) and print CAUGHT (the
first failing test) or SURVIVED (the changed text).

    HW1_DATA_DIR=/path/to/data python benchmarks/template_mutants.py --report report-quick/
    python benchmarks/template_mutants.py --report DIR --files answers/part4.html.j2 --limit 20
    python benchmarks/template_mutants.py --report DIR --list       # the mutants, nothing run

The report folder must be a quick run made by the current computing code (its results render as they are).
Exit status: the number of survivors.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TEXT_TESTS = ("tests/test_report_numbers.py", "tests/test_report_sentences.py", "tests/test_report_sentences_part45.py",
              "tests/test_claims.py::test_every_sentence_of_a_full_run_is_true")

TAG = re.compile(r"\{\{.*?\}\}|\{%-?\s*(?:if|elif|set|for)\b.*?%\}", re.DOTALL)
# (pattern inside a tag, replacement): each match of each pattern in each tag is one mutant.
OPERATORS: tuple[tuple[str, str], ...] = (
    (r"(?<![<>=!])>=", ">"), (r"(?<![<>=!-])>(?!=)", ">="), (r"<=", "<"), (r"<(?!=)", "<="),
    (r"==", "!="), (r"!=", "=="),
    (r"\bnot ", ""), (r" and ", " or "), (r" or ", " and "),
    (r"\[0\]", "[1]"), (r"\[1\]", "[0]"), (r"\[-1\]", "[0]"),
    (r"\s*\+ 1\b", ""), (r"\s*- 1\b", ""),
    (r"\buntargeted\b", "targeted"), (r"(?<!un)\btargeted\b", "untargeted"),
    (r"\boriginal", "retrained"), (r"\bretrained", "original"),
    (r"\btanh", "identity"), (r"\bidentity", "tanh"),
    (r"\bl2_", "ce_"), (r"\bce_", "l2_"),
    (r"\|min\b", "|max"), (r"\|max\b", "|min"), (r"\|first\b", "|last"), (r"\|last\b", "|first"),
    (r"\.median\b", ".mean"), (r"\.mean\b", ".median"),
    (r"\btrain_", "test_"), (r"\btest_", "train_"),
)


@dataclass(frozen=True)
class Mutant:
    file: str  # relative to templates/
    start: int  # offset of the tag in the file
    old: str  # the tag as written
    new: str  # the tag mutated

    @property
    def line(self) -> int:
        return (REPO / "templates" / self.file).read_text()[:self.start].count("\n") + 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {_short(self.old)} -> {_short(self.new)}"


def _short(tag: str, width: int = 90) -> str:
    tag = " ".join(tag.split())
    return tag if len(tag) <= width else tag[:width - 3] + "..."


def mutants(files: list[str]) -> list[Mutant]:
    found = []
    for name in files:
        text = (REPO / "templates" / name).read_text()
        for tag in TAG.finditer(text):
            for pattern, replacement in OPERATORS:
                for hit in re.finditer(pattern, tag.group()):
                    new = tag.group()[:hit.start()] + replacement + tag.group()[hit.end():]
                    if new != tag.group():
                        found.append(Mutant(name, tag.start(), tag.group(), new))
    return found


def _pdf_text(pdf: Path) -> str:
    return " ".join(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())


def _changed_words(before: str, after: str, width: int = 160) -> str:
    a, b = before.split(), after.split()
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op != "equal":
            return _short(f"{' '.join(a[max(0, i1 - 6):i2 + 3])}  =>  {' '.join(b[max(0, j1 - 6):j2 + 3])}", width)
    return ""


class HtmlPreview:
    """The combined report's HTML rendered in this process from the folder's saved results (no PDF, no figures
    drawn: a second), to skip the mutants that change nothing before the slow render and the tests."""

    def __init__(self, folder: Path):
        sys.path.insert(0, str(REPO))
        from hw1.pipeline import _load_views  # private, but this is a tool for the tests' authors
        from hw1.store.cache import ResultStore

        store = ResultStore(folder)
        views = _load_views(store, folder, lambda line: None)
        self.context = {"parts": views, "shown": list(views), "handin": None, "run_record": False,
                        "environment": store.environment, "quick": store.mode == "quick",
                        "generated_at": "", "computed_at": ""}

    def pdf(self, templates: Path, folder: Path) -> str | None:
        """Render hw1.html and hw1.pdf of `folder` with `templates`, in this process (no hand-ins, no run record:
        the tests read hw1.pdf); None where the templates do not render, else the error's last line."""
        from hw1.errors import UserError
        from hw1.rendering.render import Renderer

        try:
            Renderer(templates).write(self.context, folder)
        except (UserError, SyntaxError) as error:  # Jinja compiles some broken tags to invalid Python
            return str(error).splitlines()[-1] if str(error) else type(error).__name__
        return None

    def html(self, templates: Path) -> str | None:
        """The HTML, or None where the mutated templates do not render (the full render then says why)."""
        from hw1.errors import UserError
        from hw1.rendering.render import Renderer

        try:
            return Renderer(templates).render_html(self.context)
        except (UserError, SyntaxError):
            return None


def _failing_test(tests: tuple[str, ...], env: dict[str, str]) -> str:
    """The first failing test of `tests` on the report the environment names ("" if all pass), run in this
    process (pytest.main: the test modules, torch and WeasyPrint are imported once for the whole sweep)."""
    import pytest

    class FirstFailure:
        failed = ""

        def pytest_runtest_logreport(self, report):
            if report.failed and not self.failed:
                self.failed = report.nodeid

    saved, plugin = dict(os.environ), FirstFailure()
    os.environ.update(env)
    try:
        with open(os.devnull, "w") as quiet, contextlib.redirect_stdout(quiet), contextlib.redirect_stderr(quiet):
            code = pytest.main(["-q", "-x", "-n", "0", "-p", "no:cacheprovider", "--rootdir", str(REPO),
                                *(str(REPO / test) for test in tests)], plugins=[plugin])
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return plugin.failed or (f"pytest exit {int(code)}" if code not in (0, 5) else "")


def run(report: Path, chosen: list[Mutant], tests: tuple[str, ...]) -> int:
    work = Path(tempfile.mkdtemp(prefix="hw1-tmut-"))
    base = work / "base"
    shutil.copytree(report, base)
    preview = HtmlPreview(base)
    error = preview.pdf(REPO / "templates", base)  # rendered here as every mutant will be (same date, no hand-ins)
    if error is not None:
        sys.exit(f"the unmutated templates do not render {report}: {error}")
    before = _pdf_text(base / "hw1.pdf")
    html_before = preview.html(REPO / "templates")
    env = {**os.environ, "HW1_REPORT_DIR": str(work / "run"), "HW1_CLAIMS_RUNS": str(work / "run")}
    survivors, counts = 0, {"CAUGHT": 0, "SURVIVED": 0, "EQUIVALENT": 0, "RENDER FAILS": 0}
    for number, mutant in enumerate(chosen, 1):
        started = time.perf_counter()
        shutil.rmtree(work / "templates", ignore_errors=True)
        shutil.copytree(REPO / "templates", work / "templates")
        path = work / "templates" / mutant.file
        text = path.read_text()
        path.write_text(text[:mutant.start] + mutant.new + text[mutant.start + len(mutant.old):])
        if preview.html(work / "templates") == html_before:
            counts["EQUIVALENT"] += 1
            print(f"[{number}/{len(chosen)}] {'EQUIVALENT':12} {mutant}  (same HTML)", flush=True)
            continue
        shutil.rmtree(work / "run", ignore_errors=True)
        shutil.copytree(base, work / "run")
        error = preview.pdf(work / "templates", work / "run")
        detail = ""
        if error is not None:
            verdict, detail = "RENDER FAILS", _short(error, 120)
        elif (after := _pdf_text(work / "run" / "hw1.pdf")) == before:
            verdict = "EQUIVALENT"
        else:
            detail = _changed_words(before, after)
            failed = _failing_test(tests, env)
            verdict = "CAUGHT" if failed else "SURVIVED"
            detail = failed or detail
        counts[verdict] += 1
        survivors += verdict == "SURVIVED"
        print(f"[{number}/{len(chosen)}] {verdict:12} {mutant}  ({time.perf_counter() - started:.0f} s)"
              + (f"\n    {detail}" if detail else ""), flush=True)
    print(", ".join(f"{n} {v.lower()}" for v, n in counts.items()))
    shutil.rmtree(work, ignore_errors=True)
    return survivors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, required=True, metavar="DIR", help="a finished quick run")
    parser.add_argument("--files", nargs="+", default=None, metavar="NAME",
                        help="templates to mutate, relative to templates/ (default: every .j2)")
    parser.add_argument("--limit", type=int, default=None, help="run the first N mutants only")
    parser.add_argument("--skip", type=int, default=0, help="skip the first N mutants (to resume)")
    parser.add_argument("--survivors", type=Path, default=None, metavar="LOG",
                        help="run only the mutants a previous run printed as SURVIVED (its output, saved)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    args = parser.parse_args()
    files = args.files or sorted(str(p.relative_to(REPO / "templates")) for p in (REPO / "templates").rglob("*.j2"))
    chosen = mutants(files)[args.skip:]
    if args.survivors:
        survived = set(re.findall(r"^\[\d+/\d+\] SURVIVED +(.+?)  \(\d+ s\)$", args.survivors.read_text(), re.MULTILINE))
        chosen = [mutant for mutant in chosen if str(mutant) in survived]
    chosen = chosen[:args.limit] if args.limit else chosen
    if args.list:
        print("\n".join(map(str, chosen)) + f"\n{len(chosen)} mutants")
        return
    if not (args.report / "results.json").is_file():
        sys.exit(f"{args.report} holds no results.json: give --report a finished quick run")
    sys.exit(run(args.report, chosen, TEXT_TESTS))


if __name__ == "__main__":
    main()
