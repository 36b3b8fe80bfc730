"""``ganzoo export [RUN] --format onnx``: the trained generator as a verified ONNX file (or a SavedModel)."""

from __future__ import annotations

from pathlib import Path

import click

from ganzoo.cli.weights_option import ema_option
from ganzoo.errors import UserError


@click.command("export")
@click.argument("run", required=False, type=click.Path(path_type=Path))
@click.option("--format", "format_", type=click.Choice(["onnx", "savedmodel"]), default="onnx", show_default=True,
              help="What to write.")
@click.option("--output", "-o", type=click.Path(path_type=Path),
              help="Where to write (default: inside the run directory).")
@click.option("--opset", type=click.IntRange(13, 18), default=18, show_default=True,
              help="ONNX opset of the conversion (an int8 file is raised to 19, for its quantization operators).")
@click.option("--precision", type=click.Choice(["fp32", "fp16", "int8"]), default="fp32", show_default=True,
              help="Weights and arithmetic in the graph (inputs and outputs stay as the contract says); int8 is "
                   "statically quantized, about 3x the fp32 file's speed on CPUs with VNNI (docs/export.md).")
@click.option("--layout", type=click.Choice(["nhwc", "nchw"]), default="nhwc", show_default=True,
              help="Layout of the `images` output.")
@click.option("--pixels", type=click.Choice(["float", "uint8"]), default="float", show_default=True,
              help="float in [-1, 1], or uint8 in [0, 255] (scaling, rounding and clipping baked into the graph).")
@ema_option
def export_command(run, format_, output, opset, precision, layout, pixels, ema) -> None:
    """Export the generator of RUN (default: the newest run under ./runs/).

    The ONNX file is portable (standard operators, no device-specific rewrite):
    the sampler makes it fast where it runs. It is checked with onnx.checker
    and compared with the Keras generator before it is written; on any failure
    nothing is written.
    """
    from ganzoo.training.run_directory import newest_run

    if run is None:
        run = newest_run()
        if run is None:
            raise UserError("no run to export: ./runs/ holds no run directory (give RUN, or train one first)")
    from ganzoo.tf_support.imports import import_tensorflow
    import_tensorflow()
    from ganzoo.exporting import ExportVerificationError
    from ganzoo.training.restore import load_trained_generator

    trained = load_trained_generator(run, ema)
    if trained.weights == "ema":
        click.echo("exporting the moving average of the generator's weights (--no-ema for the trained ones)", err=True)
    try:
        if format_ == "savedmodel":
            from ganzoo.exporting.savedmodel_export import export_savedmodel
            output = output or trained.run.path / "savedmodel"
            difference = export_savedmodel(trained, output)
            click.echo(f"wrote {output} (SavedModel, step {trained.step}; largest difference from Keras "
                       f"{difference:.2g})", err=True)
            return
        from ganzoo.exporting.onnx_export import OnnxOptions
        from ganzoo.exporting.run_export import export_run
        options = OnnxOptions(opset=opset, precision=precision, layout=layout, pixels=pixels)
        result = export_run(trained, output or trained.run.path / options.default_filename(), options)
    except ExportVerificationError as error:
        click.echo(f"error: export failed verification: {error}", err=True)
        raise click.exceptions.Exit(1)
    unit = " gray levels" if pixels == "uint8" else ""
    click.echo(f"wrote {result.path} (opset {result.opset}, {precision}, {layout}, {pixels} pixels, "
               f"step {trained.step}); "
               f"largest difference from Keras at batch 1 and 64: {result.max_difference:.2g}{unit} "
               f"(allowed {result.tolerance:g})", err=True)
