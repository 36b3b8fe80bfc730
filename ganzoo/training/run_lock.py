"""One writer per run directory: an advisory lock that the operating system drops with its process.

The lock is ``P/.ganzoo.lock``, held with ``flock`` (``msvcrt.locking`` on
Windows) for as long as a run writes ``P``. A second ``ganzoo train`` into
``P`` is refused with a line naming the holder; a process killed by any
signal, SIGKILL included, holds nothing, so its lock never blocks a resume.
The file itself stays: removing it would let a third process lock a
different file of the same name while the second still holds the old one.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Iterator

from ganzoo.errors import UserError
from ganzoo.training.run_directory import RunDirectory

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None
    import msvcrt


class RunInUseError(UserError):
    """Another process is writing the run directory."""


def _try_lock(fd: int) -> bool:
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        else:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        return True
    except OSError:
        return False


def _in_use(run: RunDirectory) -> RunInUseError:
    try:
        record = json.loads(run.lock_file.read_text())
        holder = f"pid {int(record['pid'])} on {record['host']}, since {record['since']}"
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        holder = "another process"
    return RunInUseError(f"{run.path} is in use by another ganzoo train ({holder}): wait for it to end, or stop it")


@contextlib.contextmanager
def run_lock(run: RunDirectory) -> Iterator[None]:
    """Hold the run directory's lock (creating the directory); :class:`RunInUseError` when another process does."""
    run.create()
    fd = os.open(run.lock_file, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if not _try_lock(fd):
            raise _in_use(run)
        record = json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "since": time.strftime("%Y-%m-%d %H:%M:%S")}).encode()
        os.ftruncate(fd, 0)
        os.write(fd, record)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def check_not_in_use(run: RunDirectory) -> None:
    """Refuse early, before any model is built, when another process holds the run's lock."""
    try:
        fd = os.open(run.lock_file, os.O_RDWR)
    except OSError:  # no lock file (a new run), or none that could be held
        return
    try:
        if not _try_lock(fd):
            raise _in_use(run)
    finally:
        os.close(fd)
