"""The run directory: everything one training run writes, at fixed paths."""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from ganzoo_runtime.atomic import is_temporary

from ganzoo.errors import UserError

RUNS_ROOT = Path("runs")
LOCK_NAME = ".ganzoo.lock"


@dataclass(frozen=True)
class RunDirectory:
    """Paths inside one run directory (see docs/run-directory.md)."""

    path: Path

    @property
    def config(self) -> Path:
        return self.path / "config.json"

    @property
    def checkpoints(self) -> Path:
        return self.path / "checkpoints"

    @property
    def samples(self) -> Path:
        return self.path / "samples"

    def sample_grid(self, epoch: int) -> Path:
        return self.samples / f"epoch-{epoch:04d}.png"

    @property
    def progress_gif(self) -> Path:
        return self.samples / "progress.gif"

    @property
    def metrics(self) -> Path:
        return self.path / "metrics.csv"

    @property
    def tensorboard(self) -> Path:
        return self.path / "tensorboard"

    @property
    def generator(self) -> Path:
        return self.path / "generator.keras"

    @property
    def lock_file(self) -> Path:
        return self.path / LOCK_NAME

    def foreign_entries(self) -> list[str]:
        """What the directory holds that a fresh run would not have written: anything but ganzoo's lock, the
        empty folders a run makes just before its config.json, and the temporary file of a config.json whose
        writer was killed (a crash there leaves these behind)."""
        def ours(entry: Path) -> bool:
            if entry.name == LOCK_NAME or is_temporary(entry.name):
                return entry.is_file()
            return entry.name in (self.checkpoints.name, self.samples.name) and entry.is_dir() \
                and all(is_temporary(p.name) for p in entry.iterdir())
        return sorted(p.name for p in self.path.iterdir() if not ours(p)) if self.path.is_dir() else []

    def remove_leftovers(self) -> list[Path]:
        """Delete the temporary files of a writer that was killed mid-write (call it holding the run's lock)."""
        leftovers = [p for folder in (self.path, self.checkpoints, self.samples) if folder.is_dir()
                     for p in folder.iterdir() if is_temporary(p.name) and p.is_file()]
        for path in leftovers:
            path.unlink(missing_ok=True)
        return leftovers

    def create(self) -> None:
        """Make the directory tree; an unwritable location is a user error."""
        try:
            for folder in (self.path, self.checkpoints, self.samples):
                folder.mkdir(parents=True, exist_ok=True)
            probe = self.path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise UserError(f"cannot write run directory {self.path}: {error.strerror or error}") from None


def default_run_path(architecture: str, dataset: str, root: Path = RUNS_ROOT) -> Path:
    """``runs/<arch>-<dataset>-<timestamp>``, made unique if that exists already."""
    dataset_slug = re.sub(r"[^A-Za-z0-9._-]+", "-", dataset.rstrip("/\\")).strip("-")
    base = root / f"{architecture}-{dataset_slug}-{time.strftime('%Y%m%d-%H%M%S')}"
    path, n = base, 1
    while path.exists():
        n += 1
        path = Path(f"{base}-{n}")
    return path


def newest_run(root: Path = RUNS_ROOT) -> Path | None:
    """The most recently modified run directory under ``root`` (one with a config.json)."""
    runs = [p.parent for p in root.glob("*/config.json")] if root.is_dir() else []
    return max(runs, key=lambda p: os.stat(p / "config.json").st_mtime, default=None)
