"""Settings precedence: command line > loss defaults > architecture defaults > core."""

from ganzoo import settings
from ganzoo.interfaces import CORE_DEFAULTS, TrainingDefaults


def test_precedence_of_every_layer():
    arch = TrainingDefaults(lr=1e-3, batch_size=32, epochs=7)
    loss = TrainingDefaults(lr=5e-4, beta_1=0.0)
    resolved = settings.resolve_settings({"epochs": 3, "lr": None}, loss, arch)
    assert resolved["epochs"] == 3  # command line
    assert resolved["lr"] == 5e-4  # the loss's, over the architecture's
    assert resolved["beta_1"] == 0.0  # the loss's
    assert resolved["batch_size"] == 32  # the architecture's
    assert resolved["latent_dim"] == CORE_DEFAULTS.latent_dim  # the core's


def test_loss_name_comes_from_command_line_then_architecture_then_core():
    assert settings.resolve_loss_name("minimax", TrainingDefaults(loss="hinge")) == "minimax"
    assert settings.resolve_loss_name(None, TrainingDefaults(loss="hinge")) == "hinge"
    assert settings.resolve_loss_name(None, TrainingDefaults()) == CORE_DEFAULTS.loss


def test_architecture_defaults_prefer_the_generators():
    def g(): ...
    def d(): ...
    g.defaults = TrainingDefaults(lr=1.0)
    d.defaults = TrainingDefaults(lr=2.0, batch_size=5)
    assert settings.architecture_defaults(g, d) == TrainingDefaults(lr=1.0, batch_size=5)
    assert settings.architecture_defaults(object(), object()) == TrainingDefaults()
