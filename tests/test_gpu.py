"""Checks that need a CUDA GPU (skipped elsewhere): a quick run on cuda keeps every invariant of the CPU
integration test, and two same-seed runs on one GPU give identical numbers.

benchmarks/gpu_check.sh runs these on a GPU machine. The PDF needs WeasyPrint; where it is not installed
(the lent GPU machines), the run stops after saving results and writing hw1.html, and these tests check
everything up to there.
"""

import json

import pytest
import torch

from hw1.errors import UserError
from hw1.toolkit.models import Table1CNN
from hw1.pipeline import Options, run_pipeline

pytestmark = [pytest.mark.slow, pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")]


def _quick_cuda_run(out, data_dir, parts=(1, 2, 3, 4)):
    try:
        run_pipeline(Options(device="cuda", out=out, quick=True, parts=parts, data_dir=data_dir, progress=False),
                     log=lambda _: None)
    except UserError as error:
        if "weasyprint" not in str(error).lower():
            raise
    return json.loads((out / "results.json").read_text())


def test_quick_run_on_cuda_keeps_every_invariant(tmp_path, data_dir):
    results = _quick_cuda_run(tmp_path / "run", data_dir)
    assert set(results["parts"]) == {"part1", "part2", "part3", "part4"}
    assert results["parts"]["part3"]["device"].startswith("cuda")
    assert results["parts"]["part4"]["device"].startswith("cuda")
    artifacts = tmp_path / "run" / "artifacts"
    original = Table1CNN()
    original.load_state_dict(torch.load(artifacts / "cnn.pt", weights_only=True))
    original = original.cuda().eval()
    saved = torch.load(artifacts / "adversarial.pt", weights_only=True)
    assert (saved["adversarial"] >= saved["original"]).all()
    assert saved["adversarial"].min() >= -1 and saved["adversarial"].max() <= 1
    with torch.no_grad():
        torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = False
        probabilities = torch.softmax(original(saved["adversarial"].cuda()), dim=1).cpu()
    top, predicted = probabilities.max(dim=1)
    untargeted = saved["target"] == -1
    rule = torch.where(untargeted, predicted != saved["label"], predicted == saved["target"]) & (top >= 0.9)
    # Recomputed on the GPU in full float32, the rule agrees with the attack's own decision on every image.
    assert torch.equal(rule, saved["success"])
    assert saved["success"][untargeted].float().mean() > 0.5


def test_two_same_seed_runs_on_one_gpu_are_identical(tmp_path, data_dir):
    first = _quick_cuda_run(tmp_path / "a", data_dir, parts=(3, 4))
    second = _quick_cuda_run(tmp_path / "b", data_dir, parts=(3, 4))
    for name in ("part3", "part4"):
        a, b = dict(first["parts"][name]["result"]), dict(second["parts"][name]["result"])
        for timing in ("images_per_second", "history", "seconds_untargeted", "seconds_targeted",
                       "seconds_retraining", "eps_sweep"):
            a.pop(timing, None), b.pop(timing, None)
        assert a == b, name
    for weights in ("cnn.pt", "cnn_retrained.pt"):
        state_a = torch.load(tmp_path / "a" / "artifacts" / weights, weights_only=True)
        state_b = torch.load(tmp_path / "b" / "artifacts" / weights, weights_only=True)
        assert all(torch.equal(state_a[k], state_b[k]) for k in state_a), weights
    history_a = first["parts"]["part3"]["result"]["history"]
    history_b = second["parts"]["part3"]["result"]["history"]
    assert history_a["iteration_loss"] == history_b["iteration_loss"]
