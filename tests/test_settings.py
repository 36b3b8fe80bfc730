"""Settings: each declared once, and resolved as command line > recipe > loss > architecture > core."""

import dataclasses
import json
import re

import pytest

from ganzoo import settings
from ganzoo.plugins.architecture import Architecture, HParam
from ganzoo.cli.train_command import train_command
from ganzoo.plugins.interfaces import TrainingDefaults
from ganzoo.settings import CORE_DEFAULTS, SETTINGS, TrainConfig


def _resolve(command_line=None, recipe=None, loss=TrainingDefaults(), arch=TrainingDefaults(), images=1000):
    return settings.in_epochs(settings.resolve(command_line or {}, recipe or {}, loss, arch), images)


def test_precedence_of_every_layer():
    arch = TrainingDefaults(lr=1e-3, batch_size=32, epochs=7, beta_2=0.8)
    loss = TrainingDefaults(lr=5e-4, beta_1=0.0)
    resolved = _resolve({"epochs": 3, "lr": None}, {"beta_2": 0.7, "lr": 1e-5}, loss, arch)
    assert resolved["epochs"] == 3  # command line
    assert resolved["lr"] == 1e-5  # the recipe's, over the loss's and the architecture's
    assert resolved["beta_2"] == 0.7  # the recipe's, over the architecture's
    assert resolved["beta_1"] == 0.0  # the loss's
    assert resolved["batch_size"] == 32  # the architecture's
    assert resolved["latent_dim"] == CORE_DEFAULTS.latent_dim  # the core's
    assert resolved["seed"] == 0 and resolved["strategy"] == "default"  # core defaults of core-only settings


def test_hyperparameters_merge_by_name_command_line_over_recipe():
    resolved = _resolve({"hparams": {"width": "128"}}, {"hparams": {"width": 32, "dropout": 0.1}})
    assert resolved["hparams"] == {"width": "128", "dropout": 0.1}


def test_loss_name_comes_from_command_line_then_recipe_then_architecture_then_core():
    hinge = TrainingDefaults(loss="hinge")
    assert settings.loss_name({"loss": "minimax"}, {"loss": "lsgan"}, hinge) == "minimax"
    assert settings.loss_name({}, {"loss": "lsgan"}, hinge) == "lsgan"
    assert settings.loss_name({}, {}, hinge) == "hinge"
    assert settings.loss_name({}, {}, TrainingDefaults()) == CORE_DEFAULTS.loss


def test_a_step_budget_becomes_whole_epochs_of_the_actual_data():
    arch = TrainingDefaults(batch_size=64, steps=4680)
    assert _resolve(arch=arch, images=5000)["epochs"] == 60  # 78 steps/epoch
    assert _resolve(arch=arch, images=60000)["epochs"] == 5  # 937 steps/epoch
    assert _resolve(arch=arch, images=10)["epochs"] == 4680  # 1 step/epoch
    assert "steps" not in _resolve(arch=arch, images=5000)


def test_a_higher_layer_length_replaces_a_lower_one_in_either_form():
    arch = TrainingDefaults(batch_size=100, steps=1000)
    assert _resolve({"epochs": 2}, arch=arch, images=5000)["epochs"] == 2
    assert _resolve(loss=TrainingDefaults(epochs=9), arch=arch, images=5000)["epochs"] == 9
    assert _resolve(loss=TrainingDefaults(steps=156), arch=TrainingDefaults(epochs=9),
                    images=5000)["epochs"] == 2  # 78 steps/epoch at the core's batch 64
    assert _resolve(recipe={"epochs": 4}, arch=arch, images=5000)["epochs"] == 4


