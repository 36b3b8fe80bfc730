"""On a machine with an NVIDIA GPU: the sampler's CUDA form against a plain onnxruntime session and PyTorch.

For each exported (unconditional) file given, contenders alternate within each round, at batch 1, 64, 256
and 1024, images on the host (numpy in, numpy out), and medians over ``--rounds`` are printed:

* ``ort plain``: the portable file in an onnxruntime CUDA session, ``session.run`` with numpy arrays (what
  the sampler did before ganzoo_runtime.cuda, and what calling onnxruntime directly gives);
* ``sampler``: ``OnnxGenerator(path, "cuda").generate`` (ganzoo_runtime.cuda: float16, bound buffers, CUDA
  graphs, channels-last convolutions), float32 images; ``sampler pixels``: its ``pixels``, uint8 made on
  the GPU;
* ``sampler -fp16``, ``-graph``, ``-nhwc``: the sampler with one switch off, to show what each pays;
* ``torch`` and ``torch pixels``, where torch imports (benchmarks/torch_contender.py): the file's network and
  weights as a torch module in float16, channels_last, in a CUDA graph, images copied to the host as float32
  (or as uint8 pixels made on the GPU), the way a PyTorch user samples a generator.

Every contender's output is compared with the portable graph on onnxruntime's CPU kernels. Needs only
ganzoo_runtime with onnxruntime-gpu (and torch for the yardstick).

    python benchmarks/gpu_sampling.py FILE.onnx [--rounds 3] [--seconds 0.5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from ganzoo_runtime.cuda.settings import CudaSettings
from ganzoo_runtime.errors import UserError
from ganzoo_runtime.images import to_display
from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.model import OnnxGenerator
from ganzoo_runtime.providers import create_session, nvidia_gpu_count

BATCHES = (1, 64, 256, 1024)
SWITCHES = {"-fp16": CudaSettings(float16=False), "-graph": CudaSettings(cuda_graph=False),
            "-nhwc": CudaSettings(nhwc=False)}


def images_per_second(run, z: np.ndarray, seconds: float) -> float:
    run(z)  # warm-up: a new batch size is searched for its convolution algorithms and captured here
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        run(z)
        count += 1
    return count * len(z) / (time.perf_counter() - start)


def contenders_for(path: str) -> dict[str, tuple]:
    """label -> (run(z) -> host array, makes pixels?)"""
    found = {}
    plain = create_session(Path(path).read_bytes(), "cuda")
    name = plain.get_inputs()[0].name
    found["ort plain"] = (lambda z: plain.run(None, {name: z})[0], False)
    for label, settings in {"sampler": CudaSettings(), **{f"sampler {k}": v for k, v in SWITCHES.items()}}.items():
        started = time.perf_counter()
        try:
            generator = OnnxGenerator(path, "cuda", cuda=settings)
        except UserError as error:
            print(f"{label}: {error}", flush=True)
            continue
        print(f"{label}: {generator.description}, {time.perf_counter() - started:.1f} s to load", flush=True)
        found[label] = (generator.generate, False)
        if label == "sampler":
            found["sampler pixels"] = (generator.pixels, True)
    try:
        sys.path.insert(0, str(Path(__file__).parent))
        from torch_contender import TorchSampler
    except ImportError as error:
        print(f"no PyTorch contender: {error}", flush=True)
        return found
    try:
        found["torch"] = (TorchSampler(path).generate, False)
        found["torch pixels"] = (TorchSampler(path, pixels=True).generate, True)
    except Exception as error:  # noqa: BLE001 - the yardstick failing must not cost the rest of the run
        print(f"no PyTorch contender: {type(error).__name__}: {error}", flush=True)
    return found


def check_parity(path: str, contenders: dict, z: np.ndarray) -> None:
    """Each contender's largest difference from the CPU; one that fails to run is dropped, with its error."""
    session = create_session(Path(path).read_bytes(), "cpu")
    reference = session.run(None, {session.get_inputs()[0].name: z})[0]
    pixels = to_display(reference, OnnxGenerator(path, "cpu", cache=False).info).astype(int)
    for label, (run, makes_pixels) in list(contenders.items()):
        try:
            got = run(z)
        except Exception as error:  # noqa: BLE001 - report it and measure the others
            print(f"{label}: fails to run: {type(error).__name__}: {error}", flush=True)
            del contenders[label]
            continue
        if makes_pixels:
            print(f"{label:18} vs the CPU at batch {len(z)}: largest difference "
                  f"{np.abs(got.astype(int) - pixels).max()} gray levels", flush=True)
        else:
            print(f"{label:18} vs the CPU at batch {len(z)}: largest difference "
                  f"{np.abs(got.astype(np.float64) - reference).max():.2g}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    print(f"onnxruntime {ort.__version__}, built with {ort.get_available_providers()}; "
          f"NVIDIA GPUs seen by the driver: {nvidia_gpu_count()}", flush=True)
    for path in args.models:
        try:
            contenders = contenders_for(path)
        except UserError as error:
            print(f"{path}: {error}", flush=True)
            continue
        latent_dim = OnnxGenerator(path, "cpu", cache=False).info.latent_dim
        z = {batch: latent_vectors(0, batch, latent_dim) for batch in BATCHES}
        check_parity(path, contenders, z[64])
        rates = {label: {batch: [] for batch in BATCHES} for label in contenders}
        for round_ in range(args.rounds):
            for batch in BATCHES:
                for label, (run, _) in contenders.items():
                    rates[label][batch].append(images_per_second(run, z[batch], args.seconds))
            print(f"round {round_ + 1} done", flush=True)
        _print_rates(path, rates)


def _print_rates(path: str, rates: dict) -> None:
    medians = {label: {b: statistics.median(r) for b, r in by_batch.items()} for label, by_batch in rates.items()}
    print(f"\n{Path(path).name}: images/s, medians of rounds")
    print(f"{'':18}" + "".join(f"{'batch ' + str(b):>14}" for b in BATCHES))
    for label, by_batch in medians.items():
        print(f"{label:18}" + "".join(f"{by_batch[b]:>14,.0f}" for b in BATCHES))
    if "torch" not in medians:
        return
    print("\nagainst PyTorch (float against torch, pixels against torch pixels; goal: >= 1.0 at 64 and 256, "
          ">= 0.8 at 1)")
    for label, by_batch in medians.items():
        if label.startswith("torch"):
            continue
        yardstick = medians["torch pixels" if label.endswith("pixels") else "torch"]
        print(f"{label:18}" + "".join(f"{by_batch[b] / yardstick[b]:>13.2f}x" for b in BATCHES))


if __name__ == "__main__":
    main()
