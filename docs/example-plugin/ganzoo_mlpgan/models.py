"""A fully connected GAN (Goodfellow et al. 2014), for any image size."""

import keras
from keras import layers

from ganzoo import Architecture, HParam, ImageSpec, TrainingDefaults


def build_generator(spec: ImageSpec, *, latent_dim: int, hidden: int) -> keras.Model:
    """z [N, latent_dim] -> images [N, H, W, C] in [-1, 1]."""
    return keras.Sequential([
        keras.Input((latent_dim,), name="z"),
        layers.Dense(hidden // 2), layers.LeakyReLU(0.2),
        layers.Dense(hidden), layers.LeakyReLU(0.2),
        layers.Dense(spec.height * spec.width * spec.channels, activation="tanh"),
        layers.Reshape(spec.shape),
    ], name="mlp_generator")


def build_discriminator(spec: ImageSpec, *, hidden: int) -> keras.Model:
    """images [N, H, W, C] -> logits [N, 1]."""
    return keras.Sequential([
        keras.Input(spec.shape, name="images"),
        layers.Flatten(),
        layers.Dense(hidden), layers.LeakyReLU(0.2),
        layers.Dense(hidden // 2), layers.LeakyReLU(0.2),
        layers.Dense(1),
    ], name="mlp_discriminator")


MLPGAN = Architecture(
    build_generator, build_discriminator,
    # What this architecture trains well with; the command line and recipes override any of it.
    defaults=TrainingDefaults(loss="ragan", latent_dim=64, batch_size=64, steps=3000, lr=2e-4, beta_1=0.5),
    hparams=[HParam("hidden", int, 512, "units of the widest hidden layer of both networks", min=16, max=8192)],
    description="Goodfellow et al.'s fully connected GAN",
)