def test_every_setting_is_declared_once_and_the_train_options_are_generated_from_it():
    options = {p.name: p for p in train_command.params if p.name not in ("architecture", "run_dir", "resume",
                                                                        "recipe")}
    assert list(options) == [s.name for s in SETTINGS]
    for setting in SETTINGS:
        assert setting.flag in options[setting.name].opts and options[setting.name].help == setting.help
    # what plugins may default is exactly what TrainingDefaults holds (plus a step budget, a length)
    plugin_defaulted = {s.name for s in SETTINGS if s.plugin_default}
    assert plugin_defaulted | {"steps"} == {f.name for f in dataclasses.fields(TrainingDefaults)}
    # every setting is stored in config.json
    assert {s.name for s in SETTINGS} <= {f.name for f in dataclasses.fields(TrainConfig)}


def test_a_resumed_run_refuses_changed_hyperparameters_but_not_its_length():
    stored = TrainConfig(architecture="dcgan", generator="dcgan", discriminator="dcgan", loss="nonsaturating",
                         dataset="mnist", latent_dim=100, batch_size=64, epochs=5, lr=2e-4, beta_1=0.5, beta_2=0.999,
                         seed=0, hparams={"width": 64})
    assert settings.contradictions(stored, {"epochs": 9, "hparams": {"width": 64}}) == []
    assert settings.contradictions(stored, {"hparams": {"width": 32}, "lr": 1.0}) == [
        "width: run has 64, command line says 32", "lr: run has 0.0002, command line says 1.0"]


@pytest.mark.parametrize("hparam, given, expected", [
    (HParam("width", int, 64, min=4), "128", 128),
    (HParam("width", int, 64, min=4), 8, 8),
    (HParam("rate", float, 0.3, min=0, max=1), "0.5", 0.5),
    (HParam("rate", float, 0.3, min=0, max=1), 1, 1.0),
    (HParam("kind", str, "a", choices=("a", "b")), "b", "b"),
    (HParam("on", bool, False), "yes", True),
    (HParam("on", bool, False), False, False),
])
def test_hyperparameters_parse_text_and_values(hparam, given, expected):
    assert hparam.parse(given) == expected and type(hparam.parse(given)) is type(expected)


@pytest.mark.parametrize("hparam, given, says", [
    (HParam("width", int, 64, min=4), "wide", "'wide' is not a valid integer"),
    (HParam("width", int, 64, min=4), 2.5, "'2.5' is not a valid integer"),
    (HParam("width", int, 64, min=4), True, "True is not valid for width"),
    (HParam("width", int, 64, min=4), "3", "3 is not in the range x>=4"),
    (HParam("rate", float, 0.3, min=0, max=1), "nan", "nan is not a finite number"),
    (HParam("rate", float, 0.3, min=0, max=1), "1.5", "1.5 is not in the range 0<=x<=1"),
    (HParam("kind", str, "a", choices=("a", "b")), "c", "is not one of a, b"),
    (HParam("on", bool, False), "maybe", "'maybe' is not a valid boolean"),
])
def test_bad_hyperparameter_values_say_why(hparam, given, says):
    with pytest.raises(ValueError, match=says):
        hparam.parse(given)


def _factory(spec, **kwargs):
    return None


@pytest.mark.parametrize("make, says", [
    (lambda: HParam("width", int, 2, min=4), "width = 2: 2 is not in the range x>=4"),  # a default outside its own range
    (lambda: HParam("2wide", int, 2), "not a Python identifier"),
    (lambda: HParam("width", list, []), "type must be int, float, str or bool"),
    (lambda: HParam("width", int, 2, model="critic"), "model must be one of"),
    (lambda: Architecture(_factory, "not callable"), "must be a factory"),
    (lambda: Architecture(_factory, _factory, defaults={"lr": 1}), "must be a ganzoo.TrainingDefaults"),
    (lambda: Architecture(_factory, _factory, conditional="sometimes"), "must be False, True or"),
    (lambda: Architecture(_factory, _factory, hparams=[("width", int, 64)]), "must hold ganzoo.HParam"),
    (lambda: Architecture(_factory, _factory, hparams=[HParam("latent_dim", int, 1)]), "not spec or latent_dim"),
    (lambda: Architecture(_factory, _factory, hparams=[HParam("w", int, 1), HParam("w", int, 2)]), "unique"),
])
def test_a_wrong_record_fails_when_it_is_made(make, says):
    with pytest.raises((TypeError, ValueError), match=says):
        make()


