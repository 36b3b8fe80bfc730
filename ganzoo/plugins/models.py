"""Building an architecture's generator or discriminator and checking that it keeps the contract."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import keras
import numpy as np

from ganzoo.plugins import discovery
from ganzoo.plugins.discovery import BrokenPluginError, Plugin
from ganzoo.errors import UserError
from ganzoo.plugins.generator_inputs import TRUNCATION, generator_inputs, takes_truncation
from ganzoo.plugins.interfaces import ImageSpec
from ganzoo.plugins.run_plugins import LoadedArchitecture, ModelPlugins


def build_generator(part: LoadedArchitecture, spec: ImageSpec, latent_dim: int, hparams: Mapping[str, Any],
                    conditional: bool) -> keras.Model:
    """Call a generator factory and check its model maps [N, latent_dim] (+ labels, + truncation) to
    [N, H, W, C]."""
    model = _call(part.plugin, part.record.generator, spec, latent_dim=latent_dim,
                  **_values(part, hparams, "generator"))
    probe = np.zeros((2, latent_dim), np.float32)
    _expect_shape(part.plugin, model, _with_labels(part, model, spec, probe, conditional), (2, *spec.shape))
    return model


def _check_truncation_input(part: LoadedArchitecture, model: keras.Model) -> None:
    names = [tensor.name for tensor in model.inputs]
    if TRUNCATION in names[:-1]:
        raise BrokenPluginError(part.plugin, ValueError(
            f"{model.name}'s {TRUNCATION} input must come last (after z and label), its inputs are {names}"))


def build_discriminator(part: LoadedArchitecture, spec: ImageSpec, hparams: Mapping[str, Any],
                        conditional: bool) -> keras.Model:
    """Call a discriminator factory and check its model maps [N, H, W, C] (+ labels) to logits [N, 1]."""
    model = _call(part.plugin, part.record.discriminator, spec, **_values(part, hparams, "discriminator"))
    probe = np.zeros((2, *spec.shape), np.float32)
    _expect_shape(part.plugin, model, _with_labels(part, model, spec, probe, conditional), (2, 1))
    return model


def build_models(models: ModelPlugins, spec: ImageSpec, latent_dim: int, hparams: Mapping[str, Any]):
    """The generator and discriminator of a pair, built and checked."""
    conditional = models.conditional(spec)
    return (build_generator(models.generator, spec, latent_dim, hparams, conditional),
            build_discriminator(models.discriminator, spec, hparams, conditional))


def _values(part: LoadedArchitecture, hparams: Mapping[str, Any], model: str) -> dict[str, Any]:
    try:
        return part.record.hparam_values(hparams, model)
    except ValueError as error:  # a hand-edited config.json, or a record whose ranges changed since
        raise UserError(f"{part.name}: {error}") from None


def _with_labels(part: LoadedArchitecture, model: keras.Model, spec: ImageSpec, probe: np.ndarray,
                 conditional: bool):
    """The probe input, plus integer labels when the record says the model is conditional; a model whose
    inputs disagree with its record is broken. A generator's optional last input, ``truncation``, is fed 1."""
    _check_truncation_input(part, model)
    wanted = (2 if conditional else 1) + takes_truncation(model)
    if len(model.inputs) != wanted:
        raise BrokenPluginError(part.plugin, ValueError(
            f"{model.name} has {len(model.inputs)} input(s), but its record makes it "
            f"{'conditional ([z or images, label])' if conditional else 'unconditional (one input)'} here"))
    labels = np.arange(len(probe), dtype=np.int64) % spec.num_classes if conditional else None
    return generator_inputs(model, probe, labels)


def _call(plugin: Plugin, factory: Any, spec: ImageSpec, **kwargs) -> keras.Model:
    try:
        with discovery.plugin_code(plugin):
            model = factory(spec, **kwargs)
    except BrokenPluginError as broken:
        if isinstance(broken.error, ValueError):  # the factory's way of saying "this spec is not supported"
            raise UserError(f"{plugin.name}: {broken.error}") from None
        raise
    if not isinstance(model, keras.Model):
        raise BrokenPluginError(plugin, TypeError(f"factory returned {type(model).__name__}, not a keras.Model"))
    return model


def _expect_shape(plugin: Plugin, model: keras.Model, probe, expected: tuple) -> None:
    with discovery.plugin_code(plugin):
        shape = tuple(model(probe, training=False).shape)
    if shape != expected:
        raise BrokenPluginError(plugin, ValueError(f"model output has shape {shape}, expected {expected}"))
