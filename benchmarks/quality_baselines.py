"""What `ganzoo eval` gives for the two things a trained generator must beat: noise, and its untrained self.

    python benchmarks/quality_baselines.py [--dataset mnist] [-n 5000] [--seed 0]

Prints the metrics of (a) uniform noise images and (b) the default dcgan
generator as initialised with the seed, before any training, against the
dataset, with the real-vs-real floor: the reference rows of docs/results.md.
"""

from __future__ import annotations

import argparse

import numpy as np

from ganzoo.cli.eval_command import format_table
from ganzoo.datasets import as_arrays, open_dataset
from ganzoo.metrics.evaluate import Evaluator
from ganzoo.tf_support.imports import import_tensorflow
from ganzoo_runtime.images import to_uint8
from ganzoo_runtime.latents import latent_vectors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist")
    parser.add_argument("-n", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    reference = as_arrays(open_dataset(args.dataset))
    evaluator = Evaluator(reference.images, args.dataset, args.seed)
    noise = np.random.default_rng(args.seed).integers(0, 256, (args.n, 28, 28, 1), dtype=np.uint8)
    print("uniform noise")
    print(format_table(evaluator.report(noise)))

    import_tensorflow()
    import keras

    from ganzoo.plugins import discovery
    keras.utils.set_random_seed(args.seed)
    generator = discovery.load("ganzoo.architectures", "dcgan").generator(reference.info.spec, latent_dim=100)
    images = generator.predict(latent_vectors(args.seed, args.n, 100), batch_size=500, verbose=0)
    print("\nuntrained dcgan generator (seed %d)" % args.seed)
    print(format_table(evaluator.report(to_uint8(images))))


if __name__ == "__main__":
    main()
