"""Writing files so that a crash never leaves a half-written one in place."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


STAGING_MARK = ".partial-"
_TEMPORARY_MARK = ".pid-"
_TEMPORARY = re.compile(r"^\..+\.tmp(\.[^.]+)?$")  # what atomic_path names a file while it writes it


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is flushed to disk and renamed onto ``target``.

    The file gets the permissions a plain ``open()`` would give it (mkstemp's are private). Its name holds this
    process's id, so that one left by a process that was killed (SIGKILL cannot be caught) is removed the next
    time ``target`` is written.
    """
    target = Path(target)
    _remove_abandoned(target, _TEMPORARY_MARK, re.compile(rf"(\d+)\.[^.]+\.tmp{re.escape(target.suffix)}"))
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}{_TEMPORARY_MARK}{os.getpid()}.",
                               suffix=f".tmp{target.suffix}")
    os.close(fd)
    try:
        yield Path(tmp)
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def is_temporary(name: str) -> bool:
    """Whether ``name`` is an :func:`atomic_path` temporary file (left behind only by a killed process)."""
    return bool(_TEMPORARY.match(name))


@contextlib.contextmanager
def staging_folder(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a hidden folder beside ``target`` to fill; on success it is renamed to ``target``, on any failure
    removed, so ``target`` is either complete or absent. ``target`` must not exist, or be an empty folder.

    A folder left by a process that was killed (SIGKILL cannot be caught) is removed the next time.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    _remove_abandoned(target, STAGING_MARK, re.compile(r"(\d+)"))
    staging = target.parent / f".{target.name}{STAGING_MARK}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
        if target.is_dir():
            target.rmdir()  # empty (the caller checked): rename cannot replace a folder on every system
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _remove_abandoned(target: Path, mark: str, rest: re.Pattern) -> None:
    """Temporary files or staging folders for ``target`` whose process is gone: named ``.TARGET{mark}`` and then
    ``rest``, whose first group is the process id. Compared as text, not as a glob (``target`` may hold ``*``),
    and in full, so another target's temporary files are never taken for these."""
    prefix = f".{target.name}{mark}"
    try:
        leftovers = [p for p in target.parent.iterdir() if p.name.startswith(prefix)]
    except OSError:
        return  # a folder that cannot be listed: the write itself says what is wrong
    for leftover in leftovers:
        pid = rest.fullmatch(leftover.name[len(prefix):])
        if pid and not process_alive(int(pid.group(1))):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    leftover.unlink()


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` may still be running (its temporary files are then left alone)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process, or a system that cannot tell: leave its folder alone
    return True
