"""The edit loop's speed: `run_all.py --report-only` (a re-render after a one-word edit) and `--help`.

Times each command as a user runs it (a fresh Python process), several times, and prints the median; with a
baseline, the two checkouts take turns within each round, so a load that comes and goes falls on both alike.
To compare with an older version in the same sitting, check it out beside this one with its own
rendered report folder and pass both:

    git worktree add /tmp/hw1-old <commit> && (cd /tmp/hw1-old && python run_all.py --out /tmp/old-report)
    python benchmarks/bench_rerender.py --out report --baseline /tmp/hw1-old --baseline-out /tmp/old-report

Each re-render first edits one word of templates/answers/part1.html.j2 (in a copy of the templates, so the
checkout is untouched), as a student would.

`--watch` (in each checkout that has the flag) is timed from the save of a one-word edit to the
"done:" line of the warm watcher (the PDF is written by then), and compared with the cold --report-only.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _time(command: list[str], cwd: Path, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        completed = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
        times.append(time.perf_counter() - started)
        if completed.returncode != 0:
            sys.exit(f"{' '.join(command)} failed in {cwd}:\n{completed.stderr[-2000:]}")
    return statistics.median(times)


def _edited_templates(repo: Path, scratch: Path) -> Path:
    templates = scratch / "templates"
    shutil.copytree(repo / "templates", templates)
    answers = templates / "answers" / "part1.html.j2"
    answers.write_text(answers.read_text().replace("Choice of range", "Choice of the range", 1))
    return templates


def _commands(repo: Path, out: Path, templates: Path) -> dict[str, list[str]]:
    script = str(repo / "run_all.py")
    return {
        "--help": [sys.executable, script, "--help"],
        "--parts 9 (an argument error)": [sys.executable, "-c", (
            "import subprocess, sys; sys.exit(subprocess.run([sys.executable, sys.argv[1], '--parts', '9'])"
            ".returncode != 2)"), script],
        "--report-only after a one-word edit": [sys.executable, script, "--report-only", "--out", str(out.resolve()),
                                                "--templates", str(templates)],
    }


def measure(checkouts: dict[str, tuple[Path, Path]], repeats: int) -> dict[str, dict[str, float]]:
    """Median wall seconds per command and checkout, the checkouts taking turns within each round (and
    swapping who goes first every round), so that a load that comes and goes falls on both alike."""
    with tempfile.TemporaryDirectory() as scratch:
        commands = {label: _commands(repo, out, _edited_templates(repo, Path(scratch) / label))
                    for label, (repo, out) in checkouts.items()}
        times: dict[str, dict[str, list[float]]] = {label: {} for label in checkouts}
        labels = list(checkouts)
        for name in next(iter(commands.values())):
            for k in range(repeats):
                for label in (labels if k % 2 == 0 else labels[::-1]):
                    times[label].setdefault(name, []).append(_time(commands[label][name], checkouts[label][0], 1))
        return {label: {name: statistics.median(values) for name, values in rows.items()}
                for label, rows in times.items()}


class _Watcher:
    """A running `run_all.py --watch` on a copy of the templates; `edit(k)` saves a one-word edit and returns the
    seconds until the watcher's "done:" line (the PDF is written by then)."""

    def __init__(self, repo: Path, out: Path, scratch: Path):
        import queue
        import threading

        self.templates = scratch / "templates"
        shutil.copytree(repo / "templates", self.templates)
        self.answers = self.templates / "answers" / "part1.html.j2"
        self.process = subprocess.Popen([sys.executable, "-u", str(repo / "run_all.py"), "--watch", "--out",
                                         str(out.resolve()), "--templates", str(self.templates)], cwd=repo,
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [self.lines.put(line) for line in self.process.stdout], daemon=True).start()
        self.wait_for("watching ")

    def wait_for(self, prefix: str) -> None:
        while True:
            line = self.lines.get(timeout=300)
            if line.startswith("run_all.py: error"):
                sys.exit(f"--watch failed: {line}")
            if line.startswith(prefix):
                return

    def edit(self, k: int) -> float:
        time.sleep(1.0)  # the OS watch starts just after the "watching" line: do not save before it
        text = self.answers.read_text()
        started = time.perf_counter()
        self.answers.write_text(text.replace("Choice of", f"Choice {k} of", 1) if k == 0
                                else text.replace(f"Choice {k - 1} of", f"Choice {k} of", 1))
        self.wait_for("done: ")
        return time.perf_counter() - started

    def stop(self) -> None:
        self.process.send_signal(__import__("signal").SIGINT)
        self.process.wait(timeout=30)


def measure_watch(checkouts: dict[str, tuple[Path, Path]], repeats: int) -> dict[str, float]:
    """Median seconds from saving a one-word edit to the finished PDF, per checkout that has --watch; the
    watchers run side by side (idle but one) and take turns, as measure() does."""
    watchers: dict[str, _Watcher] = {}
    with tempfile.TemporaryDirectory() as scratch:
        try:
            for label, (repo, out) in checkouts.items():
                help_text = subprocess.run([sys.executable, str(repo / "run_all.py"), "--help"], capture_output=True,
                                           text=True).stdout
                if "--watch" in help_text:
                    watchers[label] = _Watcher(repo, out, Path(scratch) / label)
            times: dict[str, list[float]] = {label: [] for label in watchers}
            labels = list(watchers)
            for k in range(repeats):
                for label in (labels if k % 2 == 0 else labels[::-1]):
                    times[label].append(watchers[label].edit(k))
            return {label: statistics.median(values) for label, values in times.items()}
        finally:
            for watcher in watchers.values():
                watcher.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("report"), help="a rendered report folder of this checkout")
    parser.add_argument("--baseline", type=Path, help="another checkout of hw1 to compare with")
    parser.add_argument("--baseline-out", type=Path, help="a rendered report folder of the baseline checkout")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    checkouts = {"this checkout": (REPO, args.out)}
    if args.baseline:
        checkouts["baseline"] = (args.baseline.resolve(), args.baseline_out)
    rows = measure(checkouts, args.repeats)
    for label, watched in measure_watch(checkouts, args.repeats).items():
        rows[label]["--watch: save -> PDF after a one-word edit"] = watched
    import platform

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor()) if Path("/proc/cpuinfo").is_file() \
        else platform.processor()
    print(f"CPU: {cpu}, {__import__('os').cpu_count()} logical cores")
    names = list(next(iter(rows.values())))
    print(f"median of {args.repeats} runs, seconds (wall, fresh Python process)")
    print(f"{'command':44s}" + "".join(f"{label:>16s}" for label in rows))
    for name in names:
        print(f"{name:44s}" + "".join(f"{values[name]:16.2f}" if name in values else f"{'-':>16s}"
                                      for values in rows.values()))
    for label, values in rows.items():
        watched, cold = values.get("--watch: save -> PDF after a one-word edit"), values["--report-only after a one-word edit"]
        if watched is not None:
            print(f"{label}: --watch takes {100 * watched / cold:.0f}% of a cold --report-only")


if __name__ == "__main__":
    main()
