"""Images/s of ganzoo's shared training loop against the tutorial's plain tf.function loop,
and of ganzoo's speed options against ganzoo in float32.

All contenders train the same architecture (the default plugin's DCGAN, or
``--architecture`` with ``-o NAME=VALUE`` hyperparameters) on the embedded
MNIST subset with the same batch size, optimizers, loss and R1 penalty; the
plain loop is the tutorial's, generalised to the architecture's loss, labels
and truncation input. ganzoo's per-epoch wall time
includes everything ``ganzoo train`` does at the end of an epoch (sample
grid, metrics CSV, TensorBoard, checkpoint). The contenders alternate in
rounds, because this machine is shared and noisy; the first epoch of every
round (tracing, XLA compilation, and for ganzoo rebuilding and restoring from
its checkpoint) is not counted. Prints the medians and the ratios (goals:
ganzoo float32 / tutorial >= 0.95; the best of --precision mixed_bfloat16,
--jit and both / ganzoo float32 >= 1.3), and the last epoch's losses of each
variant (they must be finite).

    python benchmarks/train_throughput.py [--batch-size 256] [--rounds 3] [--epochs-per-round 4]
                                          [--variants float32,mixed_bfloat16,jit,mixed_bfloat16+jit]
                                          [--architecture sngan -o width=32]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from ganzoo.tf_support.imports import import_tensorflow

tf = import_tensorflow()
import keras

from ganzoo.plugins import models
from ganzoo.plugins.generator_inputs import generator_inputs
from ganzoo.plugins.interfaces import LossContext
from ganzoo.training.pipeline import steps_per_epoch
from ganzoo.training.trainer import TrainRequest, prepare, train
from variants import variant_options


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
        self.logs = dict(logs or {})


def tutorial_loop(plan, images, labels, batch_size):
    """TensorFlow's DCGAN tutorial loop, with the same models, optimizers, loss and R1 penalty as ganzoo's run
    (``plan``): one forward pass, both networks updated from it, labels fed to a conditional pair."""
    config = plan.config
    generator, discriminator = models.build_models(plan.plugins.models, config.image_spec, config.latent_dim,
                                                   config.hparams)
    loss, seeds = plan.plugins.loss, keras.random.SeedGenerator(config.seed)
    adam = [keras.optimizers.Adam(config.lr, beta_1=config.beta_1, beta_2=config.beta_2) for _ in range(2)]
    g_opt, d_opt = adam
    pixels = images.astype("float32") / 127.5 - 1
    if pixels.ndim == 3:
        pixels = pixels[..., None]
    conditional = plan.conditional
    data = (pixels, labels.astype("int64")) if conditional else pixels
    dataset = tf.data.Dataset.from_tensor_slices(data).shuffle(len(images)).batch(batch_size, drop_remainder=True)

    def judge(x, y):
        return discriminator([x, y] if conditional else x, training=True)

    def real_logits_and_r1(batch, batch_labels):
        if not config.r1:
            return judge(batch, batch_labels), 0.0
        with tf.GradientTape() as tape:
            tape.watch(batch)
            real_output = judge(batch, batch_labels)
            total = tf.reduce_sum(real_output)
        gradients = tape.gradient(total, batch)
        return real_output, 0.5 * config.r1 * tf.reduce_mean(tf.reduce_sum(tf.square(gradients), axis=[1, 2, 3]))

    @tf.function
    def train_step(batch, batch_labels=None):
        noise = tf.random.normal([batch_size, config.latent_dim])
        with tf.GradientTape() as gen_tape, tf.GradientTape() as disc_tape:
            generated = generator(generator_inputs(generator, noise, batch_labels), training=True)
            real_output, penalty = real_logits_and_r1(batch, batch_labels)
            fake_output = judge(generated, batch_labels)
            ctx = LossContext(batch, generated, real_output, fake_output, discriminator, batch_labels, seeds)
            gen_loss, disc_loss = loss.generator_loss(ctx), loss.discriminator_loss(ctx) + penalty
        g_grads = gen_tape.gradient(gen_loss, generator.trainable_variables)
        d_grads = disc_tape.gradient(disc_loss, discriminator.trainable_variables)
        g_opt.apply_gradients(zip(g_grads, generator.trainable_variables))
        d_opt.apply_gradients(zip(d_grads, discriminator.trainable_variables))

    def run_epochs(n):
        times = []
        for _ in range(n):
            start = time.perf_counter()
            for batch in dataset:
                train_step(*batch) if conditional else train_step(batch)
            times.append(time.perf_counter() - start)
        return times

    return run_epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs-per-round", type=int, default=4)
    parser.add_argument("--variants", default="float32,mixed_bfloat16,jit,mixed_bfloat16+jit",
                        help="ganzoo variants, comma-separated: a precision, 'jit', or PRECISION+jit")
    parser.add_argument("--architecture", default="dcgan", help="any installed architecture (default dcgan)")
    parser.add_argument("-o", "--hparam", action="append", default=[], metavar="NAME=VALUE",
                        help="an architecture hyperparameter; repeat for more")
    args = parser.parse_args()
    hparams = dict(item.split("=", 1) for item in args.hparam)
    variants = args.variants.split(",")
    if variants[0] != "float32":
        parser.error("the first variant must be float32, the baseline of the ratios")

    with tempfile.TemporaryDirectory() as tmp:
        images = None
        times: dict[str, list[float]] = {"tutorial": [], **{v: [] for v in variants}}
        losses: dict[str, dict] = {}
        for round_ in range(args.rounds):
            for variant in variants:
                run_dir = Path(tmp) / variant
                epochs = (round_ + 1) * args.epochs_per_round
                if round_:
                    request = TrainRequest(given={"epochs": epochs}, run_dir=run_dir, resume=True)
                else:
                    request = TrainRequest(args.architecture, {"dataset": "mnist-5k", "batch_size": args.batch_size,
                                                               "epochs": epochs, "hparams": hparams,
                                                               **variant_options(variant)}, run_dir=run_dir)
                plan = prepare(request)
                timer = EpochWallTime()
                train(plan, verbose=0, extra_callbacks=[timer])
                times[variant] += timer.times[1:]
                losses[variant] = timer.logs
                if images is None:
                    images = plan.dataset.images
                    images_per_epoch = steps_per_epoch(len(images), args.batch_size) * args.batch_size
                    baseline = tutorial_loop(plan, images, plan.dataset.labels, args.batch_size)
            times["tutorial"] += baseline(args.epochs_per_round)[1:]
            print(f"round {round_ + 1}: " + ", ".join(
                f"{name} {images_per_epoch / statistics.median(t):.0f}" for name, t in times.items())
                  + " images/s (medians so far)", flush=True)

    rate = {name: images_per_epoch / statistics.median(t) for name, t in times.items()}
    print(f"{args.architecture} {hparams or ''}, batch {args.batch_size}, epochs measured: "
          + ", ".join(f"{k} {len(v)}" for k, v in times.items()))
    print(f"tutorial tf.function loop: {rate['tutorial']:.0f} images/s (median)")
    for variant in variants:
        logs = losses[variant]
        print(f"ganzoo train {variant}: {rate[variant]:.0f} images/s (median), last epoch's losses "
              f"d {logs['d_loss']:.3f} g {logs['g_loss']:.3f}")
    print(f"ratio ganzoo float32 / tutorial: {rate['float32'] / rate['tutorial']:.3f} (goal >= 0.95)")
    for variant in variants[1:]:
        print(f"ratio {variant} / float32: {rate[variant] / rate['float32']:.3f}")
    if len(variants) > 1:
        best = max(variants[1:], key=rate.get)
        print(f"best option: {best}, {rate[best] / rate['float32']:.3f} x float32 (goal >= 1.3)")


if __name__ == "__main__":
    main()
