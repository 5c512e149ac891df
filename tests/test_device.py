"""Device handling that can be checked on the CPU: determinism settings, full float32 in attacks and
evaluations, and the message when CUDA is unusable. GPU-only checks are in test_gpu.py."""

import pytest
import torch
from torch import nn

from hw1.toolkit import runtime
from hw1.toolkit.attacks import ConstrainedIFGSM
from hw1.toolkit.runtime import configure_determinism, full_float32, no_cuda_message
from hw1.toolkit.training import evaluate


class _PrecisionSpy(nn.Module):
    """A tiny classifier that records the precision settings in force at each forward pass."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(784, 10)
        self.seen: list[tuple[bool, bool, bool]] = []

    def forward(self, x):
        self.seen.append((torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32,
                          torch.is_autocast_enabled("cpu")))
        return self.linear(x.flatten(1)) * 10


@pytest.fixture()
def tf32_on():
    saved = (torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32)
    torch.backends.cudnn.allow_tf32 = torch.backends.cuda.matmul.allow_tf32 = True
    yield
    torch.backends.cudnn.allow_tf32, torch.backends.cuda.matmul.allow_tf32 = saved


def test_attack_and_evaluation_run_in_full_float32_even_inside_autocast(tf32_on):
    model = _PrecisionSpy()
    images = torch.rand(8, 1, 28, 28) * 2 - 1
    labels = torch.zeros(8, dtype=torch.int64)
    with torch.autocast("cpu", dtype=torch.bfloat16):  # a caller that trains in low precision
        ConstrainedIFGSM(model, eps=0.05, max_steps=3)(images, labels)
        evaluate(model, images, labels, channels_last=False)
    assert model.seen and all(state == (False, False, False) for state in model.seen), set(model.seen)
    # Restored afterwards.
    assert torch.backends.cudnn.allow_tf32 and torch.backends.cuda.matmul.allow_tf32


def test_full_float32_restores_settings_after_an_error(tf32_on):
    with pytest.raises(RuntimeError):
        with full_float32():
            assert not torch.backends.cudnn.allow_tf32
            raise RuntimeError("boom")
    assert torch.backends.cudnn.allow_tf32


def test_determinism_settings_are_applied(monkeypatch):
    monkeypatch.delenv("CUBLAS_WORKSPACE_CONFIG", raising=False)
    saved = (torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
             torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled())
    try:
        configure_determinism(torch.device("cuda"))
        import os
        assert os.environ["CUBLAS_WORKSPACE_CONFIG"] == ":4096:8"
        assert torch.backends.cudnn.deterministic and not torch.backends.cudnn.benchmark
        assert torch.are_deterministic_algorithms_enabled()
    finally:
        torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic = saved[:2]
        torch.use_deterministic_algorithms(saved[2], warn_only=saved[3])


def test_pipeline_applies_determinism_for_cuda(monkeypatch, tmp_path):
    from hw1 import pipeline

    calls = []
    monkeypatch.setattr(runtime, "resolve_device", lambda requested: torch.device("cuda"))
    monkeypatch.setattr(runtime, "configure_determinism", lambda device: calls.append(device))
    monkeypatch.setattr(pipeline, "Renderer", lambda templates, **options: (_ for _ in ()).throw(RuntimeError("stop here")))
    with pytest.raises(RuntimeError, match="stop here"):
        pipeline.run_pipeline(pipeline.Options(device="cuda", out=tmp_path / "out"), log=lambda _: None)
    assert calls == [torch.device("cuda")]


def test_no_cuda_message_names_the_cuda_version_torch_was_built_for(monkeypatch):
    monkeypatch.setattr(torch.version, "cuda", "12.8")
    message = no_cuda_message()
    assert "built for CUDA 12.8" in message and "driver" in message and "--device cpu" in message
    assert "\n" not in message
    monkeypatch.setattr(torch.version, "cuda", None)
    assert "CPU-only build" in no_cuda_message()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(runtime.UserError, match="CPU-only build"):
        runtime.resolve_device("cuda")


@pytest.mark.parametrize("capabilities, expected", [
    ({"amx_bf16": True, "amx_tile": True, "avx512_bf16": True}, True),  # Sapphire Rapids and later
    ({"amx_bf16": False, "amx_tile": False, "avx512_bf16": True}, True),  # AMD Zen 4, Intel Cooper Lake
    ({"amx_bf16": False, "amx_tile": False, "avx512_bf16": False, "avx2": True}, False),  # would emulate bfloat16
    ({}, False),
])
def test_native_bfloat16_follows_the_public_cpu_capability_query(monkeypatch, capabilities, expected):
    from hw1.toolkit.training import native_bfloat16

    monkeypatch.setattr(torch.cpu, "get_capabilities", lambda: capabilities)
    monkeypatch.delattr(torch.cpu, "_is_amx_tile_supported", raising=False)  # the private query is not asked
    assert native_bfloat16(torch.device("cpu")) is expected