def test_conditioning_is_read_from_the_record():
    from ganzoo import WITH_LABELS
    from ganzoo.plugins.interfaces import ImageSpec
    labelled, unlabelled = ImageSpec(28, 28, 1, 10), ImageSpec(28, 28, 1)
    assert [Architecture(_factory, _factory, conditional=c).is_conditional(labelled)
            for c in (False, True, WITH_LABELS)] == [False, True, True]
    assert [Architecture(_factory, _factory, conditional=c).is_conditional(unlabelled)
            for c in (False, True, WITH_LABELS)] == [False, True, False]


def _stored(**changes) -> str:
    config = TrainConfig(architecture="dcgan", generator="dcgan", discriminator="dcgan", loss="nonsaturating",
                         dataset="mnist", latent_dim=100, batch_size=64, epochs=5, lr=2e-4, beta_1=0.5, beta_2=0.999,
                         seed=0, hparams={"width": 64})
    data = {**dataclasses.asdict(config), **changes}
    return json.dumps({k: v for k, v in data.items() if v != "absent"})


def test_config_json_values_pass_the_same_types_as_the_command_line():
    config = TrainConfig.from_json(_stored(devices=["cpu:0", "cpu:1"], augment=["cutout", "color"], lr_d=4e-4))
    assert config.devices == ("cpu:0", "cpu:1") and config.augment == ("color", "cutout") and config.lr_d == 4e-4
    # a run written before a setting existed takes its default; one of ganzoo 0.1's settings may not be missing
    old = TrainConfig.from_json(_stored(d_steps="absent", r1_every="absent", lr_g="absent"))
    assert (old.d_steps, old.r1_every, old.lr_g) == (None, 1, None)
    with pytest.raises(ValueError, match="keys missing: lr"):
        TrainConfig.from_json(_stored(lr="absent"))
    for changes, says in (({"lr": -1}, "lr is -1: -1.0 is not in the range x>0"),
                          ({"augment": ["zoom"]}, "unknown augmentation policy zoom"),
                          ({"seed": 2 ** 40}, "is not in the range 0<=x<=4294967295"),
                          ({"d_steps": 0}, "d_steps is 0: 0 is not in the range x>=1"),
                          ({"jit": "yes please"}, "jit is 'yes please'"),
                          ({"hparams": [1]}, "hparams is [1], not dict"),
                          ({"image_spec": {"height": 28}}, "image_spec:"),
                          ({"recipe": 3}, "recipe is 3, not str or NoneType")):
        with pytest.raises(ValueError, match=re.escape(says)):
            TrainConfig.from_json(_stored(**changes))


def test_a_plugins_defaults_pass_the_settings_types_when_made():
    assert TrainingDefaults(lr="1e-3", d_steps=5).lr == 1e-3  # the same parsing as the command line
    for kwargs, says in (({"lr": 0}, "lr = 0: 0.0 is not in the range x>0"), ({"steps": -1}, "steps = -1"),
                         ({"beta_1": 1.0}, "beta_1 = 1.0"), ({"loss": ["hinge"]}, "is not valid for --loss")):
        with pytest.raises(ValueError, match=re.escape(says)):
            TrainingDefaults(**kwargs)
    with pytest.raises(TypeError):
        TrainingDefaults(seed=1)  # a run's seed is the user's, never a plugin's


def test_describe_lists_what_a_run_sets_in_the_settings_order():
    values = {"epochs": 3, "batch_size": 32, "lr": 1e-3, "lr_d": 4e-4, "seed": 0, "ema": 0.0, "augment": (),
              "d_steps": 5, "jit": True, "strategy": "default"}
    assert settings.describe(values) == "epochs 3, batch 32, lr 0.001, lr D 0.0004, D steps 5, seed 0, XLA"
    assert settings.describe(values, settings.SPEED, defaults=True) == "strategy default, XLA"
