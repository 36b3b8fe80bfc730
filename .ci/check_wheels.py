"""Fail when a wheel lacks a file of the source tree it was built from.

    python .ci/check_wheels.py dist/*.whl

Each top-level package in a wheel (``ganzoo``, ``ganzoo_runtime``, ``ganzoo_sagan`` …) is matched with the one
folder of this repository that holds that package (``ganzoo/``, ``export/ganzoo_runtime/``,
``plugins/sagan/ganzoo_sagan/`` …), and every file git tracks under that folder must be in the wheel at the
same relative path: a module, a recipe, a shelf entry's generator.onnx. An editable install hides such a
gap (the source tree is on the path); a user's ``pip install .`` does not.
"""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def tracked_package_folders() -> dict[str, Path]:
    """Package name -> its folder, for every folder of the repository whose ``__init__.py`` git tracks and whose
    parent is not itself a package."""
    inits = subprocess.run(["git", "ls-files", "*__init__.py"], cwd=REPO, check=True, capture_output=True,
                           text=True).stdout.split()
    folders = {(REPO / f).parent for f in inits}
    tops = {f for f in folders if f.parent not in folders}
    return {f.name: f for f in tops}


def missing_from(wheel: Path, packages: dict[str, Path]) -> list[str]:
    names = set(zipfile.ZipFile(wheel).namelist())
    tops = {n.split("/", 1)[0] for n in names if "/" in n and not n.split("/", 1)[0].endswith((".dist-info", ".data"))}
    unknown = sorted(tops - set(packages))
    if unknown:
        sys.exit(f"{wheel.name}: no source folder found for {', '.join(unknown)}")
    missing = []
    for top in sorted(tops):
        folder = packages[top]
        tracked = subprocess.run(["git", "ls-files", "."], cwd=folder, check=True, capture_output=True,
                                 text=True).stdout.splitlines()
        missing += [f"{top}/{path}" for path in tracked if f"{top}/{path}" not in names]
    return missing


def main(wheels: list[str]) -> int:
    if not wheels:
        sys.exit("usage: check_wheels.py WHEEL...")
    packages = tracked_package_folders()
    failed = False
    for wheel in map(Path, wheels):
        missing = missing_from(wheel, packages)
        count = len(zipfile.ZipFile(wheel).namelist())
        if missing:
            failed = True
            print(f"FAIL {wheel.name}: {len(missing)} file(s) of the source tree missing: {', '.join(missing)}")
        else:
            print(f"ok   {wheel.name}: {count} files, {wheel.stat().st_size / 2**20:.1f} MiB, none missing")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
