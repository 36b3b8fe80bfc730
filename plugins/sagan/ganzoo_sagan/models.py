"""SAGAN (Zhang et al., "Self-Attention Generative Adversarial Networks", 2019), class-conditional as BigGAN
(Brock et al. 2019) makes it when the dataset has labels.

Built on SNGAN's residual networks, with spectral normalisation in both networks and
one self-attention block in each, at the resolution the ``attention`` hyperparameter names. With labels:
the generator's batch normalisations are conditional (gain and bias from a class embedding shared by every
block, each through its own spectrally normalised linear map) and the discriminator is a projection
discriminator (logit + <embedding(label), features>). Without labels: plain batch normalisation and no
projection. Hinge loss by default, as in both papers.

As BigGAN does, the features are summed over positions (``ganzoo.layers.SumOverPositions``), not
averaged, and the class embeddings start large: the generator's at N(0, 1), the projection's orthogonal and
spectrally normalised. Averaged features and Keras' default embeddings (uniform +-0.05) left both the
logit and the label's part in it so small that, after 2,964 steps at width 32, the classifier agreed with
the label asked for in 13.5 % of the samples (10 % is chance): the label did not steer. With them, the same
recipe's agreement is 98-99.7 % over 3 seeds.

Uses only ganzoo's public API, its building blocks from ``ganzoo.layers`` included (since ganzoo-sagan
0.3.0: no longer sngan's private ones, so it no longer needs ganzoo-sngan installed).
"""

from __future__ import annotations

import keras
from keras import layers

from ganzoo import WITH_LABELS, Architecture, HParam, ImageSpec, TrainingDefaults
from ganzoo.layers import (SumOverPositions, Upsample, class_embedding, conditional_batch_norm, projection_logits,
                           resnet_discriminator_block, resnet_plan, self_attention, spectral_norm)


def attention_resolutions(spec: ImageSpec) -> list[int]:
    """Where both networks have feature maps: the generator's start size and every doubling below the image
    size (the discriminator halves through the same sizes)."""
    start, blocks = resnet_plan(spec, 0)
    return [start * 2 ** i for i in range(blocks)]


def attention_at(spec: ImageSpec, attention: int) -> int:
    """The attention resolution for ``attention`` (0: the largest possible); ValueError naming the valid ones."""
    valid = attention_resolutions(spec)
    if attention == 0:
        return valid[-1]
    if attention not in valid:
        raise ValueError(f"attention = {attention} is not a resolution both networks have at "
                         f"{spec.height}x{spec.width}: one of {', '.join(map(str, valid))} (0: the largest)")
    return attention


def _generator_block(x, filters: int, embedding):
    shortcut = spectral_norm(layers.Conv2D(filters, 1))(Upsample()(x))
    x = layers.ReLU()(conditional_batch_norm(x, embedding))
    x = spectral_norm(layers.Conv2D(filters, 3, padding="same"))(Upsample()(x))
    x = layers.ReLU()(conditional_batch_norm(x, embedding))
    x = spectral_norm(layers.Conv2D(filters, 3, padding="same"))(x)
    return layers.Add()([x, shortcut])


def build_generator(spec: ImageSpec, *, latent_dim: int, width: int, attention: int, embedding: int):
    """z [N, latent_dim] (+ label [N] with a labelled dataset) -> images [N, H, W, C] in [-1, 1]."""
    start, blocks = resnet_plan(spec, 0)
    at = attention_at(spec, attention)
    z = keras.Input((latent_dim,), name="z")
    inputs, classes = [z], None
    if spec.num_classes:
        label = keras.Input((), dtype="int64", name="label")
        inputs.append(label)
        classes = class_embedding(label, spec.num_classes, embedding)
    x = layers.Reshape((start, start, width))(spectral_norm(layers.Dense(start * start * width))(z))
    size = start
    for _ in range(blocks):
        if size == at:
            x = self_attention(x)
        x, size = _generator_block(x, width, classes), size * 2
    x = layers.ReLU()(conditional_batch_norm(x))
    images = layers.Conv2D(spec.channels, 3, padding="same", activation="tanh", dtype="float32")(x)
    return keras.Model(inputs if classes is not None else z, images, name="sagan_generator")


def build_discriminator(spec: ImageSpec, *, width: int, attention: int):
    """images [N, H, W, C] (+ label [N] with a labelled dataset) -> logits [N, 1]."""
    _, blocks = resnet_plan(spec, 0)
    at = attention_at(spec, attention)
    images = keras.Input(spec.shape, name="images")
    x, size = resnet_discriminator_block(images, width, downsample=True, first=True), spec.height // 2
    for _ in range(blocks - 1):
        if size == at:
            x = self_attention(x)
        x, size = resnet_discriminator_block(x, width, downsample=True), size // 2
    if size == at:
        x = self_attention(x)
    x = resnet_discriminator_block(x, width, downsample=False)
    features = SumOverPositions()(layers.ReLU()(x))
    logits = spectral_norm(layers.Dense(1, dtype="float32"))(features)
    if not spec.num_classes:
        return keras.Model(images, logits, name="sagan_discriminator")
    label = keras.Input((), dtype="int64", name="label")
    return keras.Model([images, label], projection_logits(logits, features, label, spec.num_classes),
                       name="sagan_discriminator")


# SAGAN's training rule: the hinge loss and Adam (beta_1 0, beta_2 0.9) at two time scales, the discriminator at
# 4e-4 and the generator at 1e-4 (since 0.4.0; measured here at width 32 on the embedded MNIST over 3 seeds: FID
# 9.6 after 35 epochs against 13.6 with one rate of 2e-4 for 38, recall 0.66 against 0.27), with a CPU's step budget.
DEFAULTS = TrainingDefaults(loss="hinge", latent_dim=128, batch_size=64, steps=3000, lr_d=4e-4, lr_g=1e-4,
                            beta_1=0.0, beta_2=0.9)

SAGAN = Architecture(
    build_generator, build_discriminator, DEFAULTS, conditional=WITH_LABELS,
    hparams=(HParam("width", int, 64, "channels of every residual block", min=8, max=1024),
             HParam("attention", int, 0, "side of the feature maps that get self-attention, in both networks "
                    "(0: the largest possible: 14 at 28x28, 16 at 32x32, 32 at 64x64)", min=0, max=1024),
             HParam("embedding", int, 128, "size of the shared class embedding of the conditional batch "
                    "normalisations (labelled data only)", min=1, max=1024, model="generator")),
    description="SAGAN (Zhang et al. 2019): self-attention + spectral normalisation on sngan's ResNets, hinge "
                "loss; class-conditional (conditional BN, projection D) on labelled data",
)
