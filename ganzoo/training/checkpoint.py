"""Atomic checkpoints: every variable of the GAN and both optimizers in one file.

A checkpoint is ``checkpoints/ckpt-<step>.npz``: the variables in a fixed
order (generator first, then discriminator, RNG state, optimizers, and the
generator's moving average last when the run keeps one) plus a JSON record of step and epoch.
It is written atomically (temporary file, fsync, rename), so a kill at any
moment leaves the previous checkpoint intact.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import re
import zipfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from ganzoo.errors import UserError
from ganzoo_runtime.atomic import atomic_path

log = logging.getLogger(__name__)

KEEP = 2
_NAME = re.compile(r"^ckpt-(\d{8})\.npz$")


@dataclass(frozen=True)
class CheckpointInfo:
    step: int  # completed training steps
    epoch: int  # completed epochs; step may be further on when saved mid-epoch (Ctrl-C)
    partial: dict | None = None  # saved mid-epoch: the epoch's running sums (callbacks.partial_epoch)


def save_checkpoint(folder: Path, variables: Sequence, info: CheckpointInfo) -> Path:
    """Write the variables and ``info`` atomically; keep the newest :data:`KEEP` checkpoints."""
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {f"v{i:05d}": np.asarray(v.numpy() if hasattr(v, "numpy") else v) for i, v in enumerate(variables)}
    arrays["info"] = np.frombuffer(json.dumps(asdict(info)).encode(), np.uint8)
    with atomic_path(folder / f"ckpt-{info.step:08d}.npz") as tmp, tmp.open("wb") as f:
        np.savez(f, **arrays)
    for old in list_checkpoints(folder)[:-KEEP]:
        old.unlink(missing_ok=True)
    return folder / f"ckpt-{info.step:08d}.npz"


def list_checkpoints(folder: Path) -> list[Path]:
    """Checkpoint files, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.match(p.name))


def latest_checkpoint(folder: Path) -> Path | None:
    """The newest checkpoint that reads back whole; each damaged newer one is named in a warning."""
    for path in reversed(list_checkpoints(folder)):
        damage = damage_of(path)
        if damage is None:
            return path
        log.warning("checkpoint %s is damaged (%s): using the one before it", path, damage)
    return None


def usable_checkpoint(folder: Path) -> Path | None:
    """:func:`latest_checkpoint`, or a one-line error when there are checkpoints but every one is damaged
    (resuming from step 0 instead would quietly throw the run away)."""
    checkpoint = latest_checkpoint(folder)
    if checkpoint is None and list_checkpoints(folder):
        raise CheckpointError(f"no usable checkpoint in {folder}: every one is damaged (move them away to start "
                              "the run again from step 0)")
    return checkpoint


def set_aside_damaged(folder: Path) -> list[Path]:
    """Rename damaged checkpoints to ``*.damaged`` (kept for inspection, never loaded, never pruned)."""
    moved = []
    for path in list_checkpoints(folder):
        if damage_of(path) is not None:
            moved.append(path.rename(path.with_name(path.name + ".damaged")))
    return moved


def damage_of(path: Path) -> str | None:
    """Why the checkpoint at ``path`` cannot be used (empty, truncated, a failed checksum, no info), or None."""
    try:
        stat = path.stat()
    except OSError as error:
        return error.strerror or str(error)
    return _damage(path, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=16)
def _damage(path: Path, mtime_ns: int, size: int) -> str | None:
    """damage_of, read once per version of the file (a resume asks several times; the file is read whole)."""
    try:
        with zipfile.ZipFile(path) as archive:
            bad = archive.testzip()  # reads every member and checks its CRC
        if bad is not None:
            return f"{bad} fails its checksum"
        read_info(path)
    except (OSError, zipfile.BadZipFile, CheckpointError) as error:
        return str(error.strerror if isinstance(error, OSError) and error.strerror else error) or "unreadable"
    return None


class CheckpointError(UserError):
    """A checkpoint cannot be read or does not fit the models."""


class CheckpointMismatch(CheckpointError):
    """A readable checkpoint whose variables do not fit the models built now: the models changed, not the file,
    so every checkpoint of the run fails alike and none should be moved away."""


@contextlib.contextmanager
def _reading(path: Path):
    try:
        with np.load(path) as data:
            yield data
    except (OSError, EOFError, ValueError, KeyError, TypeError, RecursionError, zipfile.BadZipFile) as error:
        reason = str(error) or type(error).__name__
        raise CheckpointError(f"cannot resume from {path}: {reason} (move it away to resume from the one before "
                              "it)") from None


def read_info(path: Path) -> CheckpointInfo:
    with _reading(path) as data:
        return CheckpointInfo(**json.loads(data["info"].tobytes()))


def load_checkpoint(path: Path, variables: Sequence, part: str = "all") -> CheckpointInfo:
    """Assign the stored arrays to ``variables`` (same order and shapes as when saved).

    ``part``: "all"; "leading" when the variables are only the first ones saved (the
    generator's), or "trailing" when they are only the last ones (its moving average).
    """
    with _reading(path) as data:
        stored = sorted(k for k in data.files if k != "info")
        if part == "leading":
            stored = stored[:len(variables)]
        elif part == "trailing":
            stored = stored[len(stored) - len(variables):]
        if len(stored) != len(variables):
            raise CheckpointMismatch(f"{path} does not fit the models: it holds {len(stored)} variables, the "
                                     f"models have {len(variables)}")
        for key, variable in zip(stored, variables):
            value = data[key]
            if tuple(value.shape) != tuple(variable.shape):
                raise CheckpointMismatch(f"{path} does not fit the models: {variable.path} has shape "
                                         f"{tuple(variable.shape)}, the checkpoint {tuple(value.shape)}")
            variable.assign(value)
        return CheckpointInfo(**json.loads(data["info"].tobytes()))
