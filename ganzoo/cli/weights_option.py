"""Options shared by sample, eval and export: which weights of a run to use (``--ema/--no-ema``), and whether an
ONNX file's CPU form is cached (``--no-cache``)."""

from __future__ import annotations

import click

ema_option = click.option(
    "--ema/--no-ema", "ema", default=True, show_default=True,
    help="For a run trained with --ema: use the moving average of the generator's weights, or the trained "
         "weights (--no-ema). Other sources are unaffected.")

cache_option = click.option(
    "--cache/--no-cache", "cache", default=True, show_default=True,
    help="For an .onnx file on the CPU: read and write its rewritten, verified CPU form in the cache "
         "(GANZOO_CACHE_DIR, default ~/.cache/ganzoo).")
