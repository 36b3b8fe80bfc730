"""``ganzoo train ARCH --dataset NAME``: train a generator/discriminator/loss combination.

Its setting options are generated from ganzoo.settings.SETTINGS, where each is declared once.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path

import click

from ganzoo.settings import SETTINGS, SPEED, Setting, describe


def _option(setting: Setting):
    names = [f"{setting.flag}/--no-{setting.flag[2:]}"] if setting.switch else [setting.flag]
    if setting.short:
        names.append(setting.short)
    extra = {"multiple": True} if setting.name == "hparams" else {}
    return click.option(*names, setting.name, type=None if setting.switch else setting.type, default=None,
                        metavar=setting.metavar, help=setting.help, **extra)


def setting_options(command):
    """Add one option per setting, in SETTINGS' order."""
    for setting in reversed(SETTINGS):
        command = _option(setting)(command)
    return command


@click.command("train")
@click.argument("architecture", required=False, metavar="ARCH")
@setting_options
@click.option("--run-dir", type=click.Path(file_okay=False, path_type=Path),
              help="The run directory itself (default: runs/<arch>-<dataset>-<time>).")
@click.option("--resume", is_flag=True, help="Continue the run in --run-dir from its last checkpoint.")
@click.option("--recipe", metavar="NAME", help="Take every setting from a recipe (see `ganzoo recipes`) or from "
              "your own .toml file; options given here override it.")
def train_command(architecture, run_dir, resume, recipe, **given) -> None:
    """Train ARCH (an architecture, see `ganzoo list`) on a dataset.

    \b
    Examples:
      ganzoo train dcgan --dataset mnist
      ganzoo train dcgan --dataset folder:faces/ --image-size 64 --channels 3
      ganzoo train --resume --run-dir runs/dcgan-mnist-20261126-120000
    """
    from ganzoo.training.trainer import TrainingDiverged, TrainingInterrupted, TrainRequest, prepare, train

    given["hparams"] = dict(given["hparams"] or ())  # (NAME, VALUE) pairs; a later one wins
    loaded = None
    if recipe:
        from ganzoo.recipes import load_recipe
        loaded = load_recipe(recipe)
    request = TrainRequest(architecture, given, loaded, run_dir, resume)
    if not resume:
        request.names()  # a missing architecture or dataset is said before TensorFlow takes seconds to load
    from ganzoo.tf_support.imports import import_tensorflow
    import_tensorflow(start_runtime=False)  # plugins import Keras: do it quietly, once; the trainer picks devices
    plan = prepare(request)
    config, run, data = plan.config, plan.run, plan.dataset

    def announce() -> None:
        spec = data.info.spec
        click.echo(f"run directory: {run.path}", err=True)
        click.echo(f"data: {data.info.source or data.info.name}: {data.info.size} images "
                   f"{spec.height}x{spec.width}x{spec.channels}", err=True)
        values = dataclasses.asdict(config)
        trained = tuple(s.name for s in SETTINGS if s.name not in SPEED)
        click.echo(f"training {config.generator}/{config.discriminator}: {describe(values, trained)}", err=True)
        if config.hparams:
            click.echo("hyperparameters: " + ", ".join(f"{k}={v}" for k, v in sorted(config.hparams.items())),
                       err=True)
        click.echo(f"running with {describe(values, SPEED, defaults=True)}", err=True)
        if not _on_gpu(config):
            from ganzoo.training.precision import cpu_features, emulated_note
            note = emulated_note(config.precision, cpu_features())
            if note:
                click.echo(note, err=True)

    started = time.perf_counter()
    try:
        result = train(plan, verbose=1 if sys.stdout.isatty() else 2, on_start=announce)
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


def _on_gpu(config) -> bool:
    """Whether the run's steps run on a GPU: one is visible and the devices named (if any) are not CPUs."""
    import tensorflow as tf
    devices = config.devices or ()
    return bool(tf.config.list_physical_devices("GPU")) and not (devices and all(d.lower().startswith("cpu")
                                                                                  for d in devices))
