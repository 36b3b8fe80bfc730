"""Files written whole or not at all, and what a killed writer leaves: removed by the next write to the same target,
never another process's file or another target's."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import REPO

from ganzoo_runtime.atomic import atomic_path, is_temporary, staging_folder

SHELF_FILE = REPO / "ganzoo" / "zoo" / "entries" / "dcgan-mnist" / "generator.onnx"


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _hidden(folder):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith("."))


def test_a_killed_writers_temporary_file_is_removed_by_the_next_write(tmp_path):
    dead = _dead_pid()
    leftover = tmp_path / f".out.npy.pid-{dead}.k1ll3d.tmp.npy"
    leftover.write_bytes(b"\x93NUMPY half of it")
    # kept: a live process's file (pid 1 is always running), another target's, and a file that is no temporary
    kept = [tmp_path / ".out.npy.pid-1.l1v3.tmp.npy", tmp_path / f".out.npy.pid-{dead}.pid-1.x.tmp.npy",
            tmp_path / f".out.npy.pid-{dead}.notes.txt", tmp_path / f".out.npy.pid-{dead}.k1ll3d.tmp.png"]
    for path in kept:
        path.write_text("mine")
    with atomic_path(tmp_path / "out.npy") as tmp:
        tmp.write_bytes(b"new")
        assert is_temporary(tmp.name) and f".pid-{os.getpid()}." in tmp.name
    assert (tmp_path / "out.npy").read_bytes() == b"new" and not leftover.exists()
    assert all(path.read_text() == "mine" for path in kept)


def test_a_target_name_with_glob_characters_matches_only_itself(tmp_path):
    dead = _dead_pid()
    other = tmp_path / f".a1.png.pid-{dead}.x.tmp.png"  # would match the glob "[a]?.png"'s leftovers
    mine = tmp_path / f".[a]?.png.pid-{dead}.x.tmp.png"
    for path in (other, mine):
        path.write_text("left")
    with atomic_path(tmp_path / "[a]?.png") as tmp:
        tmp.write_text("new")
    assert other.exists() and not mine.exists()


def test_a_killed_writers_staging_folder_is_removed_by_the_next_write(tmp_path):
    left = tmp_path / f".pngs.partial-{_dead_pid()}"
    left.mkdir()
    (left / "0000.png").write_text("half")
    with staging_folder(tmp_path / "pngs") as folder:
        (folder / "0000.png").write_text("whole")
    assert _hidden(tmp_path) == [] and (tmp_path / "pngs" / "0000.png").read_text() == "whole"


def test_sigkill_while_streaming_an_npy_leaves_nothing_after_the_next_run(tmp_path):
    """The real thing: ganzoo-sample streaming 200,000 images to out.npy, killed once its temporary file is
    growing, then run again to the same output."""
    output = tmp_path / "out.npy"
    sampler = [sys.executable, "-m", "ganzoo_runtime.cli", str(SHELF_FILE), "--no-cache", "--output", str(output)]
    first = subprocess.Popen(sampler + ["-n", "200000"], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(p.stat().st_size > 2**20 for p in tmp_path.iterdir()):
        time.sleep(0.05)
    first.send_signal(signal.SIGKILL)
    first.wait()
    [leftover] = _hidden(tmp_path)
    assert is_temporary(leftover) and not output.exists()
    again = subprocess.run(sampler + ["-n", "4"], capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    assert _hidden(tmp_path) == [] and np.load(output).shape == (4, 28, 28, 1)


@pytest.mark.parametrize("suffix", [".png", ".gif"])
def test_grids_and_animations_clean_up_the_same_way(tmp_path, suffix):
    leftover = tmp_path / f".out{suffix}.pid-{_dead_pid()}.k1ll3d.tmp{suffix}"
    leftover.write_bytes(b"half")
    result = subprocess.run([sys.executable, "-m", "ganzoo_runtime.cli", str(SHELF_FILE), "-n", "4", "--no-cache",
                             "--output", str(tmp_path / f"out{suffix}")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert _hidden(tmp_path) == [] and (tmp_path / f"out{suffix}").stat().st_size > 0
