"""``ganzoo list --check``: import and build each plugin, and say what is wrong with the broken ones."""

from __future__ import annotations

from ganzoo import discovery
from ganzoo.discovery import Plugin
from ganzoo.errors import UserError
from ganzoo.testing import SPECS

PROBE_SPEC = SPECS[0]  # the conformance kit's first spec: 28x28x1 with classes, so conditional models build too
PROBE_LATENT_DIM = 100


def check_plugin(plugin: Plugin) -> str | None:
    """``None`` if the plugin loads and keeps its contract, else a one-line description of the problem."""
    try:
        obj = discovery.load_plugin(plugin)
        if plugin.group in ("ganzoo.generators", "ganzoo.discriminators"):
            from ganzoo import models
            if plugin.group == "ganzoo.generators":
                models.build_generator(plugin, obj, PROBE_SPEC, PROBE_LATENT_DIM)
            else:
                models.build_discriminator(plugin, obj, PROBE_SPEC)
        elif plugin.group == "ganzoo.losses":
            from ganzoo import models
            models.check_loss(plugin, obj)
        elif not callable(obj):
            return f"TypeError: dataset entry is {type(obj).__name__}, not a factory"
    except UserError as error:
        cause = getattr(error, "error", None)
        return f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
    return None
