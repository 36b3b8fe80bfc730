"""Finding plugins (no import) and loading them (import), as two separate steps.

Finding reads entry-point metadata only, so ``ganzoo list`` never imports a
plugin or TensorFlow. Loading imports one plugin; any failure becomes a
:class:`BrokenPluginError` that names the distribution, so one broken plugin
never breaks another.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata
from typing import Any

from ganzoo.errors import UserError
from ganzoo.plugins.interfaces import GROUPS, RETIRED_GROUPS, ZOO_GROUP

#: Set to 1 to load only ganzoo's own plugins (debugging, tests).
DISABLE_AUTOLOAD_ENV = "GANZOO_DISABLE_PLUGIN_AUTOLOAD"
#: Comma-separated distribution names: only these third-party distributions may load (plugins run code on import).
ALLOW_ENV = "GANZOO_ALLOW_PLUGINS"
FIRST_PARTY = "ganzoo"

GROUP_NOUNS = {
    "ganzoo.architectures": "architecture",
    "ganzoo.generators": "generator",
    "ganzoo.discriminators": "discriminator",
    "ganzoo.losses": "loss",
    "ganzoo.datasets": "dataset",
    "ganzoo.zoo": "shelf",
}


@dataclass(frozen=True)
class Plugin:
    """One registered entry point, found but not imported."""

    group: str
    name: str
    value: str  # "module:attribute"
    distribution: str
    version: str

    @property
    def label(self) -> str:
        return f"{self.distribution} {self.version} [{self.group}:{self.name}]"


class PluginError(UserError):
    """A plugin cannot be used; the message is meant for the user."""


class UnknownPluginError(PluginError):
    def __init__(self, group: str, name: str, known: list[str]):
        from ganzoo.plugins.first_party import install_hint

        noun = GROUP_NOUNS.get(group, group)
        valid = ", ".join(sorted(known)) or "none installed"
        hint = install_hint(name) if group == "ganzoo.architectures" else None
        super().__init__(f"unknown {noun} '{name}' (valid: {valid})" + (f"; {hint}" if hint else ""))


class BrokenPluginError(PluginError):
    def __init__(self, plugin: Plugin, error: BaseException):
        self.plugin = plugin
        self.error = error
        noun = GROUP_NOUNS.get(plugin.group, plugin.group)
        super().__init__(f"{noun} '{plugin.name}' from {plugin.distribution} {plugin.version} is broken: "
                         f"{type(error).__name__}: {error}")


def autoload_disabled() -> bool:
    return os.environ.get(DISABLE_AUTOLOAD_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _normalize(name: str) -> str:
    return name.lower().replace("_", "-").replace(".", "-")


def allowed_distributions() -> set[str] | None:
    """The allow-list from GANZOO_ALLOW_PLUGINS (normalised names), or None when every distribution may load."""
    value = os.environ.get(ALLOW_ENV)
    if value is None:
        return None
    return {_normalize(name.strip()) for name in value.split(",") if name.strip()}


def _may_load(dist_name: str) -> bool:
    if _normalize(dist_name) == FIRST_PARTY:
        return True
    if autoload_disabled():
        return False
    allowed = allowed_distributions()
    return allowed is None or _normalize(dist_name) in allowed


def discover_plugins(group: str | None = None, *, excluded: set | None = None) -> list[Plugin]:
    """All registered plugins (of one group, or of every ganzoo group), sorted, without importing them.

    Distributions that the autoload settings keep out are skipped; pass a set
    as ``excluded`` to collect their names.
    """
    groups = [group] if group else list(GROUPS)
    found: dict[tuple, Plugin] = {}
    for dist in metadata.distributions():
        dist_name = dist.metadata["Name"] or "?"
        if not _may_load(dist_name):
            if excluded is not None and any(ep.group in groups for ep in dist.entry_points):
                excluded.add(dist_name)
            continue
        for ep in dist.entry_points:
            if ep.group in groups:
                plugin = Plugin(ep.group, ep.name, ep.value, dist_name, dist.version)
                # The same distribution can be visible twice on sys.path; keep the first, as imports do.
                found.setdefault((ep.group, ep.name, _normalize(dist_name)), plugin)
    return sorted(found.values(), key=lambda p: (groups.index(p.group), p.name, p.distribution))


def find_plugin(group: str, name: str) -> Plugin:
    """The plugin registered as ``name`` in ``group``; a clear error if none or several."""
    plugins = discover_plugins(group)
    matches = [p for p in plugins if p.name == name]
    if not matches:
        retired = [p for p in retired_plugins() if p.name == name] if group == "ganzoo.architectures" else []
        if retired:
            raise PluginError(retired_message(retired[0]))
        raise UnknownPluginError(group, name, sorted({p.name for p in plugins}))
    if len(matches) > 1:
        owners = ", ".join(p.distribution for p in matches)
        raise PluginError(f"{GROUP_NOUNS[group]} '{name}' is registered by several distributions ({owners}); "
                          "uninstall all but one")
    return matches[0]


def retired_plugins() -> list[Plugin]:
    """Entries in ganzoo 0.1's factory groups, which nothing loads any more (one per name and distribution)."""
    found: dict[tuple[str, str], Plugin] = {}
    for plugin in (p for group in RETIRED_GROUPS for p in discover_plugins(group)):
        found.setdefault((plugin.name, plugin.distribution), plugin)
    return list(found.values())


def retired_message(plugin: Plugin) -> str:
    return (f"{plugin.name} from {plugin.distribution} {plugin.version} is registered in {plugin.group}, which "
            "ganzoo no longer reads: its distribution must register a ganzoo.Architecture in "
            "ganzoo.architectures (docs/plugins.md, \"Migrating from ganzoo 0.1\")")


def load_plugin(plugin: Plugin) -> Any:
    """Import the plugin's object; any failure becomes a :class:`BrokenPluginError`."""
    if plugin.group == ZOO_GROUP:  # a folder of data: the shelf finds it without running the package's code
        raise ValueError(f"{plugin.label} names a shelf folder, which is never imported")
    with plugin_code(plugin):
        return metadata.EntryPoint(plugin.name, plugin.value, plugin.group).load()


@contextlib.contextmanager
def plugin_code(plugin: Plugin) -> Iterator[None]:
    """Run a plugin's code: whatever it raises, ``sys.exit()`` included, becomes a :class:`BrokenPluginError`
    (Ctrl-C stays Ctrl-C)."""
    try:
        yield
    except (KeyboardInterrupt, UserError):  # Ctrl-C, or the plugin's own one-line error
        raise
    except BaseException as error:  # noqa: BLE001 - a plugin may raise anything, even SystemExit
        raise BrokenPluginError(plugin, error) from error


def load(group: str, name: str) -> Any:
    """Find and load one plugin by name."""
    return load_plugin(find_plugin(group, name))
