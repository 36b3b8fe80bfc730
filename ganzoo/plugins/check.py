"""``ganzoo list --check``: import and build each plugin, and say what is wrong with the broken ones."""

from __future__ import annotations

from ganzoo.plugins import discovery
from ganzoo.plugins.discovery import Plugin
from ganzoo.errors import UserError
from ganzoo.testing import LATENT_DIM, SPECS

PROBE_SPEC = SPECS[0]  # the conformance kit's first spec: 28x28x1 with classes, so conditional models build too


def check_plugin(plugin: Plugin) -> str | None:
    """``None`` if the plugin loads and keeps its contract, else a one-line description of the problem."""
    from ganzoo.plugins import run_plugins
    try:
        obj = discovery.load_plugin(plugin)
        if plugin.group == "ganzoo.architectures":
            from ganzoo.plugins import models
            part = run_plugins.LoadedArchitecture(plugin, run_plugins.as_architecture(plugin, obj))
            models.build_models(run_plugins.ModelPlugins(part, part), PROBE_SPEC, LATENT_DIM, {})
        elif plugin.group == "ganzoo.losses":
            run_plugins.check_loss(plugin, obj)
        elif not callable(obj):
            return f"TypeError: dataset entry is {type(obj).__name__}, not a factory"
    except UserError as error:
        cause = getattr(error, "error", None)
        return f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
    return None
