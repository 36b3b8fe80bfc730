"""``ganzoo sample (RUN | MODEL.onnx)``: images from a trained generator.

An ``.onnx`` file is sampled by the TensorFlow-free runtime; a run directory
by its Keras generator. Both draw the same latents for the same seed.
"""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo_runtime.cli import DEFAULT_OUTPUT
from ganzoo_runtime.providers import DEVICES

from ganzoo.cli.weights_option import cache_option, ema_option
from ganzoo.settings.types import FiniteFloatRange


@click.command("sample")
@click.argument("source", type=click.Path(path_type=Path), metavar="(RUN | MODEL.onnx | zoo:NAME)")
@click.option("-n", type=click.IntRange(min=1), default=64, show_default=True, help="Number of images.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Latent seed.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
              help="Images per run of the model.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=DEFAULT_OUTPUT, show_default=True,
              help=".png grid, .npy array (as the generator emits it), .gif interpolation, or a folder of PNGs.")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
              help="auto: TensorRT, then CUDA, then CPU, whichever really loads (.onnx); a GPU if present (runs).")
@click.option("--label", type=click.IntRange(min=0), help="Class label, for conditional generators.")
@click.option("--truncation", type=FiniteFloatRange(0, 1), metavar="PSI",
              help="Truncation trick, for generators that take it (stylegan): 1 = none, 0 = the average image.")
@ema_option
@cache_option
def sample_command(source, n, seed, batch_size, output, device, label, truncation, ema, cache) -> None:
    """Draw images from a run directory or an exported .onnx file."""
    from ganzoo.cli.generator_source import open_generator
    from ganzoo_runtime.progress import ProgressLine
    from ganzoo_runtime.sampling import sample_to_path

    generator = open_generator(source, device, ema, cache, truncation)
    what = sample_to_path(generator.generate, generator.info, output, n=n, seed=seed, batch_size=batch_size,
                          label=label, on_progress=ProgressLine(n), pixels=generator.pixels)
    psi = "" if truncation is None else f", truncation {truncation:g}"
    click.echo(f"wrote {what} to {output} ({generator.description}{psi})", err=True)
