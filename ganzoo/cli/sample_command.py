"""``ganzoo sample (RUN | MODEL.onnx)``: images from a trained generator.

An ``.onnx`` file is sampled by the TensorFlow-free runtime; a run directory
by its Keras generator. Both draw the same latents for the same seed.
"""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo.errors import UserError
from ganzoo_runtime.cli import DEFAULT_OUTPUT
from ganzoo_runtime.providers import DEVICES


@click.command("sample")
@click.argument("source", type=click.Path(path_type=Path), metavar="(RUN | MODEL.onnx)")
@click.option("-n", type=click.IntRange(min=1), default=64, show_default=True, help="Number of images.")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True, help="Latent seed.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
              help="Images per run of the model.")
@click.option("--output", "-o", type=click.Path(path_type=Path), default=DEFAULT_OUTPUT, show_default=True,
              help=".png grid, .npy array (as the generator emits it), .gif interpolation, or a folder of PNGs.")
@click.option("--device", type=click.Choice(DEVICES), default="auto", show_default=True,
              help="auto: TensorRT, then CUDA, then CPU, whichever really loads (.onnx); a GPU if present (runs).")
@click.option("--label", type=click.IntRange(min=0), help="Class label, for conditional generators.")
def sample_command(source, n, seed, batch_size, output, device, label) -> None:
    """Draw images from a run directory or an exported .onnx file."""
    if source.suffix.lower() == ".onnx" or source.is_file():
        from ganzoo_runtime.cli import sample_onnx
        report = sample_onnx(str(source), str(output), n=n, seed=seed, batch_size=batch_size, device=device,
                             label=label)
    elif (source / "config.json").is_file():
        report = _sample_run(source, output, n, seed, batch_size, device, label)
    else:
        raise UserError(f"{source} is neither a run directory (with config.json) nor an .onnx file")
    click.echo(report, err=True)


def _sample_run(source: Path, output: Path, n: int, seed: int, batch_size: int, device: str, label) -> str:
    from ganzoo.tf_import import import_tensorflow
    tf = import_tensorflow()
    if device == "tensorrt":
        raise UserError("--device tensorrt applies to .onnx files; export the run first (ganzoo export)")
    gpus = tf.config.list_physical_devices("GPU")
    if device == "cuda" and not gpus:
        raise UserError("--device cuda: TensorFlow sees no GPU on this machine")
    from ganzoo.training.restore import load_trained_generator
    from ganzoo_runtime.metadata import GeneratorInfo
    from ganzoo_runtime.sampling import sample_to_path

    trained = load_trained_generator(source)
    spec = trained.config.image_spec
    conditional = len(trained.generator.inputs) == 2
    info = GeneratorInfo(latent_dim=trained.config.latent_dim, image_shape=spec.shape,
                         num_classes=(spec.num_classes or 0) if conditional else 0)
    if label is not None and not conditional:
        raise UserError(f"the generator of {source} is not conditional: it takes no --label")

    def generate(z, labels):
        inputs = z if labels is None else [z, labels]
        return trained.generator(inputs, training=False).numpy()

    with tf.device("/CPU:0" if device == "cpu" or not gpus else "/GPU:0"):
        what = sample_to_path(generate, info, output, n=n, seed=seed, batch_size=batch_size, label=label)
    return f"wrote {what} to {output} (Keras, step {trained.step}, {'GPU' if gpus and device != 'cpu' else 'CPU'})"
