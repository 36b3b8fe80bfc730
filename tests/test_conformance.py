"""Every registered architecture and loss passes the conformance kit that plugin authors use (timm-style)."""

from __future__ import annotations

import re

import pytest

from ganzoo.plugins import discovery
from ganzoo.testing import ConformanceError, check_architecture, check_loss

# ganzoo's own plugins; each separately distributed plugin (plugins/*) runs the kit in its own tests, as a third
# party's would, so that no kit runs twice in CI
ARCHITECTURES = sorted(p.name for p in discovery.discover_plugins("ganzoo.architectures") if p.distribution == "ganzoo")
LOSSES = sorted(p.name for p in discovery.discover_plugins("ganzoo.losses") if p.distribution == "ganzoo")


@pytest.mark.parametrize("name", ARCHITECTURES)
def test_architecture_conforms(name, tmp_path):
    check_architecture(name, tmp_path)


@pytest.mark.parametrize("name", LOSSES)
def test_loss_conforms(name):
    check_loss(name)


def test_the_fixture_is_available(ganzoo_conformance):
    ganzoo_conformance.loss("hinge")


@pytest.mark.parametrize("module, body, message", [
    ("constant_loss", "return 0.0 * keras.ops.mean(ctx.fake_logits)", "does not depend on the discriminator's logits"),
    ("per_example_loss", "return keras.ops.softplus(-ctx.fake_logits)", "loss has shape (8, 1), not a scalar"),
])
def test_a_loss_that_breaks_the_contract_fails(fake_site, module, body, message):
    from conftest import make_distribution
    make_distribution(fake_site, "lossplug", "1.0", {"ganzoo.losses": {"odd": f"{module}:ODD"}}, {module: f"""
import keras
from ganzoo import Loss
class Odd(Loss):
    def discriminator_loss(self, ctx):
        return keras.ops.mean(keras.ops.softplus(-ctx.real_logits)) + keras.ops.mean(keras.ops.softplus(ctx.fake_logits))
    def generator_loss(self, ctx):
        {body}
ODD = Odd()
"""})
    with pytest.raises(ConformanceError, match=re.escape(message)):
        check_loss("odd")


def _architecture(fake_site, name: str, code: str) -> None:
    """Register ``code``'s ARCH (with dcgan's discriminator unless it defines one) as architecture ``name``."""
    from conftest import make_distribution
    make_distribution(fake_site, f"{name}plug", "1.0", {"ganzoo.architectures": {name: f"{name}_mod:ARCH"}},
                      {f"{name}_mod": "import keras\nimport numpy as np\nfrom keras import layers\n"
                                      "from ganzoo import Architecture\n"
                                      "from ganzoo_dcgan.models import build_discriminator\n" + code})


DENSE = """
def dense(spec, latent_dim, activation):
    return keras.Sequential([keras.Input((latent_dim,)),
                             layers.Dense(spec.height * spec.width * spec.channels, activation=activation),
                             layers.Reshape(spec.shape)])
"""

#: A conditional pair that takes its label and then ignores it.
LABEL_BLIND = """
def generator(spec, *, latent_dim):
    z, label = keras.Input((latent_dim,)), keras.Input((), dtype="int64")
    ignored = layers.Lambda(lambda t: 0.0 * keras.ops.cast(t[:, None], "float32"))(label)
    x = layers.Add()([layers.Dense(spec.height * spec.width * spec.channels, activation="tanh")(z), ignored])
    return keras.Model([z, label], layers.Reshape(spec.shape)(x))

def discriminator(spec):
    images, label = keras.Input(spec.shape), keras.Input((), dtype="int64")
    embedded = layers.Embedding(spec.num_classes, 1)(label)
    return keras.Model([images, label], layers.Add()([layers.Dense(1)(layers.Flatten()(images)), embedded]))
"""

#: A generator with state that is not a weight: a checkpoint restores every weight, not the output.
NOT_A_WEIGHT = """
class Shrink(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.factor = float(np.random.uniform(0.5, 0.9))  # drawn anew on every build, and never checkpointed
    def call(self, x):
        return x * self.factor

def generator(spec, *, latent_dim):
    return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(spec.height * spec.width * spec.channels,
                             activation="tanh"), Shrink(), layers.Reshape(spec.shape)])
ARCH = Architecture(generator, build_discriminator)
"""

#: A generator with a truncation input that it ignores: psi 0 must give the average image.
IGNORES_TRUNCATION = """
def generator(spec, *, latent_dim):
    z, psi = keras.Input((latent_dim,)), keras.Input((), name="truncation")
    ignored = layers.Lambda(lambda t: 0.0 * t[:, None])(psi)
    x = layers.Add()([layers.Dense(spec.height * spec.width * spec.channels, activation="tanh")(z), ignored])
    return keras.Model([z, psi], layers.Reshape(spec.shape)(x))
ARCH = Architecture(generator, build_discriminator)
"""


