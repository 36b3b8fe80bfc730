"""``ganzoo list --check``: import each plugin, run the conformance kit's fast checks on it (no training), and
say what is wrong with the broken ones."""

from __future__ import annotations

from ganzoo.errors import UserError
from ganzoo.plugins import discovery
from ganzoo.plugins.discovery import Plugin
from ganzoo.testing import SPECS, ConformanceError, check_loss_values, check_outputs

PROBE_SPEC = SPECS[0]  # the conformance kit's first spec: 28x28x1 with classes, so conditional models build too


def check_plugin(plugin: Plugin) -> str | None:
    """``None`` if the plugin loads and passes the kit's fast checks, else a one-line description of the problem:
    an architecture's models build for the probe spec and its generator's images are in [-1, 1], reach below
    0 and depend on the label (and psi); a loss gives two scalars that depend on the logits. The kit's slower
    checks (a training step, a checkpoint, ONNX export) run only in ``ganzoo.testing``."""
    from ganzoo.plugins import run_plugins
    try:
        obj = discovery.load_plugin(plugin)
        if plugin.group == "ganzoo.architectures":
            part = run_plugins.LoadedArchitecture(plugin, run_plugins.as_architecture(plugin, obj))
            check_outputs(run_plugins.ModelPlugins(part, part), PROBE_SPEC)
        elif plugin.group == "ganzoo.losses":
            run_plugins.check_loss(plugin, obj)
            check_loss_values(plugin.name, obj)
        elif not callable(obj):
            return f"TypeError: dataset entry is {type(obj).__name__}, not a factory"
    except ConformanceError as error:
        return str(error)
    except UserError as error:
        cause = getattr(error, "error", None)
        return f"{type(cause).__name__}: {cause}" if cause is not None else str(error)
    return None
