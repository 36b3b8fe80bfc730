"""Building a plugin's generator or discriminator and checking that it keeps the contract."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

from ganzoo import discovery
from ganzoo.discovery import BrokenPluginError, Plugin
from ganzoo.errors import UserError
from ganzoo.interfaces import ImageSpec, Loss


def build_generator(plugin: Plugin, factory: Any, spec: ImageSpec, latent_dim: int) -> keras.Model:
    """Call a generator factory and check its model maps [N, latent_dim] to [N, H, W, C]."""
    model = _call(plugin, factory, spec, latent_dim=latent_dim)
    _expect_shape(plugin, model, _with_labels(model, spec, np.zeros((2, latent_dim), np.float32)), (2, *spec.shape))
    return model


def build_discriminator(plugin: Plugin, factory: Any, spec: ImageSpec) -> keras.Model:
    """Call a discriminator factory and check its model maps [N, H, W, C] to logits [N, 1]."""
    model = _call(plugin, factory, spec)
    _expect_shape(plugin, model, _with_labels(model, spec, np.zeros((2, *spec.shape), np.float32)), (2, 1))
    return model


def _with_labels(model: keras.Model, spec: ImageSpec, probe: np.ndarray):
    """The probe input, plus integer labels for a conditional model (one with a second input)."""
    if len(model.inputs) != 2:
        return probe
    return [probe, np.arange(len(probe), dtype=np.int64) % max(spec.num_classes or 1, 1)]


def check_loss(plugin: Plugin, loss: Any) -> Loss:
    """A loss object must have callable ``discriminator_loss`` and ``generator_loss``."""
    missing = [m for m in ("discriminator_loss", "generator_loss") if not callable(getattr(loss, m, None))]
    if missing:
        raise BrokenPluginError(plugin, TypeError(f"{type(loss).__name__} has no {' or '.join(missing)} method"))
    return loss


def load_generator(name: str, spec: ImageSpec, latent_dim: int) -> keras.Model:
    """Find, load, build and check the named generator."""
    plugin = discovery.find_plugin("ganzoo.generators", name)
    return build_generator(plugin, discovery.load_plugin(plugin), spec, latent_dim)


def load_models(generator: str, discriminator: str, spec: ImageSpec, latent_dim: int):
    """Find, load, build and check the named generator and discriminator."""
    d_plugin = discovery.find_plugin("ganzoo.discriminators", discriminator)
    return (load_generator(generator, spec, latent_dim),
            build_discriminator(d_plugin, discovery.load_plugin(d_plugin), spec))


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
