"""Images/s of sampling an exported generator with onnxruntime against Keras, in the same run.

Contenders, at batch 1, 64 and 256 (or --batches): Keras `predict`, a
`tf.function` of the generator, and onnxruntime (a plain CPU InferenceSession
with default options) on the default fp32 export, on the fp16, uint8 and int8
variants, on an fp32 export without the Winograd form ("ort fp32 direct",
`--no-winograd`), and on a plain tf2onnx conversion without ganzoo's rewrites
of convolutions ("ort fp32 tf2onnx"). The generator
is the default DCGAN for 28x28x1 (latent 100), trained for one epoch on the
embedded MNIST (speed does not depend on the weights). Contenders alternate
within each round because the machine is shared and noisy; medians over the
rounds are reported, with ratios against the best Keras path.

    python benchmarks/sample_throughput.py [--rounds 5] [--seconds 1.0] [--batches 1,64,256]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path


from ganzoo.tf_import import import_tensorflow

tf = import_tensorflow()

from ganzoo.exporting.run_export import export_run  # noqa: E402
from ganzoo.exporting.onnx_export import OnnxOptions  # noqa: E402
from ganzoo.training.restore import load_trained_generator  # noqa: E402
from ganzoo.training.trainer import TrainRequest, prepare, train  # noqa: E402
from ganzoo_runtime.latents import latent_vectors  # noqa: E402
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
        sessions = {}
        for name, options, subpixel in (
                ("onnxruntime fp32", OnnxOptions(), True),
                ("onnxruntime fp16", OnnxOptions(precision="fp16"), True),
                ("onnxruntime uint8", OnnxOptions(pixels="uint8"), True),
                ("onnxruntime int8", OnnxOptions(precision="int8"), True),
                ("ort fp32 direct", OnnxOptions(winograd=False), True),
                ("ort fp32 tf2onnx", OnnxOptions(winograd=False), False)):
            path = export_run(trained, Path(tmp) / f"{len(sessions)}.onnx", options, subpixel=subpixel).path
            sessions[name] = create_session(str(path), "cpu")

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
    print("goal for onnxruntime fp32: >= 3 at batch 1, >= 1.2 at batch >= 64")


if __name__ == "__main__":
    main()
