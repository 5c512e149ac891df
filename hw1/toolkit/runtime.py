"""What every part receives besides its config: device, seed, where to put artifacts, a reporter; and the device policy."""

from __future__ import annotations

import contextlib
import os
import platform
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

import numpy as np

from ..errors import UserError
from ..reporter import SILENT, Reporter
from ..lazy import torch


def resolve_device(requested: str) -> torch.device:
    """Map the CLI's --device choice to a torch.device (UserError for cuda without a usable GPU)."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise UserError(no_cuda_message())
        return torch.device("cuda")
    if requested == "cpu":
        return torch.device("cpu")
    raise UserError(f"unknown device {requested!r}; choose auto, cpu or cuda")


def no_cuda_message() -> str:
    """Why --device cuda cannot be used here, naming what to check (one line)."""
    built_for = torch.version.cuda
    if built_for is None:
        return ("--device cuda was asked for but this PyTorch is a CPU-only build (torch.version.cuda is None); "
                "install a CUDA build of torch, or use --device cpu (or auto)")
    return (f"--device cuda was asked for but PyTorch, built for CUDA {built_for}, finds no usable CUDA GPU: "
            f"check that nvidia-smi lists a GPU and that its driver supports CUDA {built_for} or newer "
            "(an older driver makes the GPU invisible to torch); or use --device cpu (or auto)")


def configure_determinism(device: torch.device) -> None:
    """Make same-seed runs repeat exactly on one GPU (on the CPU they already do).

    cuDNN may otherwise pick non-deterministic convolution algorithms (benchmark mode) or sum in a
    different order each run; cuBLAS needs a fixed workspace for deterministic matrix products,
    which must be set before CUDA starts (hence the environment variable, set before any CUDA op).
    warn_only: an operation without a deterministic CUDA kernel warns instead of stopping a run.
    """
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.backends.cudnn.benchmark = False
    torch.backends.cudnn.deterministic = True
    torch.use_deterministic_algorithms(True, warn_only=True)


@contextlib.contextmanager
def full_float32() -> Iterator[None]:
    """Context: float32 math means float32 on CUDA too (no TF32, no autocast), restored afterwards.

    TF32 (the CUDA default for convolutions) keeps 10 mantissa bits; near the attack's 0.90
    stopping threshold that flips decisions, so attacks and the evaluations that judge them run in
    full float32. No effect on the CPU, where float32 is always full precision.
    """
    saved = (torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32)
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = False
    try:
        with contextlib.ExitStack() as stack:
            for device_type in ("cpu", "cuda") if torch.cuda.is_available() else ("cpu",):
                stack.enter_context(torch.autocast(device_type, enabled=False))
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a part's numbers repeat on the same machine."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def environment(device: torch.device) -> dict:
    """Versions and hardware, for the report's appendix and results.json."""
    import matplotlib
    import torchvision

    from .. import __version__

    try:
        import weasyprint
        weasyprint_version = weasyprint.__version__
    except ImportError:
        weasyprint_version = "not installed"

    info = {
        "hw1": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "weasyprint": weasyprint_version,
        "device": str(device),
        "cpu_threads": torch.get_num_threads(),
        "cpu_count": os.cpu_count(),
    }
    if device.type == "cuda":
        info["gpu"] = torch.cuda.get_device_name(device)
        info["cuda"] = torch.version.cuda
    return info


@dataclass
class RunContext:
    """Run-wide settings passed to every part's `run` function.

    Parts write their artifacts (arrays, weights) through `artifact` and report their files in
    `artifacts_written`, so the pipeline can fingerprint them and detect damage later.
    """

    device: torch.device
    seed: int
    out_dir: Path
    data_dir: Path
    reporter: Reporter = SILENT  # messages and progress bars (parts never print)
    run_key: str = ""  # the part's cache key: names its checkpoints, so a resume never mixes configs
    artifacts_written: list[str] = field(default_factory=list)

    @property
    def artifacts_dir(self) -> Path:
        return self.out_dir / "artifacts"

    @property
    def checkpoints_dir(self) -> Path:
        return self.out_dir / "checkpoints"

    def artifact(self, name: str) -> Path:
        """Path of artifact `name` under artifacts/, recorded as belonging to the running part."""
        self.artifacts_dir.mkdir(parents=True, exist_ok=True)
        if name not in self.artifacts_written:
            self.artifacts_written.append(name)
        return self.artifacts_dir / name
