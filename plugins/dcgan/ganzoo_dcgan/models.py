"""The tutorial's DCGAN generator and discriminator, sized from the data.

For 28x28 images the networks are exactly the tutorial's (with its two bugs
fixed: the output has the data's channel count, and pixels are in [-1, 1]).
Other square sizes that are a power of two >= 32 start from 8x8 instead of
7x7 and add one stride-2 layer per doubling. ``width`` scales every layer's
filters (64: the tutorial's), ``dropout`` is the discriminator's.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from ganzoo import Architecture, HParam, ImageSpec, TrainingDefaults

KERNEL = 5

# Measured on the embedded 5,000-image MNIST (docs/training.md): the tutorial's
# batch 256 / Adam 1e-4 / 50 epochs (950 steps) gives blotches at this data
# size; these give digits of every class. The length is a step budget, so the
# full 60,000-image MNIST gets 5 epochs, not 60: the same time, not 12x.
DEFAULTS = TrainingDefaults(loss="nonsaturating", latent_dim=100, batch_size=64, steps=4680,
                            lr=2e-4, beta_1=0.5, beta_2=0.999)


def _plan(spec: ImageSpec) -> tuple[int, int]:
    """(start size, number of stride-2 upsamplings) for a square image size."""
    size = spec.height
    if spec.height != spec.width:
        raise ValueError(f"dcgan needs square images, got {spec.height}x{spec.width}")
    if size == 28:
        return 7, 2
    if size >= 32 and size & (size - 1) == 0:
        return 8, int(math.log2(size // 8))
    raise ValueError(f"dcgan supports 28x28 and square powers of two >= 32 (32, 64, 128, ...), got {size}x{size}")


def build_generator(spec: ImageSpec, *, latent_dim: int = 100, width: int = 64) -> keras.Model:
    """z [N, latent_dim] -> images [N, H, W, C] in [-1, 1] (tanh)."""
    start, ups = _plan(spec)
    # Filters of the stride-2 layers before the last one: the tutorial's 64 at
    # 28/32, doubling towards the start for every extra upsampling.
    up_filters = [width * 2 ** (ups - 2 - i) for i in range(ups - 1)]
    model = keras.Sequential(name="dcgan_generator")
    model.add(keras.Input((latent_dim,), name="z"))
    model.add(layers.Dense(start * start * 4 * width, use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    model.add(layers.Reshape((start, start, 4 * width)))
    model.add(layers.Conv2DTranspose(2 * width, KERNEL, strides=1, padding="same", use_bias=False))
    model.add(layers.BatchNormalization())
    model.add(layers.LeakyReLU())
    for filters in up_filters:
        model.add(layers.Conv2DTranspose(filters, KERNEL, strides=2, padding="same", use_bias=False))
        model.add(layers.BatchNormalization())
        model.add(layers.LeakyReLU())
    model.add(layers.Conv2DTranspose(spec.channels, KERNEL, strides=2, padding="same", use_bias=False,
                                     activation="tanh", dtype="float32"))
    return model


def build_discriminator(spec: ImageSpec, *, width: int = 64, dropout: float = 0.3) -> keras.Model:
    """images [N, H, W, C] -> logits [N, 1]."""
    _, downs = _plan(spec)
    model = keras.Sequential(name="dcgan_discriminator")
    model.add(keras.Input(spec.shape, name="images"))
    for i in range(downs):
        model.add(layers.Conv2D(width * 2 ** i, KERNEL, strides=2, padding="same"))
        model.add(layers.LeakyReLU())
        model.add(layers.Dropout(dropout))
    model.add(layers.Flatten())
    model.add(layers.Dense(1, dtype="float32"))
    return model


DCGAN = Architecture(
    build_generator, build_discriminator, DEFAULTS,
    hparams=(HParam("width", int, 64, "filters of the widest stride-2 layer; the others scale with it "
                    "(64: the tutorial's)", min=4, max=1024),
             HParam("dropout", float, 0.3, "dropout after each discriminator convolution", min=0, max=0.9,
                    model="discriminator")),
    description="TensorFlow's DCGAN tutorial (28x28, or square powers of two >= 32)")
