"""Files on disk: atomic writes, content hashes and the output-folder lock.

Every file the product writes goes through `atomic_path`, so an interrupted run never leaves a
half-written file where a finished one is expected: the new content is written next to the target
and renamed over it only once complete (`os.replace` is atomic on POSIX).
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Iterator

from ..errors import UserError


@contextlib.contextmanager
def atomic_path(target: Path) -> Iterator[Path]:
    """Yield a temporary path beside `target`; rename it onto `target` if the block succeeds."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the permissions a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text_atomic(target: Path, text: str) -> None:
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json_atomic(target: Path, data: object) -> None:
    write_text_atomic(target, json.dumps(data, indent=1, sort_keys=False, allow_nan=False) + "\n")


def file_digest(path: Path, algorithm: str = "sha256") -> str:
    """Hex digest of a file's content, read in 1 MiB chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_file(path: Path) -> str:
    return file_digest(path, "sha256")


def md5_file(path: Path) -> str:
    return file_digest(path, "md5")


def prepare_output_dir(out_dir: Path) -> Path:
    """Create `out_dir` if needed and check that it is a writable folder (UserError otherwise)."""
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UserError(f"--out {out_dir} is a file, not a folder; pass a folder path (default: report/)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        probe = tempfile.NamedTemporaryFile(dir=out_dir, prefix=".write-probe.", delete=True)
        probe.close()
    except OSError as exc:
        raise UserError(
            f"cannot write to output folder {out_dir} ({exc.strerror or exc}); "
            "choose a writable folder with --out"
        ) from None
    return out_dir


class OutputLock:
    """An exclusive, non-blocking lock on an output folder, held for the whole run.

    A second run on the same folder fails at once with a UserError instead of interleaving writes.
    The lock is an advisory `flock` on `<out>/.hw1.lock`, released by the OS if the process dies.
    """

    def __init__(self, out_dir: Path):
        self.path = Path(out_dir) / ".hw1.lock"
        self._handle = None

    def __enter__(self) -> "OutputLock":
        self._handle = open(self.path, "a+")
        try:
            fcntl.flock(self._handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            self._handle.close()
            self._handle = None
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise self._in_use() from None
            raise
        # The holder before us deletes the lock file on exit; if we locked that deleted file, the
        # folder is not ours (another run may have made a new lock file): treat it as in use.
        try:
            same_file = os.fstat(self._handle.fileno()).st_ino == os.stat(self.path).st_ino
        except FileNotFoundError:
            same_file = False
        if not same_file:
            self._handle.close()
            self._handle = None
            raise self._in_use()
        return self

    def _in_use(self) -> UserError:
        return UserError(f"output folder {self.path.parent} is in use by another hw1 run; "
                         "wait for it to finish or pass a different --out")

    def __exit__(self, *exc_info) -> None:
        if self._handle is not None:
            self.path.unlink(missing_ok=True)  # no leftover lock file; deleted while still held (see __enter__)
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None
