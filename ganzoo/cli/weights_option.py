"""``--ema/--no-ema``, shared by sample, eval and export: which weights of a run to use."""

from __future__ import annotations

import click

ema_option = click.option(
    "--ema/--no-ema", "ema", default=True, show_default=True,
    help="For a run trained with --ema: use the moving average of the generator's weights, or the trained "
         "weights (--no-ema). Other sources are unaffected.")
