"""Conditional DCGAN (Mirza & Osindero 2014, with DCGAN's convolutions).

The generator sees the latent vector and a learned embedding of the class
label (concatenated to z, and as an extra channel of its first feature map);
the discriminator is a projection discriminator: the inner product of a label
embedding with its image features is added to its unconditional logit. Uses only ganzoo's public API (``ganzoo.ImageSpec``,
``ganzoo.Architecture``, ``ganzoo.HParam``, ``ganzoo.TrainingDefaults``). Supports 28x28 and square powers of
two >= 32.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from ganzoo import Architecture, HParam, ImageSpec, TrainingDefaults

KERNEL = 5

DEFAULTS = TrainingDefaults(loss="nonsaturating", latent_dim=100, batch_size=64, epochs=10, lr=2e-4, beta_1=0.5,
                            beta_2=0.999)


def _plan(spec: ImageSpec) -> tuple[int, int]:
    if not spec.num_classes:
        raise ValueError("cdcgan is conditional: it needs a dataset with class labels")
    if spec.height != spec.width:
        raise ValueError(f"cdcgan needs square images, got {spec.height}x{spec.width}")
    size = spec.height
    if size == 28:
        return 7, 2
    if size >= 32 and size & (size - 1) == 0:
        return 8, int(math.log2(size // 8))
    raise ValueError(f"cdcgan supports 28x28 and square powers of two >= 32, got {size}x{size}")


def build_generator(spec: ImageSpec, *, latent_dim: int = 100, embedding: int = 50) -> keras.Model:
    """(z [N, latent_dim], label [N]) -> images [N, H, W, C] in [-1, 1]."""
    start, ups = _plan(spec)
    z = keras.Input((latent_dim,), name="z")
    label = keras.Input((), dtype="int64", name="label")
    label_embedding = layers.Embedding(spec.num_classes, embedding)(label)
    label_map = layers.Reshape((start, start, 1))(layers.Dense(start * start)(label_embedding))
    x = layers.Dense(start * start * 256, use_bias=False)(layers.Concatenate()([z, label_embedding]))
    x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    x = layers.Concatenate()([layers.Reshape((start, start, 256))(x), label_map])
    x = layers.Conv2DTranspose(128, KERNEL, strides=1, padding="same", use_bias=False)(x)
    x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    for i in range(ups - 1):
        x = layers.Conv2DTranspose(64 * 2 ** (ups - 2 - i), KERNEL, strides=2, padding="same", use_bias=False)(x)
        x = layers.LeakyReLU()(layers.BatchNormalization()(x))
    images = layers.Conv2DTranspose(spec.channels, KERNEL, strides=2, padding="same", use_bias=False,
                                    activation="tanh", dtype="float32")(x)
    return keras.Model([z, label], images, name="cdcgan_generator")


def build_discriminator(spec: ImageSpec, *, dropout: float = 0.3) -> keras.Model:
    """(images [N, H, W, C], label [N]) -> logits [N, 1], a projection discriminator (Miyato & Koyama 2018):
    logit = w.h + embed(label).h on the image features h, which learns the condition fast."""
    _, downs = _plan(spec)
    images = keras.Input(spec.shape, name="images")
    label = keras.Input((), dtype="int64", name="label")
    x = images
    for i in range(downs):
        x = layers.Conv2D(64 * 2 ** i, KERNEL, strides=2, padding="same")(x)
        x = layers.Dropout(dropout)(layers.LeakyReLU()(x))
    features = layers.Flatten()(x)
    unconditional = layers.Dense(1, dtype="float32")(features)
    projection = layers.Dot(axes=1)([features, layers.Embedding(spec.num_classes, features.shape[-1])(label)])
    logits = layers.Add(dtype="float32")([unconditional, projection])
    return keras.Model([images, label], logits, name="cdcgan_discriminator")




CDCGAN = Architecture(
    build_generator, build_discriminator, DEFAULTS, conditional=True,
    hparams=(HParam("embedding", int, 50, "size of the generator's class embedding", min=1, max=1024,
                    model="generator"),
             HParam("dropout", float, 0.3, "dropout after each discriminator convolution", min=0, max=0.9,
                    model="discriminator")),
    description="class-conditional DCGAN with a projection discriminator (needs labels)")
