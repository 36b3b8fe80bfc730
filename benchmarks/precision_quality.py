"""Does a training variant change quality? FID after the same number of steps, against float32's seed spread.

Trains the default DCGAN on the embedded MNIST subset for ``--steps`` steps in
float32 and in ``--variant`` (a faster precision, XLA, or DiffAugment:
``augment:translation,cutout``) with each of ``--seeds``, and scores every
run's generator with ganzoo's FID (5,000 images against the subset, as
``ganzoo eval`` does). A faster variant passes when its median FID is no worse
than float32's worst seed: within the spread that the seed alone causes.

    python benchmarks/precision_quality.py [--steps 1560] [--seeds 0,1,2] [--variant mixed_bfloat16]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from ganzoo.tf_import import import_tensorflow

import_tensorflow()

from ganzoo.datasets import as_arrays, open_dataset  # noqa: E402
from ganzoo.generator_source import open_generator  # noqa: E402
from ganzoo.metrics.evaluate import Evaluator  # noqa: E402
from ganzoo.training.trainer import TrainRequest, prepare, train  # noqa: E402
from ganzoo_runtime.sampling import balanced_images  # noqa: E402
from variants import variant_options  # noqa: E402

SAMPLES, EVAL_SEED = 5000, 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1560, help="training steps of every run (batch 64)")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--variant", default="mixed_bfloat16", help="a precision, 'jit', or PRECISION+jit")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    reference = as_arrays(open_dataset("mnist-5k")).images
    evaluator = Evaluator(reference, "mnist-5k", EVAL_SEED)

    fids: dict[str, list[float]] = {"float32": [], args.variant: []}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:  # alternate the contenders, as for speed
            for variant in fids:
                request = TrainRequest("dcgan", {"dataset": "mnist-5k", "seed": seed, "steps": args.steps,
                                                 **variant_options(variant)}, run_dir=Path(tmp) / f"{variant}-{seed}")
                result = train(prepare(request), verbose=0)
                generator = open_generator(result.run.path, "cpu")
                images = balanced_images(generator.generate, generator.info, SAMPLES, EVAL_SEED, 500)
                fids[variant].append(evaluator.score(images).fid)
                print(f"seed {seed} {variant}: {result.step} steps, FID {fids[variant][-1]:.2f}", flush=True)

    base, other = fids["float32"], fids[args.variant]
    print(f"float32 FID: {', '.join(f'{f:.2f}' for f in base)} (median {statistics.median(base):.2f}, "
          f"spread {min(base):.2f}-{max(base):.2f})")
    print(f"{args.variant} FID: {', '.join(f'{f:.2f}' for f in other)} (median {statistics.median(other):.2f})")
    verdict = "within" if statistics.median(other) <= max(base) else "WORSE than"
    print(f"{args.variant} median FID is {verdict} float32's seed spread")


if __name__ == "__main__":
    main()
