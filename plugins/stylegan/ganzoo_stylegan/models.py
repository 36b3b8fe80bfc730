"""A small style-based GAN (Karras et al. 2019, "A Style-Based Generator Architecture for GANs"; 2020,
"Analyzing and Improving the Image Quality of StyleGAN").

Generator: z -> pixel norm -> ``mapping`` dense layers -> w (``style_dim``) -> the truncation trick (its psi
is the model's ``truncation`` input, which ganzoo exports as the ONNX file's optional ``truncation``) -> a
learned constant at the start size -> one modulated convolution, then per block a doubling modulated
convolution and another, each with per-pixel noise -> a modulated 1x1 "to RGB" without demodulation -> tanh.
Discriminator: a ResNet (1x1 "from RGB", residual blocks that halve the size, scaled by 1/sqrt(2)),
minibatch standard deviation, a 3x3 convolution and two dense layers. Trained with the non-saturating
logistic loss and the R1 penalty, as StyleGAN2 is.

Uses only ganzoo's public API (``ganzoo.Architecture``, ``ganzoo.HParam``, ``ganzoo.ImageSpec``,
``ganzoo.TrainingDefaults``).
"""

from __future__ import annotations

import math

import keras
from keras import layers

from ganzoo import Architecture, HParam, ImageSpec, TrainingDefaults
from ganzoo.layers import MinibatchStddev
from ganzoo_stylegan.layers import ConstantInput, PixelNorm, StyledConv, Truncation

LARGEST_START = 8


def plan(spec: ImageSpec) -> tuple[int, int]:
    """(start size, doubling blocks): halve a square size while it stays even and at least 4."""
    if spec.height != spec.width:
        raise ValueError(f"stylegan needs square images, got {spec.height}x{spec.width}")
    start, blocks = spec.height, 0
    while start % 2 == 0 and start // 2 >= 4:
        start, blocks = start // 2, blocks + 1
    if start > LARGEST_START or blocks == 0:
        raise ValueError(f"stylegan needs a size that halves down to a start of 4 to {LARGEST_START} "
                         f"(28, 32, 64, …), got {spec.height}x{spec.width}")
    return start, blocks


def build_generator(spec: ImageSpec, *, latent_dim: int, width: int, mapping: int, style_dim: int) -> keras.Model:
    """[z [N, latent_dim], truncation [N]] -> images [N, H, W, C] in [-1, 1]."""
    start, blocks = plan(spec)
    z = keras.Input((latent_dim,), name="z")
    psi = keras.Input((), name="truncation")
    w = PixelNorm()(z)
    for index in range(mapping):
        w = layers.LeakyReLU(0.2)(layers.Dense(style_dim, name=f"mapping_{index}")(w))
    w = Truncation(name="truncation_trick")(w, psi)
    x = StyledConv(width)(ConstantInput(start, width)(w), w)
    for _ in range(blocks):
        x = StyledConv(width)(StyledConv(width, upsample=True)(x, w), w)
    rgb = StyledConv(spec.channels, kernel_size=1, demodulate=False, noise=False, activation=False)(x, w)
    images = layers.Activation("tanh", dtype="float32")(rgb)
    return keras.Model([z, psi], images, name="stylegan_generator")


def _residual_block(x, filters: int):
    shortcut = layers.AveragePooling2D(2)(layers.Conv2D(filters, 1, use_bias=False)(x))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 3, padding="same")(x))
    x = layers.LeakyReLU(0.2)(layers.Conv2D(filters, 3, padding="same")(x))
    x = layers.AveragePooling2D(2)(x)
    return layers.Rescaling(1 / math.sqrt(2))(layers.Add()([x, shortcut]))


def build_discriminator(spec: ImageSpec, *, width: int) -> keras.Model:
    """images [N, H, W, C] -> logits [N, 1]."""
    _, blocks = plan(spec)
    images = keras.Input(spec.shape, name="images")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 1)(images))
    for _ in range(blocks):
        x = _residual_block(x, width)
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 3, padding="same")(MinibatchStddev()(x)))
    x = layers.LeakyReLU(0.2)(layers.Dense(width)(layers.Flatten()(x)))
    logits = layers.Dense(1, dtype="float32")(x)
    return keras.Model(images, logits, name="stylegan_discriminator")


# StyleGAN2's optimiser (Adam beta_1 0, beta_2 0.99) and loss (non-saturating logistic + R1), at a learning
# rate and step budget sized for a CPU. gamma follows StyleGAN2-ADA's heuristic, 0.0002 * size^2 / batch,
# rounded up for 28x28 at batch 32.
DEFAULTS = TrainingDefaults(loss="nonsaturating", latent_dim=128, batch_size=32, steps=3000, lr=1e-3,
                            beta_1=0.0, beta_2=0.99, r1=0.01)

STYLEGAN = Architecture(
    build_generator, build_discriminator, DEFAULTS,
    hparams=(HParam("width", int, 64, "channels of every synthesis and discriminator layer", min=8, max=512),
             HParam("mapping", int, 4, "dense layers of the mapping network z -> w (StyleGAN: 8)", min=1, max=8,
                    model="generator"),
             HParam("style_dim", int, 128, "size of w, the style vector (StyleGAN: 512)", min=8, max=1024,
                    model="generator")),
    description="small StyleGAN2-style generator (mapping network, modulated convolutions, per-layer noise, "
                "truncation at sampling time) and ResNet discriminator; non-saturating loss + R1",
)
