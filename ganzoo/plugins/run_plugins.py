"""The plugins of one run, found and loaded once, into a typed record that the trainer and export pass along.

A run takes its generator from one architecture record and its discriminator
from another (the same one unless ``--generator``/``--discriminator`` mix
them), plus a loss. Conditioning, defaults and hyperparameters are read from
the records here and nowhere else. No TensorFlow import.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ganzoo.plugins import discovery
from ganzoo.plugins.architecture import Architecture, HParam, check_hparams
from ganzoo.plugins.discovery import BrokenPluginError, Plugin
from ganzoo.errors import UserError
from ganzoo.plugins.interfaces import ImageSpec, TrainingDefaults

ARCHITECTURES = "ganzoo.architectures"


@dataclass(frozen=True)
class LoadedArchitecture:
    plugin: Plugin
    record: Architecture

    @property
    def name(self) -> str:
        return self.plugin.name


def load_architecture(name: str) -> LoadedArchitecture:
    """The architecture registered as ``name``; a broken-plugin error if its entry is not an Architecture."""
    plugin = discovery.find_plugin(ARCHITECTURES, name)
    return LoadedArchitecture(plugin, as_architecture(plugin, discovery.load_plugin(plugin)))


def as_architecture(plugin: Plugin, obj: Any) -> Architecture:
    if not isinstance(obj, Architecture):
        raise BrokenPluginError(plugin, TypeError(f"the entry is {type(obj).__name__}, not a ganzoo.Architecture"))
    return obj


@dataclass(frozen=True)
class ModelPlugins:
    """The generator's and the discriminator's architecture records."""

    generator: LoadedArchitecture
    discriminator: LoadedArchitecture

    @classmethod
    def load(cls, generator: str, discriminator: str) -> ModelPlugins:
        g = load_architecture(generator)
        return cls(g, g if discriminator == generator else load_architecture(discriminator))

    @property
    def defaults(self) -> TrainingDefaults:
        """The generator's record's defaults, over the discriminator's."""
        merged = {**self.discriminator.record.defaults.as_dict(), **self.generator.record.defaults.as_dict()}
        return TrainingDefaults(**merged)

    def conditional(self, spec: ImageSpec) -> bool:
        """Whether this pair takes class labels on data of ``spec``; a one-line error when it cannot train."""
        g, d = (part.record.is_conditional(spec) for part in (self.generator, self.discriminator))
        if g != d:
            raise UserError(f"cannot pair generator {self.generator.name} ({'' if g else 'un'}conditional here) with "
                            f"discriminator {self.discriminator.name} ({'' if d else 'un'}conditional)")
        if g and not spec.num_classes:
            raise UserError(f"{self.generator.name} is a conditional architecture: it needs a dataset with labels")
        return g

    @property
    def schemas(self) -> dict[str, tuple[HParam, ...]]:
        """The hyperparameters this pair's two models receive, by the architecture they come from."""
        schemas: dict[str, dict[str, HParam]] = {}
        for model, part in (("generator", self.generator), ("discriminator", self.discriminator)):
            schemas.setdefault(part.name, {}).update(
                {h.name: h for h in part.record.hparams if h.model in (model, "both")})
        return {name: tuple(hparams.values()) for name, hparams in schemas.items()}

    def hparams(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every hyperparameter of both records, at its default or as ``given``: a one-line error naming the
        valid ones for an unknown name or a bad value."""
        try:
            check_hparams(self.schemas, given)
            return {**self.discriminator.record.hparam_values(given, "discriminator"),
                    **self.generator.record.hparam_values(given, "generator")}
        except ValueError as error:
            raise UserError(f"{self.generator.name}: {error}") from None


@dataclass(frozen=True)
class RunPlugins:
    """Everything a run takes from plugins: the two models' records and the loss."""

    models: ModelPlugins
    loss: Any  # a ganzoo.Loss
    loss_plugin: Plugin

    @classmethod
    def load(cls, models: ModelPlugins, loss: str) -> RunPlugins:
        plugin, loaded = load_loss(loss)
        return cls(models, loaded, plugin)

    @property
    def loss_defaults(self) -> TrainingDefaults:
        return getattr(self.loss, "defaults", None) or TrainingDefaults()

    def provenance(self) -> dict[str, str]:
        """``"group:name" -> "distribution version"`` of each plugin, for config.json."""
        used = (self.models.generator.plugin, self.models.discriminator.plugin, self.loss_plugin)
        return {f"{p.group}:{p.name}": f"{p.distribution} {p.version}" for p in used}


def changed_since(recorded: dict[str, str]) -> list[str]:
    """The plugins of a run's ``config.json`` (``provenance``) installed now at another version, as
    ``"ganzoo-stylegan 0.2.0 (installed: 0.3.0)"``; a plugin no longer installed is left out (loading it says so)."""
    changed = []
    for key, was in recorded.items():
        group, _, name = key.partition(":")
        try:
            plugin = discovery.find_plugin(group, name)
        except UserError:
            continue
        if was != f"{plugin.distribution} {plugin.version}":
            changed.append(f"{was} (installed: {plugin.version})")
    return changed


def explain_mismatch(error: UserError, recorded: dict[str, str]) -> UserError:
    """A checkpoint that does not fit the models, with the likely reason when the run's plugins changed version
    since it was trained: that version's models differ, and installing it again makes the run usable."""
    changed = changed_since(recorded)
    if not changed:
        return error
    return type(error)(f"{error}: the run was trained with {', '.join(changed)}, whose models differ; its "
                       "checkpoints are intact: install that version to use them")


def load_loss(name: str) -> tuple[Plugin, Any]:
    plugin = discovery.find_plugin("ganzoo.losses", name)
    return plugin, check_loss(plugin, discovery.load_plugin(plugin))


def check_loss(plugin: Plugin, loss: Any) -> Any:
    """A loss object must have callable ``discriminator_loss`` and ``generator_loss``."""
    missing = [m for m in ("discriminator_loss", "generator_loss") if not callable(getattr(loss, m, None))]
    if missing:
        raise BrokenPluginError(plugin, TypeError(f"{type(loss).__name__} has no {' or '.join(missing)} method"))
    defaults = getattr(loss, "defaults", None)
    if defaults is not None and not isinstance(defaults, TrainingDefaults):
        raise BrokenPluginError(plugin, TypeError(f"its defaults are a {type(defaults).__name__}, not a "
                                                  "ganzoo.TrainingDefaults"))
    return loss
