"""SNGAN (Miyato et al., "Spectral Normalization for Generative Adversarial Networks", 2018), ResNet variant,
class-conditional on labelled data as in its authors' "cGANs with Projection Discriminator" (Miyato and Koyama
2018), the form PyTorch-StudioGAN benchmarks as SNGAN.

Generator: z -> a dense start map -> ``blocks`` residual blocks, each doubling
the resolution (BatchNorm, ReLU, nearest upsampling, 3x3 convolutions, a 1x1
shortcut) -> BatchNorm, ReLU, 3x3 convolution, tanh. Discriminator: the
mirror image with every convolution and the last dense layer spectrally
normalised (ganzoo.layers.spectral_norm, Keras' SpectralNormalization, one power iteration per
step): an "optimised" first block, ``blocks - 1`` residual blocks that halve
the resolution, one that keeps it, ReLU, a sum over positions and a linear
logit. Trained with the hinge loss by default, as in the paper.

With labels (since 0.3.0): the generator's batch normalisations are conditional (``ganzoo.layers.
conditional_batch_norm``, gain and bias from one class embedding shared by every block, N(0, 1) as in
BigGAN) and the discriminator adds a projection, <embedding(label), features>, to its logit. Unconditional on
the embedded MNIST, the best of three recipes (two learning rates, EMA, augmentation, R1) was at FID 37.6 after 40
epochs and falling by a few points per ten epochs, where the DCGAN's entry is at 26.7 (docs/training.md).

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

from ganzoo import WITH_LABELS, Architecture, HParam, ImageSpec, TrainingDefaults
from ganzoo.layers import (SumOverPositions, Upsample, class_embedding, conditional_batch_norm,
                           projection_logits, resnet_discriminator_block, resnet_plan, spectral_norm)

EMBEDDING = 128  # the shared class embedding's size (BigGAN's, and ganzoo-sagan's default)


def _generator_block(x, filters: int, classes):
    shortcut = layers.Conv2D(filters, 1)(Upsample()(x))
    x = layers.ReLU()(conditional_batch_norm(x, classes))
    x = layers.Conv2D(filters, 3, padding="same")(Upsample()(x))
    x = layers.ReLU()(conditional_batch_norm(x, classes))
    x = layers.Conv2D(filters, 3, padding="same")(x)
    return layers.Add()([x, shortcut])


def build_generator(spec: ImageSpec, *, latent_dim: int, width: int, blocks: int) -> keras.Model:
    """z [N, latent_dim] (+ label [N] with a labelled dataset) -> images [N, H, W, C] in [-1, 1]."""
    start, blocks = resnet_plan(spec, blocks)
    z = keras.Input((latent_dim,), name="z")
    inputs, classes = [z], None
    if spec.num_classes:
        label = keras.Input((), dtype="int64", name="label")
        inputs.append(label)
        classes = class_embedding(label, spec.num_classes, EMBEDDING)
    x = layers.Reshape((start, start, width))(layers.Dense(start * start * width)(z))
    for _ in range(blocks):
        x = _generator_block(x, width, classes)
    x = layers.ReLU()(layers.BatchNormalization(synchronized=True)(x))
    images = layers.Conv2D(spec.channels, 3, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model(inputs if classes is not None else z, images, name="sngan_generator")


def build_discriminator(spec: ImageSpec, *, width: int, blocks: int) -> keras.Model:
    """images [N, H, W, C] (+ label [N] with a labelled dataset) -> logits [N, 1]."""
    _, blocks = resnet_plan(spec, blocks)
    images = keras.Input(spec.shape, name="images")
    x = resnet_discriminator_block(images, width, downsample=True, first=True)
    for _ in range(blocks - 1):
        x = resnet_discriminator_block(x, width, downsample=True)
    x = resnet_discriminator_block(x, width, downsample=False)
    features = SumOverPositions()(layers.ReLU()(x))
    logits = spectral_norm(layers.Dense(1, dtype="float32"))(features)
    if not spec.num_classes:
        return keras.Model(images, logits, name="sngan_discriminator")
    label = keras.Input((), dtype="int64", name="label")
    return keras.Model([images, label], projection_logits(logits, features, label, spec.num_classes),
                       name="sngan_discriminator")


# The paper's CIFAR-10 settings (Adam 2e-4, beta_1 0, beta_2 0.9, hinge loss), with a step budget sized for a
# CPU; the paper makes 5 discriminator steps per generator step (`--d-steps 5`), the default here one, as the
# shelf's recipes were trained.
DEFAULTS = TrainingDefaults(loss="hinge", latent_dim=128, batch_size=64, steps=3000, lr=2e-4, beta_1=0.0,
                            beta_2=0.9)

SNGAN = Architecture(
    build_generator, build_discriminator, DEFAULTS, conditional=WITH_LABELS,
    hparams=(HParam("width", int, 64, "channels of every residual block (the paper: 128 in G and D)", min=8,
                    max=1024),
             HParam("blocks", int, 0, "residual blocks that double the generator's resolution and halve the "
                    "discriminator's (0: as many as leave a start of at least 4x4)", min=0, max=8)),
    description="SNGAN (Miyato et al. 2018): ResNet generator, spectrally normalised ResNet discriminator, hinge "
                "loss; class-conditional (conditional BN, projection D) on labelled data; square sizes divisible "
                "by 4",
)
