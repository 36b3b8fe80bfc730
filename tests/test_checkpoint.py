"""Checkpoints round-trip, rotate, and ignore half-written files."""

from __future__ import annotations

import numpy as np
import pytest

from ganzoo.training.checkpoint import (
    KEEP,
    CheckpointError,
    CheckpointInfo,
    latest_checkpoint,
    list_checkpoints,
    load_checkpoint,
    save_checkpoint,
)


class Var:
    """Just enough of a variable: a shape, numpy() and assign()."""

    def __init__(self, value):
        self.value = np.array(value)
        self.shape = self.value.shape
        self.path = "var"

    def numpy(self):
        return self.value

    def assign(self, value):
        self.value = np.array(value)


def test_round_trip_and_rotation(tmp_path):
    saved = [Var(np.arange(6.0).reshape(2, 3)), Var(np.int64(7))]
    for step in (10, 20, 30):
        saved[1].value = np.int64(step)
        save_checkpoint(tmp_path, saved, CheckpointInfo(step=step, epoch=step // 10))
    assert [p.name for p in list_checkpoints(tmp_path)] == ["ckpt-00000020.npz", "ckpt-00000030.npz"][-KEEP:]
    restored = [Var(np.zeros((2, 3))), Var(np.int64(0))]
    info = load_checkpoint(latest_checkpoint(tmp_path), restored)
    assert info == CheckpointInfo(step=30, epoch=3)
    assert np.array_equal(restored[0].value, saved[0].value) and int(restored[1].value) == 30


def test_leftover_temporary_files_are_not_checkpoints(tmp_path):
    save_checkpoint(tmp_path, [Var([1.0])], CheckpointInfo(step=5, epoch=1))
    (tmp_path / ".ckpt-abc.tmp").write_bytes(b"half written")
    assert latest_checkpoint(tmp_path).name == "ckpt-00000005.npz"


def test_mismatched_models_are_refused(tmp_path):
    save_checkpoint(tmp_path, [Var([1.0, 2.0])], CheckpointInfo(step=1, epoch=1))
    with pytest.raises(CheckpointError, match="shape"):
        load_checkpoint(latest_checkpoint(tmp_path), [Var([1.0])])
    with pytest.raises(CheckpointError, match="holds 1 variables"):
        load_checkpoint(latest_checkpoint(tmp_path), [Var([1.0, 2.0]), Var([3.0])])
