"""``ganzoo train ARCH --dataset NAME``: train a generator/discriminator/loss combination."""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import click


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that also refuses nan and inf (``nan > 0`` is False, so a plain range lets it through)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{number} is not a finite number", param, ctx)
        return number


POSITIVE_INT = click.IntRange(min=1)
POSITIVE_FLOAT = FiniteFloatRange(min=0, min_open=True)
BETA = FiniteFloatRange(min=0, max=1, max_open=True)


@click.command("train")
@click.argument("architecture", required=False, metavar="ARCH")
@click.option("--dataset", "-d", metavar="NAME", help="mnist, mnist-5k, fashion-mnist, folder:PATH, npz:PATH, "
              "or any installed dataset plugin.")
@click.option("--epochs", type=POSITIVE_INT, help="Passes over the data (on --resume: may extend the run).")
@click.option("--batch-size", type=POSITIVE_INT, help="Images per step.")
@click.option("--lr", type=POSITIVE_FLOAT, help="Adam learning rate of both networks.")
@click.option("--beta-1", type=BETA, help="Adam beta_1 of both networks.")
@click.option("--beta-2", type=BETA, help="Adam beta_2 of both networks.")
@click.option("--latent-dim", type=POSITIVE_INT, help="Size of the latent vector z.")
@click.option("--loss", metavar="NAME", help="Loss plugin (default: the architecture's).")
@click.option("--generator", metavar="NAME", help="Generator plugin (default: ARCH).")
@click.option("--discriminator", metavar="NAME", help="Discriminator plugin (default: ARCH).")
@click.option("--image-size", type=POSITIVE_INT, help="folder: datasets: resize images to SIZE x SIZE.")
@click.option("--channels", type=click.Choice(["1", "3"]), help="folder: datasets: 1 (grayscale) or 3 (RGB).")
@click.option("--seed", type=click.IntRange(min=0), help="Random seed (default 0).")
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The run directory itself (default: runs/<arch>-<dataset>-<time>).")
@click.option("--resume", is_flag=True, help="Continue the run in --run-dir from its last checkpoint.")
@click.option("--recipe", metavar="NAME", help="Take every setting from a recipe (see `ganzoo recipes`) or from "
              "your own .toml file; options given here override it.")
@click.option("--r1", type=FiniteFloatRange(min=0), metavar="GAMMA",
              help="R1 penalty on the discriminator, GAMMA/2 * E||grad D(real)||^2, with any loss (default off).")
@click.option("--eval-every", type=POSITIVE_INT, metavar="N",
              help="Quality metrics (FID, KID, …) after epoch 1, every N epochs and the last; keeps the "
                   "checkpoint with the best FID as checkpoints/best.npz. 28x28x1 data only.")
@click.option("--strategy", type=click.Choice(["default", "mirrored", "multiworker"]),
              help="tf.distribute strategy: one device (default), every local GPU (mirrored), or several "
                   "machines configured by TF_CONFIG (multiworker). See docs/scaling.md.")
@click.option("--devices", metavar="LIST", help="mirrored: the devices to use, e.g. gpu:0,gpu:1 "
              "(cpu:0,cpu:1 splits the CPU into logical devices).")
@click.option("--precision", type=click.Choice(["float32", "mixed_float16", "mixed_bfloat16"]),
              help="Keras dtype policy of the models (default float32); variables, images and losses stay float32.")
@click.option("--jit/--no-jit", default=None, help="XLA-compile the training step (default off).")
@click.option("--ema", type=FiniteFloatRange(min=0, max=1, min_open=True, max_open=True), metavar="DECAY",
              help="Keep an exponential moving average of the generator's weights (e.g. 0.999); samples, export "
                   "and evaluation then use it unless given --no-ema.")
