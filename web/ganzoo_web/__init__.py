"""onnxruntime-web, vendored for ganzoo's zoo page (``ganzoo zoo site``, ``ganzoo zoo serve``).

A distribution of its own because the runtime is 42 MiB of WebAssembly that the core wheel does not need.
``runtime_files()`` hands the files to the site builder after checking each against the sha256 recorded in
VENDOR.json by ``web/refresh_onnxruntime_web.py``.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "onnxruntime-web"


def vendor_record() -> dict:
    """VENDOR.json: the package, its version and licence, and the sha256 of every vendored file."""
    return json.loads((FOLDER / "VENDOR.json").read_text())


def runtime_files() -> list[Path]:
    """The vendored files (and their LICENSE and VENDOR.json); ValueError naming any file whose sha256 differs
    from its record."""
    record = vendor_record()
    changed = [name for name, digest in record["sha256"].items()
               if hashlib.sha256((FOLDER / name).read_bytes()).hexdigest() != digest]
    if changed:
        raise ValueError(f"vendored onnxruntime-web files differ from VENDOR.json: {', '.join(changed)} "
                         f"(reinstall ganzoo-web)")
    return [FOLDER / name for name in record["sha256"]] + [FOLDER / "LICENSE", FOLDER / "VENDOR.json"]
