"""Pack onnxruntime-gpu for a lent GPU machine (benchmarks/gpu_check.sh), which has PyTorch's CUDA 13 / cuDNN 9
but not onnxruntime-gpu, and takes at most 64 MiB a call, the working tree included.

The wheel is 256 MB, 284 MB of it its CUDA provider, whose kernels are compiled for six GPU generations
(sm_75 to sm_120, no PTX). This keeps the sm_90 code (H100, H200) and zeroes the others' bytes, which then
compress to nothing: the wheel packs to about 71 MB with zstd, in pieces of ``--piece-mb``. The result runs
on sm_90 only.

    pip download --no-deps --only-binary=:all: --python-version 3.12 --platform manylinux_2_28_x86_64 \\
        -d /tmp/wheel onnxruntime-gpu==1.31.1
    python benchmarks/pack_onnxruntime_gpu.py /tmp/wheel/onnxruntime_gpu-*.whl .ort   # .ort in .git/info/exclude

Then one device call per piece, each copying it to /tmp (``carry: [".ort/ort-part-00"]``; the machine stays
warm 30 s after a call), the last with ``.ort/bin`` (a zstd binary, which the machine lacks) and
``bash benchmarks/gpu_check.sh``.
"""

from __future__ import annotations

import argparse
import shutil
import struct
import subprocess
import tempfile
import zipfile
from pathlib import Path

FATBIN_MAGIC = struct.pack("<I", 0xBA55ED50)
KEEP_ARCH = 90
ELF = 2


def zero_other_architectures(data: bytearray) -> int:
    """Zero the payload of every fatbin ELF entry not built for sm_90; returns the bytes zeroed."""
    zeroed, position = 0, 0
    while (position := data.find(FATBIN_MAGIC, position)) >= 0:
        _, version, header_size, size = struct.unpack_from("<IHHQ", data, position)
        if version != 1 or header_size != 16:
            position += 4
            continue
        entry, end = position + header_size, position + header_size + size
        while entry < end:
            kind, _, entry_header, payload = struct.unpack_from("<HHIQ", data, entry)
            arch = struct.unpack_from("<I", data, entry + 28)[0]
            if kind not in (1, ELF) or entry_header < 64 or entry + entry_header + payload > end:
                break  # not a fatbin after all: leave the rest as it is
            if kind == ELF and arch != KEEP_ARCH:
                data[entry + entry_header:entry + entry_header + payload] = bytes(payload)
                zeroed += payload
            entry += entry_header + payload
        position = end
    return zeroed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--piece-mb", type=float, default=36.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        zipfile.ZipFile(args.wheel).extractall(root)
        (root / "onnxruntime/capi/libonnxruntime_providers_tensorrt.so").unlink(missing_ok=True)
        provider = root / "onnxruntime/capi/libonnxruntime_providers_cuda.so"
        data = bytearray(provider.read_bytes())
        print(f"zeroed {zero_other_architectures(data) / 1e6:.0f} MB of kernels for other GPUs")
        provider.write_bytes(data)
        packed = root / "ort.tar.zst"
        subprocess.run(f"tar cf - onnxruntime *.dist-info | zstd -19 -T0 --long=27 -q -o {packed}", shell=True,
                       cwd=root, check=True)
        args.output.mkdir(parents=True, exist_ok=True)
        subprocess.run(["split", "-b", f"{int(args.piece_mb * 1e6)}", "-d", str(packed),
                        str(args.output / "ort-part-")], check=True)
        (args.output / "bin").mkdir(exist_ok=True)
        shutil.copy(shutil.which("zstd"), args.output / "bin" / "zstd")
    for piece in sorted(args.output.glob("ort-part-*")):
        print(piece, f"{piece.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
