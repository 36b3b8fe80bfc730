"""Refresh the vendored onnxruntime-web (the zoo page's runtime) from its npm package.

    python web/refresh_onnxruntime_web.py [VERSION]      # default: the version pinned in VENDOR.json

Downloads the package with `npm pack` (the one network access, at refresh time only), copies the two builds the
page loads, and records the version, licence and sha256 of every file in VENDOR.json, which ganzoo_web checks
before a site is built. The page needs:

- the WebAssembly build (ort.wasm.min.mjs and its threaded SIMD module): every browser;
- the WebGPU build (ort.webgpu.min.mjs and its asyncify module), loaded only where the browser has WebGPU.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

FOLDER = Path(__file__).resolve().parent / "ganzoo_web" / "onnxruntime-web"
FILES = ("ort.wasm.min.mjs", "ort-wasm-simd-threaded.mjs", "ort-wasm-simd-threaded.wasm",
         "ort.webgpu.min.mjs", "ort-wasm-simd-threaded.asyncify.mjs", "ort-wasm-simd-threaded.asyncify.wasm")
# The npm package ships no LICENSE file; its package.json says MIT and points at the onnxruntime repository's.
LICENSE = """MIT License

Copyright (c) Microsoft Corporation

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
"""


def main(version: str | None = None) -> None:
    version = version or json.loads((FOLDER / "VENDOR.json").read_text())["version"]
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run(["npm", "pack", "--loglevel=error", f"onnxruntime-web@{version}", "--pack-destination", scratch],
                       check=True, stdout=subprocess.DEVNULL)
        with tarfile.open(next(Path(scratch).glob("*.tgz"))) as archive:
            archive.extractall(scratch, filter="data")
        package = Path(scratch) / "package"
        manifest = json.loads((package / "package.json").read_text())
        if manifest["version"] != version or manifest["license"] != "MIT":
            sys.exit(f"unexpected package: version {manifest['version']}, licence {manifest['license']}")
        if FOLDER.exists():
            shutil.rmtree(FOLDER)
        FOLDER.mkdir(parents=True)
        for name in FILES:
            shutil.copyfile(package / "dist" / name, FOLDER / name)
    (FOLDER / "LICENSE").write_text(LICENSE)
    record = {"package": "onnxruntime-web", "version": version, "license": "MIT",
              "source": f"https://registry.npmjs.org/onnxruntime-web/-/onnxruntime-web-{version}.tgz",
              "sha256": {name: hashlib.sha256((FOLDER / name).read_bytes()).hexdigest() for name in FILES}}
    (FOLDER / "VENDOR.json").write_text(json.dumps(record, indent=2) + "\n")
    size = sum((FOLDER / name).stat().st_size for name in FILES)
    print(f"onnxruntime-web {version}: {len(FILES)} files, {size / 2**20:.1f} MiB, in {FOLDER}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
