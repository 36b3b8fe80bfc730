"""A fully connected GAN (Goodfellow et al. 2014), for any image size."""

import keras
from keras import layers

from ganzoo import ImageSpec, TrainingDefaults


def build_generator(spec: ImageSpec, *, latent_dim: int = 64) -> keras.Model:
    """z [N, latent_dim] -> images [N, H, W, C] in [-1, 1]."""
    return keras.Sequential([
        keras.Input((latent_dim,), name="z"),
        layers.Dense(256), layers.LeakyReLU(0.2),
        layers.Dense(512), layers.LeakyReLU(0.2),
        layers.Dense(spec.height * spec.width * spec.channels, activation="tanh"),
        layers.Reshape(spec.shape),
    ], name="mlp_generator")


def build_discriminator(spec: ImageSpec) -> keras.Model:
    """images [N, H, W, C] -> logits [N, 1]."""
    return keras.Sequential([
        keras.Input(spec.shape, name="images"),
        layers.Flatten(),
        layers.Dense(512), layers.LeakyReLU(0.2),
        layers.Dense(256), layers.LeakyReLU(0.2),
        layers.Dense(1),
    ], name="mlp_discriminator")


# What this architecture trains well with; the command line overrides any of it.
build_generator.defaults = TrainingDefaults(loss="ragan", latent_dim=64, batch_size=64, steps=3000, lr=2e-4,
                                            beta_1=0.5)
