"""Settings precedence: command line > loss defaults > architecture defaults > core."""

from ganzoo import settings
from ganzoo.interfaces import CORE_DEFAULTS, TrainingDefaults


def test_precedence_of_every_layer():
    arch = TrainingDefaults(lr=1e-3, batch_size=32, epochs=7)
    loss = TrainingDefaults(lr=5e-4, beta_1=0.0)
    resolved = settings.resolve_settings({"epochs": 3, "lr": None}, loss, arch, images=1000)
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


def test_a_step_budget_becomes_whole_epochs_of_the_actual_data():
    arch = TrainingDefaults(batch_size=64, steps=4680)
    assert settings.resolve_settings({}, TrainingDefaults(), arch, images=5000)["epochs"] == 60  # 78 steps/epoch
    assert settings.resolve_settings({}, TrainingDefaults(), arch, images=60000)["epochs"] == 5  # 937 steps/epoch
    assert settings.resolve_settings({}, TrainingDefaults(), arch, images=10)["epochs"] == 4680  # 1 step/epoch
    assert "steps" not in settings.resolve_settings({}, TrainingDefaults(), arch, images=5000)


def test_a_higher_layer_length_replaces_a_lower_one_in_either_form():
    arch = TrainingDefaults(batch_size=100, steps=1000)
    assert settings.resolve_settings({"epochs": 2}, TrainingDefaults(), arch, images=5000)["epochs"] == 2
    assert settings.resolve_settings({}, TrainingDefaults(epochs=9), arch, images=5000)["epochs"] == 9
    assert settings.resolve_settings({}, TrainingDefaults(steps=156), TrainingDefaults(epochs=9),
                                     images=5000)["epochs"] == 2  # 78 steps/epoch at the core's batch 64