def train_command(architecture, dataset, epochs, batch_size, lr, beta_1, beta_2, latent_dim, loss, generator,
                  discriminator, image_size, channels, seed, run_dir, resume, recipe, r1, eval_every, strategy,
                  devices, precision, jit, ema) -> None:
    """Train ARCH (a generator and discriminator registered under that name) on a dataset.

    \b
    Examples:
      ganzoo train dcgan --dataset mnist
      ganzoo train dcgan --dataset folder:faces/ --image-size 64 --channels 3
      ganzoo train --resume --run-dir runs/dcgan-mnist-20261126-120000
    """
    from ganzoo.tf_import import import_tensorflow
    import_tensorflow(start_runtime=False)  # plugins import Keras: do it quietly, once; the trainer picks devices
    from ganzoo.training.trainer import TrainingDiverged, TrainingInterrupted, TrainRequest, prepare, train

    given = {"generator": generator, "discriminator": discriminator, "loss": loss, "dataset": dataset,
             "latent_dim": latent_dim, "batch_size": batch_size, "epochs": epochs, "lr": lr, "beta_1": beta_1,
             "beta_2": beta_2, "seed": seed, "image_size": image_size, "channels": channels,
             "r1": r1, "eval_every": eval_every, "strategy": strategy,
             "devices": tuple(d.strip() for d in devices.split(",") if d.strip()) if devices else None,
             "precision": precision, "jit": jit, "ema": ema}
    recipe_label = None
    if recipe:
        from ganzoo.recipes import load_recipe
        loaded = load_recipe(recipe)
        recipe_label = loaded.label
        given = {k: v if v is not None else loaded.train.get(k) for k, v in given.items()}
        architecture = architecture or loaded.train.get("generator")
    given["channels"] = int(given["channels"]) if given["channels"] else None
    request = TrainRequest(
        architecture=architecture, dataset=given["dataset"], generator=given["generator"],
        discriminator=given["discriminator"], loss=given["loss"],
        options={k: given[k] for k in ("latent_dim", "batch_size", "epochs", "lr", "beta_1", "beta_2", "seed")},
        image_size=given["image_size"], channels=given["channels"], run_dir=run_dir, resume=resume,
        eval_every=given["eval_every"], r1=given["r1"], recipe=recipe_label,
        **{k: given[k] for k in ("strategy", "devices", "precision", "jit", "ema")})
    config, run, data = prepare(request)

    def announce() -> None:
        spec = data.info.spec
        click.echo(f"run directory: {run.path}", err=True)
        click.echo(f"data: {data.info.source or data.info.name}: {data.info.size} images "
                   f"{spec.height}x{spec.width}x{spec.channels}", err=True)
        click.echo(f"training {config.generator}/{config.discriminator} with loss {config.loss}: "
                   f"{config.epochs} epochs, batch {config.batch_size}, Adam lr {config.lr:g} "
                   f"(beta_1 {config.beta_1:g}, beta_2 {config.beta_2:g}), latent {config.latent_dim}, "
                   f"seed {config.seed}" + (f", R1 {config.r1:g}" if config.r1 else ""), err=True)
        speed = [f"strategy {config.strategy}" + (f" on {','.join(config.devices)}" if config.devices else "")]
        speed += [config.precision] + (["XLA"] if config.jit else []) + ([f"EMA {config.ema:g}"] if config.ema else [])
        click.echo("running with " + ", ".join(speed), err=True)

    started = time.perf_counter()
    try:
        result = train(config, run, data, verbose=1 if sys.stdout.isatty() else 2, on_start=announce)
    except TrainingInterrupted as interrupted:
        saved = "checkpoint saved" if interrupted.saved else "stopped at once, the last checkpoint is kept"
        click.echo(f"interrupted at step {interrupted.result.step}; {saved}. Continue with: "
                   f"ganzoo train --resume --run-dir {run.path}", err=True)
        raise click.exceptions.Exit(130)
    except TrainingDiverged as diverged:
        click.echo(f"error: {diverged}", err=True)
        raise click.exceptions.Exit(1)
    minutes = (time.perf_counter() - started) / 60
    if result.worker:
        click.echo(f"worker {result.worker} done: {result.step} steps in {minutes:.1f} min; the chief (worker 0) "
                   f"wrote {run.path}", err=True)
        return
    click.echo(f"done: {result.epochs_done} epochs, {result.step} steps in {minutes:.1f} min; "
               f"samples in {run.samples}, generator in {run.generator}", err=True)