@pytest.mark.parametrize("name, code, message", [
    ("sig", DENSE + "ARCH = Architecture(lambda spec, latent_dim: dense(spec, latent_dim, 'sigmoid'), "
     "build_discriminator)", "generator output is never negative"),
    ("loud", DENSE + "ARCH = Architecture(lambda spec, latent_dim: dense(spec, latent_dim, None), "
     "build_discriminator)", "generator output outside [-1, 1]"),
    ("blind", LABEL_BLIND + "ARCH = Architecture(generator, discriminator, conditional=True)",
     "the conditional generator ignores its label"),
    ("liar", DENSE + "ARCH = Architecture(lambda spec, latent_dim: dense(spec, latent_dim, 'tanh'), "
     "build_discriminator, conditional=True)", "its record makes it conditional"),
    ("stubborn", IGNORES_TRUNCATION, "truncation 0 does not give the average image"),
])
def test_an_architecture_that_breaks_the_contract_fails_naming_the_check(fake_site, tmp_path, name, code, message):
    _architecture(fake_site, name, code)
    with pytest.raises(ConformanceError, match=re.escape(message)):
        check_architecture(name, tmp_path)


def test_state_that_does_not_round_trip_through_a_checkpoint_fails(fake_site, tmp_path):
    _architecture(fake_site, "amnesiac", NOT_A_WEIGHT)
    with pytest.raises(ConformanceError, match="a checkpoint does not restore the generator's output"):
        check_architecture("amnesiac", tmp_path)


def test_an_export_without_parity_fails(fake_site, tmp_path, monkeypatch):
    from ganzoo.exporting import onnx_export
    _architecture(fake_site, "drift", DENSE + "ARCH = Architecture(lambda spec, latent_dim: dense(spec, latent_dim, "
                                              "'tanh'), build_discriminator)")
    convert = onnx_export.to_onnx

    def drifting(*args):  # what a converter bug would do: the file computes something else than the model
        model = convert(*args)
        weights = max(model.graph.initializer, key=lambda t: len(t.raw_data))
        weights.raw_data = bytes(len(weights.raw_data))
        return model

    monkeypatch.setattr(onnx_export, "to_onnx", drifting)
    with pytest.raises(ConformanceError, match="ONNX export failed: onnxruntime differs from Keras"):
        check_architecture("drift", tmp_path)


#: A generator whose output does not depend on its trainable weights through a gradient (a stop_gradient), so
#: the training step has no gradient to apply for it.
NO_GRADIENT = """
def generator(spec, *, latent_dim):
    z = keras.Input((latent_dim,))
    x = layers.Dense(spec.height * spec.width * spec.channels, activation="tanh")(z)
    x = layers.Lambda(lambda t: keras.ops.stop_gradient(t))(x)
    return keras.Model(z, layers.Reshape(spec.shape)(x))
ARCH = Architecture(generator, build_discriminator)
"""


@pytest.mark.parametrize("name, code, message", [
    ("badhp", DENSE + "from ganzoo import HParam\nARCH = Architecture(lambda spec, latent_dim, width: dense(spec, "
     "latent_dim, 'tanh'), build_discriminator, hparams=(HParam('width', int, 8, min=16),))",
     "badhp at 28x28x1: the architecture does not load:"),
    ("frozen", NO_GRADIENT, "frozen at 28x28x1: one training step failed: ValueError"),
])
def test_a_broken_record_or_training_step_is_a_conformance_error_naming_the_check(fake_site, tmp_path, name, code,
                                                                                  message):
    _architecture(fake_site, name, code)
    with pytest.raises(ConformanceError, match=re.escape(message)):
        check_architecture(name, tmp_path)


def test_list_check_runs_the_kits_fast_checks_on_architectures_and_losses(tmp_path):
    """What the kit fails, `ganzoo list --check` flags too: a sigmoid generator, one that ignores its label, a
    constant loss and a per-example loss all built and listed "ok" before."""
    from conftest import make_distribution, pythonpath_with, run_cli
    header = ("import keras\nimport numpy as np\nfrom keras import layers\nfrom ganzoo import Architecture, Loss\n"
              "from ganzoo_dcgan.models import build_discriminator\n")
    losses = """
class Odd(Loss):
    def __init__(self, per_example):
        self.per_example = per_example
    def discriminator_loss(self, ctx):
        return keras.ops.mean(keras.ops.softplus(ctx.fake_logits)) + keras.ops.mean(keras.ops.softplus(-ctx.real_logits))
    def generator_loss(self, ctx):
        return keras.ops.softplus(-ctx.fake_logits) if self.per_example else 0.0 * keras.ops.mean(ctx.fake_logits)
CONSTANT, PER_EXAMPLE = Odd(False), Odd(True)
"""
    site = make_distribution(
        tmp_path / "site", "oddplug", "1.0",
        {"ganzoo.architectures": {"sig": "oddplug_mod:SIG", "blind": "oddplug_mod:BLIND"},
         "ganzoo.losses": {"constant": "oddplug_mod:CONSTANT", "per-example": "oddplug_mod:PER_EXAMPLE"}},
        {"oddplug_mod": header + DENSE + LABEL_BLIND + losses
         + "SIG = Architecture(lambda spec, latent_dim: dense(spec, latent_dim, 'sigmoid'), build_discriminator)\n"
         + "BLIND = Architecture(generator, discriminator, conditional=True)\n"})
    result = run_cli("list", "--check", env={**pythonpath_with(site), "GANZOO_ALLOW_PLUGINS": "oddplug"})
    assert result.returncode == 1, result.stdout + result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if "oddplug 1.0" in line}
    assert "BROKEN: sig at 28x28x1: generator output is never negative" in lines["sig"]
    assert "BROKEN: blind at 28x28x1: the conditional generator ignores its label" in lines["blind"]
    assert "does not depend on the discriminator's logits" in lines["constant"]
    assert "not a scalar" in lines["per-example"]
    assert all(line.endswith("  ok") for line in result.stdout.splitlines() if "ganzoo 0.1.0" in line)
