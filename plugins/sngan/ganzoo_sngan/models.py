"""SNGAN (Miyato et al., "Spectral Normalization for Generative Adversarial Networks", 2018), ResNet variant.

Generator: z -> a dense start map -> ``blocks`` residual blocks, each doubling
the resolution (BatchNorm, ReLU, nearest upsampling, 3x3 convolutions, a 1x1
shortcut) -> BatchNorm, ReLU, 3x3 convolution, tanh. Discriminator: the
mirror image with every convolution and the last dense layer spectrally
normalised (ganzoo.layers.spectral_norm, Keras' SpectralNormalization, one power iteration per
step): an "optimised" first block, ``blocks - 1`` residual blocks that halve
the resolution, one that keeps it, ReLU, a sum over positions and a linear
logit. Trained with the hinge loss by default, as in the paper.

ganzoo-sngan 0.1.0 averaged over positions instead of summing: under
spectral normalisation that divides the largest gap between a real and a fake
logit by H * W (49 at 28x28), so the hinge loss's margin of 1 was out of the
discriminator's reach.

Uses only ganzoo's public API: ``ganzoo.Architecture``, ``ganzoo.HParam``,
``ganzoo.ImageSpec``, ``ganzoo.TrainingDefaults`` and the building blocks of
``ganzoo.layers`` (spectral normalisation, the sum over positions, the
nearest upsampling and the residual discriminator block).
"""

from __future__ import annotations

import keras
from keras import layers

from ganzoo import Architecture, HParam, ImageSpec, TrainingDefaults
from ganzoo.layers import SumOverPositions, Upsample, resnet_discriminator_block, resnet_plan, spectral_norm

def _generator_block(x, filters: int):
    shortcut = layers.Conv2D(filters, 1)(Upsample()(x))
    x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    x = layers.Conv2D(filters, 3, padding="same")(Upsample()(x))
    x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return layers.Add()([x, shortcut])


def build_generator(spec: ImageSpec, *, latent_dim: int, width: int, blocks: int) -> keras.Model:
    """z [N, latent_dim] -> images [N, H, W, C] in [-1, 1]."""
    start, blocks = resnet_plan(spec, blocks)
    z = keras.Input((latent_dim,), name="z")
    x = layers.Reshape((start, start, width))(layers.Dense(start * start * width)(z))
    for _ in range(blocks):
        x = _generator_block(x, width)
    x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    images = layers.Conv2D(spec.channels, 3, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model(z, images, name="sngan_generator")


def build_discriminator(spec: ImageSpec, *, width: int, blocks: int) -> keras.Model:
    """images [N, H, W, C] -> logits [N, 1]."""
    _, blocks = resnet_plan(spec, blocks)
    images = keras.Input(spec.shape, name="images")
    x = resnet_discriminator_block(images, width, downsample=True, first=True)
    for _ in range(blocks - 1):
        x = resnet_discriminator_block(x, width, downsample=True)
    x = resnet_discriminator_block(x, width, downsample=False)
    features = SumOverPositions()(layers.ReLU()(x))
    logits = spectral_norm(layers.Dense(1, dtype="float32"))(features)
    return keras.Model(images, logits, name="sngan_discriminator")


# The paper's CIFAR-10 settings (Adam 2e-4, beta_1 0, beta_2 0.9, hinge loss), with a step budget sized for a
# CPU; the paper makes 5 discriminator steps per generator step (`--d-steps 5`), the default here one, as the
# shelf's recipes were trained.
DEFAULTS = TrainingDefaults(loss="hinge", latent_dim=128, batch_size=64, steps=3000, lr=2e-4, beta_1=0.0,
                            beta_2=0.9)

SNGAN = Architecture(
    build_generator, build_discriminator, DEFAULTS,
    hparams=(HParam("width", int, 64, "channels of every residual block (the paper: 128 in G and D)", min=8,
                    max=1024),
             HParam("blocks", int, 0, "residual blocks that double the generator's resolution and halve the "
                    "discriminator's (0: as many as leave a start of at least 4x4)", min=0, max=8)),
    description="SNGAN (Miyato et al. 2018): ResNet generator, spectrally normalised ResNet discriminator, hinge "
                "loss; square sizes divisible by 4",
)
