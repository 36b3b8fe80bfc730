"""Images/s of sampling an exported generator with onnxruntime against Keras, in the same run.

Contenders, at batch 1, 64 and 256 (or --batches): Keras `predict`, a
`tf.function` of the generator, the sampler (``OnnxGenerator`` on the CPU, in
the CPU form it verifies and caches) on the default (portable) fp32 export and
on the fp16, uint8 and int8 variants, and a plain CPU InferenceSession on the
portable fp32 file itself ("ort portable fp32"). The generator is the default
DCGAN for 28x28x1 (latent 100), trained for one epoch on the embedded MNIST
(speed does not depend on the weights). Contenders alternate within each
round because the machine is shared and noisy; medians over the rounds are
reported, with ratios against the best Keras path. Also printed: the
sampler's first load of the default file (rewrite, check and cache write
included) and its second (a cache read), each the median of 5 loads.

    python benchmarks/sample_throughput.py [--rounds 5] [--seconds 1.0] [--batches 1,64,256]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


from ganzoo.tf_support.imports import import_tensorflow

tf = import_tensorflow()

from ganzoo.exporting.run_export import export_run  # noqa: E402
from ganzoo.exporting.onnx_export import OnnxOptions  # noqa: E402
from ganzoo.training.restore import load_trained_generator  # noqa: E402
from ganzoo.training.trainer import TrainRequest, prepare, train  # noqa: E402
from ganzoo_runtime.latents import latent_vectors  # noqa: E402
from ganzoo_runtime.model import OnnxGenerator  # noqa: E402
from ganzoo_runtime.providers import create_session  # noqa: E402


def images_per_second(call, batch: int, seconds: float) -> float:
    call()  # warm-up
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        call()
        count += 1
    return count * batch / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per contender per round")
    parser.add_argument("--batches", default="1,64,256", help="comma-separated batch sizes")
    args = parser.parse_args()
    batches = [int(b) for b in args.batches.split(",")]

    with tempfile.TemporaryDirectory() as tmp:
        plan = prepare(TrainRequest("dcgan", {"dataset": "mnist-5k", "epochs": 1}, run_dir=Path(tmp) / "run"))
        train(plan, verbose=0)
        trained = load_trained_generator(plan.run.path)
        runs = {}
        for name, options in (("sampler fp32", OnnxOptions()), ("sampler fp16", OnnxOptions(precision="fp16")),
                              ("sampler uint8", OnnxOptions(pixels="uint8")),
                              ("sampler int8", OnnxOptions(precision="int8"))):
            path = export_run(trained, Path(tmp) / f"{len(runs)}.onnx", options).path
            runs[name] = OnnxGenerator(path, "cpu", cache=False).session
            if name == "sampler fp32":
                runs["ort portable fp32"] = create_session(str(path), "cpu")
                first, second = _load_times(path, Path(tmp) / "cache")
        sessions = runs

    generator = trained.generator
    compiled = tf.function(lambda z: generator(z, training=False), jit_compile=False)
    results: dict[tuple[str, int], list[float]] = {}
    for batch in batches:
        z = latent_vectors(0, batch, trained.config.latent_dim)
        contenders = {
            "keras predict": lambda: generator.predict(z, batch_size=batch, verbose=0),
            "keras tf.function": lambda: compiled(z).numpy(),
            **{name: (lambda s=s: s.run(["images"], {"z": z})) for name, s in sessions.items()},
        }
        for _ in range(args.rounds):
            for name, call in contenders.items():
                results.setdefault((name, batch), []).append(images_per_second(call, batch, args.seconds))

    names = ["keras predict", "keras tf.function", *sessions]
    print(f"images/s, median of {args.rounds} alternating rounds ({args.seconds:g} s each), CPU")
    print(f"{'':20}" + "".join(f"{'batch ' + str(b):>14}" for b in batches))
    median = {key: statistics.median(values) for key, values in results.items()}
    for name in names:
        print(f"{name:20}" + "".join(f"{median[(name, b)]:>14.0f}" for b in batches))
    print("ratio to the best Keras path:")
    for name in sessions:
        ratios = [median[(name, b)] / max(median[("keras predict", b)], median[("keras tf.function", b)])
                  for b in batches]
        print(f"{name:20}" + "".join(f"{r:>14.2f}" for r in ratios))
    print("goal for the sampler on the default file: >= 3 at batch 1, >= 1.5 at batch 64")
    print(f"sampler load of the default file: first {first:.2f} s (rewrite, check, cache write), "
          f"second {second:.2f} s (cache read); goal: first <= 1 s")


def _load_times(path: Path, cache: Path) -> tuple[float, float]:
    """Median seconds of a first load (an empty cache) and of a second (the cache filled), 5 of each."""
    import os
    import shutil

    os.environ["GANZOO_CACHE_DIR"] = str(cache)
    first, second = [], []
    for _ in range(5):
        shutil.rmtree(cache, ignore_errors=True)
        for times in (first, second):
            start = time.perf_counter()
            OnnxGenerator(path, "cpu")
            times.append(time.perf_counter() - start)
    return statistics.median(first), statistics.median(second)


if __name__ == "__main__":
    main()
