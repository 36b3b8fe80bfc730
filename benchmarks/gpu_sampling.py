"""On a machine with an NVIDIA GPU: which execution provider the TensorFlow-free sampler really gets, and its
images/s on CUDA (and TensorRT, where it loads) against the CPU, for each exported file given (say the
default fp32 file and an fp16 one). On the CPU the sampler runs its verified CPU form (ganzoo_runtime.cpu).

Needs only ganzoo_runtime (``pip install ./export`` with onnxruntime-gpu and its CUDA 13 / cuDNN 9 wheels).
Where torch imports, the PyTorch contender joins (benchmarks/torch_contender.py: the file's own network and
weights as a torch module; on CUDA in float16, channels_last, in a CUDA graph, images copied to the host as
float32), is checked against onnxruntime's CPU output, and every onnxruntime device gets a ratio against it.
Each contender runs ``--seconds`` per round at batch 1, 64 and 256; contenders alternate within each round and
medians over ``--rounds`` are printed. Outputs on the GPU are compared with the CPU's on the same latents.

    python benchmarks/gpu_sampling.py FP32.onnx FP16.onnx [--rounds 3] [--seconds 1.0]
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import onnxruntime as ort
from ganzoo_runtime.errors import UserError
from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.model import OnnxGenerator
from ganzoo_runtime.providers import nvidia_gpu_count

BATCHES = (1, 64, 256)


def images_per_second(generator: OnnxGenerator, z: np.ndarray, seconds: float) -> float:
    generator.generate(z)  # warm-up (TensorRT builds its engine for this shape here)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        generator.generate(z)
        count += 1
    return count * len(z) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=1.0)
    args = parser.parse_args()
    print(f"onnxruntime {ort.__version__}, built with {ort.get_available_providers()}; "
          f"NVIDIA GPUs seen by the driver: {nvidia_gpu_count()}", flush=True)

    contenders = {}
    for path in args.models:
        for device in ("auto", "tensorrt", "cuda", "cpu"):
            started = time.perf_counter()
            try:
                generator = OnnxGenerator(path, device)
            except UserError as error:
                print(f"{path} --device {device}: error: {error}", flush=True)
                continue
            print(f"{path} --device {device}: runs on {generator.device} "
                  f"(session providers {generator.session.get_providers()}; "
                  f"{time.perf_counter() - started:.1f} s to load)", flush=True)
            if device != "auto":
                contenders[(path, generator.device)] = generator

    for path in args.models:
        contender = _torch_contender(path)
        if contender is not None:
            contenders[(path, contender.device)] = contender

    latent_dim = next(g.info.latent_dim for g in contenders.values() if hasattr(g, "info"))
    z = {batch: latent_vectors(0, batch, latent_dim) for batch in BATCHES}
    for (path, device), generator in contenders.items():
        if device != "cpu" and (path, "cpu") in contenders:
            difference = np.abs(generator.generate(z[64]).astype(np.float32)
                                - contenders[(path, "cpu")].generate(z[64]).astype(np.float32)).max()
            print(f"{path} {device} vs cpu at batch 64: largest difference {difference:.2g}", flush=True)

    rates: dict = {key: {batch: [] for batch in BATCHES} for key in contenders}
    for round_ in range(args.rounds):
        for batch in BATCHES:
            for key, generator in contenders.items():
                rates[key][batch].append(images_per_second(generator, z[batch], args.seconds))
        print(f"round {round_ + 1} done", flush=True)

    print("\nimages/s (median of rounds); ratio against the CPU session of the same file")
    print(f"{'model':32} {'device':9}" + "".join(f"{'batch ' + str(b):>14}" for b in BATCHES))
    for (path, device), by_batch in rates.items():
        cpu = rates.get((path, "cpu"))
        cells = []
        for batch in BATCHES:
            value = statistics.median(by_batch[batch])
            ratio = f" ({value / statistics.median(cpu[batch]):.1f}x)" if cpu and device != "cpu" else ""
            cells.append(f"{value:>8.0f}{ratio:>6}")
        print(f"{path.rsplit('/', 1)[-1]:32} {device:9}" + "".join(f"{c:>14}" for c in cells))
    _print_against_torch(rates)


def _torch_contender(path: str):
    """The PyTorch contender for ``path``, or None (with the reason printed) where torch is missing or the file
    has an operator it does not cover."""
    try:
        from torch_contender import TorchSampler
    except ImportError as error:
        print(f"no PyTorch contender: {error}", flush=True)
        return None
    try:
        return TorchSampler(path)
    except ValueError as error:
        print(f"{path}: no PyTorch contender: {error}", flush=True)
        return None


def _print_against_torch(rates: dict) -> None:
    """Each onnxruntime device's median images/s over the PyTorch contender's on the same file."""
    lines = []
    for (path, device), by_batch in rates.items():
        torch_rates = next((r for (p, d), r in rates.items() if p == path and d.startswith("torch")), None)
        if torch_rates is None or device.startswith("torch"):
            continue
        cells = [f"{statistics.median(by_batch[b]) / statistics.median(torch_rates[b]):.2f}x" for b in BATCHES]
        lines.append(f"{path.rsplit('/', 1)[-1]:32} {device:9}" + "".join(f"{c:>14}" for c in cells))
    if lines:
        print("\nonnxruntime against the PyTorch contender (images/s ratio, medians; goal: >= 1.0 at 64 and 256, "
              ">= 0.8 at 1)")
        print("\n".join(lines))


if __name__ == "__main__":
    main()
