"""A disk cache of rewritten graphs, keyed by the file's sha256 and the versions that made the rewrite.

Each entry is one file, ``<key>.onnx``: a header line (magic, then JSON with
the key, the payload's sha256 and length, and a description) followed by the
payload. An entry that is truncated, corrupt, or made under another key is
ignored and rewritten, never used. Writers write a private temporary file and
rename it into place, so two processes filling the same entry at once leave
one whole entry. A cache folder that cannot be written (read-only, full)
means no caching, with one notice.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Optional

log = logging.getLogger("ganzoo_runtime")

CACHE_ENV = "GANZOO_CACHE_DIR"
MAGIC = b"ganzoo-cpu-form 1\n"


def default_folder() -> Path:
    """GANZOO_CACHE_DIR, else $XDG_CACHE_HOME/ganzoo, else ~/.cache/ganzoo; rewritten graphs go in cpu-forms/."""
    root = os.environ.get(CACHE_ENV) or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "ganzoo"
    return Path(root) / "cpu-forms"


class FormCache:
    """Rewritten graphs on disk, by key."""

    def __init__(self, folder: Optional[Path] = None):
        self.folder = Path(folder) if folder else default_folder()
        self.writable = True

    def read(self, key: str) -> Optional[tuple[bytes, str]]:
        """(payload, description) of a whole entry for ``key``, or None."""
        try:
            data = (self.folder / f"{key}.onnx").read_bytes()
        except OSError:
            return None
        if not data.startswith(MAGIC):
            return None
        header_end = data.find(b"\n", len(MAGIC))
        try:
            header = json.loads(data[len(MAGIC):header_end])
            payload = data[header_end + 1:]
            whole = (header_end > 0 and header["key"] == key and header["length"] == len(payload)
                     and header["sha256"] == hashlib.sha256(payload).hexdigest())
        except (ValueError, KeyError, TypeError):
            whole = False
        if not whole:
            log.debug("cache entry %s is damaged or not this version's; rebuilding it", key)
            return None
        return payload, str(header.get("description", ""))

    def write(self, key: str, payload: bytes, description: str) -> None:
        """Store an entry; on a folder that cannot take it, a notice and no more caching in this process."""
        if not self.writable:
            return
        header = json.dumps({"key": key, "sha256": hashlib.sha256(payload).hexdigest(), "length": len(payload),
                             "description": description}).encode()
        tmp = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{key}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as f:
                f.write(MAGIC + header + b"\n" + payload)
            os.replace(tmp, self.folder / f"{key}.onnx")
        except OSError as error:
            self.writable = False
            if tmp:
                Path(tmp).unlink(missing_ok=True)
            log.warning("notice: not caching the CPU form in %s (%s); set %s or pass --no-cache", self.folder,
                        error.strerror or error, CACHE_ENV)
