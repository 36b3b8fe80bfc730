"""On a machine with an NVIDIA GPU: every shelf file in the sampler's CUDA form, against the plain session.

For each ``generator.onnx`` of the shelf (the core's entries and every plugin's, found by path: the machine
needs only ganzoo_runtime and onnxruntime-gpu), prints the form ganzoo_runtime.cuda chose for it (float16
where its check allows, else float32; CUDA graph or not), the largest difference of its images from the
portable graph on onnxruntime's CPU kernels, and images/s at batch 1 and 64, contenders alternating within
each round, medians over ``--rounds``:

* ``plain``: the portable file in an onnxruntime CUDA session, ``session.run`` with numpy arrays;
* ``sampler``: ``OnnxGenerator(path, "cuda").generate``, float32 images on the host.

Conditional files get every class in turn, style-based ones their default truncation.

    python benchmarks/gpu_shelf.py [--rounds 3] [--seconds 0.3] [--device cpu]   # cpu: to try it anywhere
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from ganzoo_runtime.check import check_feeds, cpu_outputs, largest_difference
from ganzoo_runtime.model import OnnxGenerator
from ganzoo_runtime.providers import create_session

REPO = Path(__file__).resolve().parents[1]
BATCHES = (1, 64)


def shelf_files() -> list[Path]:
    return sorted([*REPO.glob("ganzoo/zoo/entries/*/generator.onnx"),
                   *REPO.glob("plugins/*/ganzoo_*/zoo_entries/*/generator.onnx")], key=lambda p: p.parent.name)


def images_per_s(run, feeds: dict, seconds: float) -> float:
    run(feeds)  # warm: a CUDA graph is captured on a batch size's first run
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        run(feeds)
        count += 1
    return count * len(next(iter(feeds.values()))) / (time.perf_counter() - started)


def report(path: Path, device: str, rounds: int, seconds: float) -> str:
    """One file's row: its form, its difference from the portable graph, and both contenders' speeds."""
    data = path.read_bytes()
    sampler = OnnxGenerator(path, device, cache=False)
    plain = create_session(data, device)
    names = [i.name for i in plain.get_inputs()]
    output = plain.get_outputs()[0].name
    info = sampler.info

    def run_sampler(feeds):
        return sampler.generate(feeds[names[0]], feeds.get(names[1]) if info.conditional else None)

    def run_plain(feeds):
        return plain.run([output], feeds)[0]

    expected = cpu_outputs(data, info, BATCHES)
    difference = largest_difference([run_sampler(check_feeds(info, b, names)) for b in BATCHES], expected)
    cells = []
    for batch in BATCHES:
        feeds = check_feeds(info, batch, names)
        speeds = {"plain": [], "sampler": []}
        for _ in range(rounds):  # alternating, so that the machine's drift reaches both
            speeds["plain"].append(images_per_s(run_plain, feeds, seconds))
            speeds["sampler"].append(images_per_s(run_sampler, feeds, seconds))
        plain_speed, sampler_speed = (statistics.median(speeds[name]) for name in ("plain", "sampler"))
        cells.append(f"{plain_speed:10.0f} {sampler_speed:11.0f} {sampler_speed / plain_speed:5.2f}x")
    return f"{path.parent.name:28} {sampler.form:22} {difference:9.2g} " + " ".join(cells)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=0.3)
    parser.add_argument("--device", default="cuda", choices=("cuda", "cpu"))
    args = parser.parse_args()
    print(f"{'entry':28} {'form':22} {'max diff':>9} " + " ".join(
        f"{'plain b' + str(b):>10} {'sampler b' + str(b):>11} {'ratio':>6}" for b in BATCHES))
    for path in shelf_files():
        print(report(path, args.device, args.rounds, args.seconds), flush=True)


if __name__ == "__main__":
    main()
