"""The edit loop's speed: `run_all.py --report-only` (a re-render after a one-word edit) and `--help`.

Times each command as a user runs it (a fresh Python process), several times, and prints the median.
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


def measure(repo: Path, out: Path, repeats: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        templates = Path(scratch) / "templates"
        shutil.copytree(repo / "templates", templates)
        answers = templates / "answers" / "part1.html.j2"
        answers.write_text(answers.read_text().replace("Choice of range", "Choice of the range", 1))
        script = str(repo / "run_all.py")
        return {
            "--help": _time([sys.executable, script, "--help"], repo, repeats),
            "--parts 9 (an argument error)": _time([sys.executable, "-c", (
                "import subprocess, sys; sys.exit(subprocess.run([sys.executable, sys.argv[1], '--parts', '9'])"
                ".returncode != 2)"), script], repo, repeats),
            "--report-only after a one-word edit": _time(
                [sys.executable, script, "--report-only", "--out", str(out.resolve()), "--templates", str(templates)],
                repo, repeats),
        }


def measure_watch(repo: Path, out: Path, repeats: int) -> float | None:
    """Median seconds from saving a one-word edit to the watcher's finished PDF (None: no --watch here)."""
    import os
    import queue
    import threading

    help_text = subprocess.run([sys.executable, str(repo / "run_all.py"), "--help"], capture_output=True, text=True).stdout
    if "--watch" not in help_text:
        return None
    with tempfile.TemporaryDirectory() as scratch:
        templates = Path(scratch) / "templates"
        shutil.copytree(repo / "templates", templates)
        answers = templates / "answers" / "part1.html.j2"
        process = subprocess.Popen([sys.executable, "-u", str(repo / "run_all.py"), "--watch", "--out", str(out.resolve()),
                                    "--templates", str(templates)], cwd=repo, stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()

        def wait_for(prefix: str) -> None:
            while True:
                line = lines.get(timeout=120)
                if line.startswith("run_all.py: error"):
                    sys.exit(f"--watch failed: {line}")
                if line.startswith(prefix):
                    return

        try:
            wait_for("watching ")
            times = []
            for k in range(repeats):
                time.sleep(1.0)  # the OS watch starts just after the "watching" line: do not save before it
                text = answers.read_text()
                started = time.perf_counter()
                answers.write_text(text.replace("Choice of", f"Choice {k} of", 1) if k == 0
                                   else text.replace(f"Choice {k - 1} of", f"Choice {k} of", 1))
                wait_for("done: ")
                times.append(time.perf_counter() - started)
            return statistics.median(times)
        finally:
            process.send_signal(__import__("signal").SIGINT)
            process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("report"), help="a rendered report folder of this checkout")
    parser.add_argument("--baseline", type=Path, help="another checkout of hw1 to compare with")
    parser.add_argument("--baseline-out", type=Path, help="a rendered report folder of the baseline checkout")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows = {"this checkout": measure(REPO, args.out, args.repeats)}
    watched = measure_watch(REPO, args.out, args.repeats)
    if watched is not None:
        rows["this checkout"]["--watch: save -> PDF after a one-word edit"] = watched
    if args.baseline:
        rows["baseline"] = measure(args.baseline.resolve(), args.baseline_out, args.repeats)
        watched = measure_watch(args.baseline.resolve(), args.baseline_out, args.repeats)
        if watched is not None:
            rows["baseline"]["--watch: save -> PDF after a one-word edit"] = watched
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
