"""Does a training variant change quality? FID after the same number of steps, against the base's seed spread.

Trains the default DCGAN (or ``--recipe``) on the embedded MNIST subset for
``--steps`` steps as it is (the base) and in ``--variant`` (a faster
precision, XLA, or DiffAugment: ``augment:translation,cutout``, or
``augment:none`` to take a recipe's away) with each of ``--seeds``, and scores
every run's generator with ganzoo's FID (5,000 images against the subset, as
``ganzoo eval`` does). A variant passes when its median FID is no worse than
the base's worst seed: within the spread that the seed alone causes.

    python benchmarks/precision_quality.py [--steps 1560] [--seeds 0,1,2] [--variant mixed_bfloat16]
    python benchmarks/precision_quality.py --recipe cdcgan-mnist-augment --variant augment:none [--variant-only]

``--variant-only`` trains the variant alone, for a base whose seeds are measured
already (a shelf entry's card holds its recipe's seed spread).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from ganzoo.tf_support.imports import import_tensorflow

import_tensorflow()

from ganzoo.datasets import as_arrays, open_dataset  # noqa: E402
from ganzoo.cli.generator_source import open_generator  # noqa: E402
from ganzoo.metrics.evaluate import Evaluator  # noqa: E402
from ganzoo.recipes import load_recipe  # noqa: E402
from ganzoo.training.trainer import TrainRequest, prepare, train  # noqa: E402
from ganzoo_runtime.sampling import balanced_images  # noqa: E402
from variants import variant_options  # noqa: E402

SAMPLES, EVAL_SEED = 5000, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", help="train this recipe (default: the default DCGAN)")
    parser.add_argument("--steps", type=int, help="training steps of every run (default: the recipe's; 1560)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--variant", default="mixed_bfloat16",
                        help="a precision, 'jit', PRECISION+jit, augment:POLICIES or augment:none")
    parser.add_argument("--variant-only", action="store_true", help="do not train the base")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    recipe = load_recipe(args.recipe) if args.recipe else None
    steps = args.steps or (None if recipe else 1560)
    reference = as_arrays(open_dataset("mnist-5k")).images
    evaluator = Evaluator(reference, "mnist-5k", EVAL_SEED)

    fids: dict[str, list[float]] = {"base": [], args.variant: []}
    contenders = [args.variant] if args.variant_only else list(fids)
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:  # alternate the contenders, as for speed
            for variant in contenders:
                given = {"dataset": "mnist-5k", "seed": seed, "steps": steps,
                         **(variant_options(variant) if variant != "base" else {})}
                request = TrainRequest(None if recipe else "dcgan", given, recipe=recipe,
                                       run_dir=Path(tmp) / f"{variant}-{seed}")
                result = train(prepare(request), verbose=0)
                generator = open_generator(result.run.path, "cpu")
                images = balanced_images(generator.generate, generator.info, SAMPLES, EVAL_SEED, 500)
                scores = evaluator.score(images)
                fids[variant].append(scores.fid)
                print(f"seed {seed} {variant}: {result.step} steps, FID {scores.fid:.2f}, KID {scores.kid:.2f}, "
                      f"precision {scores.precision:.3f}, recall {scores.recall:.3f}, "
                      f"classes >= 5 %: {sum(share >= 0.05 for share in scores.coverage)}", flush=True)

    base, other = fids["base"], fids[args.variant]
    print(f"{args.variant} FID: {', '.join(f'{f:.2f}' for f in other)} (median {statistics.median(other):.2f})")
    if args.variant_only:
        return
    print(f"base FID: {', '.join(f'{f:.2f}' for f in base)} (median {statistics.median(base):.2f}, "
          f"spread {min(base):.2f}-{max(base):.2f})")
    verdict = "within" if statistics.median(other) <= max(base) else "WORSE than"
    print(f"{args.variant} median FID is {verdict} the base's seed spread")


if __name__ == "__main__":
    main()
