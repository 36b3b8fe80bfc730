"""Images/s of ganzoo's shared training loop against the tutorial's plain tf.function loop.

Both train the default plugin's DCGAN on the embedded MNIST subset with the
same batch size and optimizers. ganzoo's per-epoch wall time includes
everything ``ganzoo train`` does at the end of an epoch (sample grid,
metrics CSV, TensorBoard, checkpoint). The two contenders alternate in
rounds, because this machine is shared and noisy; the first epoch of every
round (tracing, and for ganzoo rebuilding and restoring from its checkpoint)
is not counted. Prints the medians and their ratio (goal: >= 0.95).

    python benchmarks/train_throughput.py [--batch-size 256] [--rounds 3] [--epochs-per-round 4]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ganzoo.tf_import import import_tensorflow

tf = import_tensorflow()
import keras

from ganzoo import discovery
from ganzoo.datasets import open_dataset
from ganzoo.training.pipeline import steps_per_epoch
from ganzoo.training.trainer import TrainRequest, prepare, train


class EpochWallTime(keras.callbacks.Callback):
    """Wall time from the end of one epoch (after all of ganzoo's writes) to the end of the next."""

    def __init__(self):
        super().__init__()
        self.times: list[float] = []
        self.last = None

    def on_train_begin(self, logs=None):
        self.last = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        self.times.append(now - self.last)
        self.last = now


def tutorial_loop(images, batch_size, latent_dim, lr, beta_1):
    """TensorFlow's DCGAN tutorial loop, with the same models and optimizers as ganzoo's run."""
    spec = open_dataset("mnist-5k").info.spec
    generator = discovery.load("ganzoo.generators", "dcgan")(spec, latent_dim=latent_dim)
    discriminator = discovery.load("ganzoo.discriminators", "dcgan")(spec)
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = keras.optimizers.Adam(lr, beta_1=beta_1), keras.optimizers.Adam(lr, beta_1=beta_1)
    dataset = (tf.data.Dataset.from_tensor_slices(images.astype("float32") / 127.5 - 1)
               .shuffle(len(images)).batch(batch_size, drop_remainder=True))

    @tf.function
    def train_step(batch):
        noise = tf.random.normal([batch_size, latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = generator(noise, training=True)
            real_output = discriminator(batch, training=True)
            fake_output = discriminator(generated, training=True)
            gen_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            disc_loss = (cross_entropy(tf.ones_like(real_output), real_output)
                         + cross_entropy(tf.zeros_like(fake_output), fake_output))
        g_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
        d_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))

    def run_epochs(n):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            for batch in dataset:
                train_step(batch)
            times.append(time.perf_counter() - start)
        return times

    return run_epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs-per-round", type=int, default=4)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        run_dir = Path(tmp) / "run"
        request = TrainRequest("dcgan", "mnist-5k", options={"batch_size": args.batch_size,
                                                             "epochs": args.epochs_per_round}, run_dir=run_dir)
        config, run, data = prepare(request)
        images = data.images
        images_per_epoch = steps_per_epoch(len(images), args.batch_size) * args.batch_size
        baseline = tutorial_loop(images, args.batch_size, config.latent_dim, config.lr, config.beta_1)

        baseline_times, ganzoo_times = [], []
        for round_ in range(args.rounds):
            baseline_times += baseline(args.epochs_per_round)[1:]
            timer = EpochWallTime()
            if round_:
                config, run, data = prepare(TrainRequest(None, None, run_dir=run_dir, resume=True, options={
                    "epochs": (round_ + 1) * args.epochs_per_round}))
            train(config, run, data, verbose=0, extra_callbacks=[timer])
            ganzoo_times += timer.times[1:]
            print(f"round {round_ + 1}: tutorial loop {images_per_epoch / statistics.median(baseline_times):.0f} "
                  f"images/s, ganzoo train {images_per_epoch / statistics.median(ganzoo_times):.0f} images/s "
                  "(medians so far)", flush=True)

    base = images_per_epoch / statistics.median(baseline_times)
    ours = images_per_epoch / statistics.median(ganzoo_times)
    print(f"batch {args.batch_size}, {len(baseline_times)} + {len(ganzoo_times)} epochs measured")
    print(f"tutorial tf.function loop: {base:.0f} images/s (median)")
    print(f"ganzoo train (grid, CSV, TensorBoard, checkpoint every epoch): {ours:.0f} images/s (median)")
    print(f"ratio ganzoo / tutorial: {ours / base:.3f} (goal >= 0.95)")


if __name__ == "__main__":
    main()
