"""Every registered architecture and loss passes the conformance kit that plugin authors use (timm-style)."""

from __future__ import annotations

import re

import pytest

from ganzoo import discovery
from ganzoo.testing import ConformanceError, check_architecture, check_loss

ARCHITECTURES = sorted({p.name for p in discovery.discover_plugins("ganzoo.generators")}
                       & {p.name for p in discovery.discover_plugins("ganzoo.discriminators")})
LOSSES = sorted(p.name for p in discovery.discover_plugins("ganzoo.losses"))


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


def test_a_sigmoid_generator_fails(fake_site, tmp_path):
    from conftest import make_distribution
    make_distribution(fake_site, "sigplug", "1.0",
                      {"ganzoo.generators": {"sig": "sig_mod:generator"},
                       "ganzoo.discriminators": {"sig": "ganzoo_dcgan.models:build_discriminator"}},
                      {"sig_mod": """
import keras
def generator(spec, *, latent_dim):
    return keras.Sequential([keras.Input((latent_dim,)),
                             keras.layers.Dense(spec.height * spec.width * spec.channels, activation="sigmoid"),
                             keras.layers.Reshape(spec.shape)])
"""})
    with pytest.raises(ConformanceError, match="generator output is never negative"):
        check_architecture("sig", tmp_path)


def test_a_generator_outside_the_value_range_fails(fake_site, tmp_path):
    from conftest import make_distribution
    make_distribution(fake_site, "loudplug", "1.0",
                      {"ganzoo.generators": {"loud": "loud_mod:generator"},
                       "ganzoo.discriminators": {"loud": "ganzoo_dcgan.models:build_discriminator"}},
                      {"loud_mod": """
import keras
def generator(spec, *, latent_dim):
    return keras.Sequential([keras.Input((latent_dim,)), keras.layers.Dense(spec.height * spec.width * spec.channels),
                             keras.layers.Reshape(spec.shape)])
"""})
    with pytest.raises(ConformanceError, match="generator output outside"):
        check_architecture("loud", tmp_path)
