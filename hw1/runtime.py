"""What every part receives besides its config: device, seed, where to put artifacts, progress."""

from __future__ import annotations

import os
import platform
import random
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from .errors import UserError


def resolve_device(requested: str) -> torch.device:
    """Map the CLI's --device choice to a torch.device (UserError for cuda without a GPU)."""
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda":
        if not torch.cuda.is_available():
            raise UserError(
                "--device cuda was asked for but PyTorch sees no CUDA GPU on this machine; "
                "use --device cpu (or auto)"
            )
        return torch.device("cuda")
    if requested == "cpu":
        return torch.device("cpu")
    raise UserError(f"unknown device {requested!r}; choose auto, cpu or cuda")


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and torch so a part's numbers repeat on the same machine."""
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def environment(device: torch.device) -> dict:
    """Versions and hardware, for the report's appendix and results.json."""
    import matplotlib
    import torchvision
    import weasyprint

    from . import __version__

    info = {
        "hw1": __version__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "numpy": np.__version__,
        "matplotlib": matplotlib.__version__,
        "weasyprint": weasyprint.__version__,
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
    progress: bool | None = None  # None: tqdm shows bars only on a terminal
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
