"""The default plugin: the article's networks, sized from the data."""

from __future__ import annotations

import keras
import numpy as np
import pytest

from ganzoo.plugins import discovery
from ganzoo.plugins.interfaces import ImageSpec, LossContext


def _factories():
    dcgan = discovery.load("ganzoo.architectures", "dcgan")
    return dcgan.generator, dcgan.discriminator


@pytest.mark.parametrize("spec", [ImageSpec(28, 28, 1), ImageSpec(32, 32, 3), ImageSpec(64, 64, 3)])
def test_shapes_and_value_ranges(spec):
    build_generator, build_discriminator = _factories()
    generator, discriminator = build_generator(spec, latent_dim=16), build_discriminator(spec)
    z = np.random.default_rng(0).standard_normal((3, 16)).astype("float32") * 5
    images = np.asarray(generator(z, training=False))
    assert images.shape == (3, *spec.shape)
    assert images.min() >= -1 and images.max() <= 1 and images.std() > 0
    assert tuple(discriminator(images).shape) == (3, 1)


def test_28x28_is_the_articles_architecture_with_the_datas_channels():
    build_generator, build_discriminator = _factories()
    generator = build_generator(ImageSpec(28, 28, 1), latent_dim=100)
    kinds = [type(layer).__name__ for layer in generator.layers]
    assert kinds == ["Dense", "BatchNormalization", "LeakyReLU", "Reshape",
                     "Conv2DTranspose", "BatchNormalization", "LeakyReLU",
                     "Conv2DTranspose", "BatchNormalization", "LeakyReLU", "Conv2DTranspose"]
    assert [tuple(l.output.shape[1:]) for l in generator.layers if type(l).__name__ == "Conv2DTranspose"] == \
        [(7, 7, 128), (14, 14, 64), (28, 28, 1)]
    assert generator.layers[-1].activation is keras.activations.tanh
    assert generator.count_params() == 2_330_944  # the TF tutorial's 1-channel generator, exactly
    discriminator = build_discriminator(ImageSpec(28, 28, 1))
    assert [type(l).__name__ for l in discriminator.layers] == ["Conv2D", "LeakyReLU", "Dropout"] * 2 + \
        ["Flatten", "Dense"]
    assert [l.rate for l in discriminator.layers if type(l).__name__ == "Dropout"] == [0.3, 0.3]


@pytest.mark.parametrize("size", [27, 30, 48, 16])
def test_unsupported_sizes_are_a_clear_error(size):
    build_generator, _ = _factories()
    with pytest.raises(ValueError, match=r"supports 28x28 and square powers of two >= 32"):
        build_generator(ImageSpec(size, size, 1), latent_dim=8)


def test_non_square_is_a_clear_error():
    build_generator, _ = _factories()
    with pytest.raises(ValueError, match="square"):
        build_generator(ImageSpec(28, 32, 1), latent_dim=8)


def _softplus(x):
    return np.log1p(np.exp(x))


@pytest.mark.parametrize("name", ["nonsaturating", "minimax"])
def test_losses_match_a_hand_computation(name):
    loss = discovery.load("ganzoo.losses", name)
    real, fake = np.array([[2.0], [-1.0]], "float32"), np.array([[0.5], [-3.0]], "float32")
    ctx = LossContext(None, None, real, fake, None)
    # D: -log sigmoid(real) - log(1 - sigmoid(fake)), averaged.
    expected_d = np.mean(_softplus(-real)) + np.mean(_softplus(fake))
    expected_g = np.mean(_softplus(-fake)) if name == "nonsaturating" else -np.mean(_softplus(fake))
    assert float(loss.discriminator_loss(ctx)) == pytest.approx(expected_d, rel=1e-5)
    assert float(loss.generator_loss(ctx)) == pytest.approx(expected_g, rel=1e-5)
