"""A small style-based GAN (Karras et al. 2019, "A Style-Based Generator Architecture for GANs"; 2020,
"Analyzing and Improving the Image Quality of StyleGAN").

Generator: z -> pixel norm -> ``mapping`` dense layers at a hundredth of the learning rate -> w (``style_dim``)
-> the truncation trick (its psi is the model's ``truncation`` input, which ganzoo exports as the ONNX file's
optional ``truncation``) -> a learned constant at the start size -> one modulated convolution, then per block a
doubling modulated convolution and another, each with per-pixel noise -> a modulated 1x1 "to RGB" without
demodulation -> tanh. While training, style mixing: with probability ``mixing`` the layers from a random cutoff
on take the style of other latents. Discriminator: a ResNet (1x1 "from RGB", residual blocks that halve the
size, scaled by 1/sqrt(2)), minibatch standard deviation, a 3x3 convolution and two dense layers. Every layer
of both has an equalised learning rate. Trained with the non-saturating logistic loss and lazy R1, as
StyleGAN2 is.

With labels (since 0.3.0), class-conditional as StyleGAN2-ADA is: the label's embedding, normalised, joins the
normalised z at the mapping network's input, the discriminator's output is its features projected on the
label's code, and the truncation pulls towards the label's own average w. With a transition (since 0.4.0:
``transition_end`` > 0, in thousands of training images), the label comes in gradually as in Shahbazi et al.
("Collapse by Conditioning", ICLR 2022): its code is multiplied by a factor that rises from 0 (unconditional)
to 1 between ``transition_start`` and ``transition_end``, and the discriminator's output is an unconditional
logit plus the projection times the same factor (a projection discriminator; the paper sums two losses).

Uses only ganzoo's public API (``ganzoo.Architecture``, ``ganzoo.HParam``, ``ganzoo.ImageSpec``,
``ganzoo.TrainingDefaults``).
"""

from __future__ import annotations

import math

import keras
from keras import layers

from ganzoo import WITH_LABELS, Architecture, HParam, ImageSpec, TrainingDefaults
from ganzoo.layers import EqualizedConv2D, EqualizedDense, MinibatchStddev, Ramp
from ganzoo_stylegan.layers import (ConstantInput, LabelEmbedding, MixingCutoff, MixingLatents, MixStyle, PixelNorm,
                                    ScaledLeakyReLU, StyledConv, Truncation)

MAPPING_LR_MULTIPLIER = 0.01  # StyleGAN's: the mapping network learns a hundred times slower than the rest

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


def _transition(start: int, end: int, **kwargs) -> Ramp | None:
    """The label's ramp, or None without a transition (``end`` 0)."""
    if not end:
        return None
    if start > end:
        raise ValueError(f"transition_start ({start}) is after transition_end ({end})")
    return Ramp(start * 1000, end * 1000, name="transition", **kwargs)


def build_generator(spec: ImageSpec, *, latent_dim: int, width: int, mapping: int, style_dim: int,
                    mixing: float = 0.0, transition_start: int = 0, transition_end: int = 0) -> keras.Model:
    """[z [N, latent_dim], (label [N] with a labelled dataset,) truncation [N]] -> images [N, H, W, C] in
    [-1, 1]."""
    start, blocks = plan(spec)
    z = keras.Input((latent_dim,), name="z")
    psi = keras.Input((), name="truncation")
    inputs, label, label_code = [z], None, None
    if spec.num_classes:  # StyleGAN2-ADA: the mapping network takes [normalised z, normalised embedding(label)]
        label = keras.Input((), dtype="int64", name="label")
        inputs.append(label)
        label_code = PixelNorm()(LabelEmbedding(spec.num_classes, style_dim, name="label_embedding")(label))
        ramp = _transition(transition_start, transition_end)
        if ramp is not None:  # 0 at first: the mapping network sees [z, 0] and the generator is unconditional
            label_code = ramp(label_code)
    mapping_layers = [EqualizedDense(style_dim, lr_multiplier=MAPPING_LR_MULTIPLIER, name=f"mapping_{index}")
                      for index in range(mapping)]

    def to_w(latents):
        w = PixelNorm()(latents)
        if label_code is not None:  # both shapes stated (no-op reshapes), or OpenCV 4 refuses the Concat
            w = layers.Concatenate()([layers.Reshape((latent_dim,))(w), layers.Reshape((style_dim,))(label_code)])
        for dense in mapping_layers:
            w = ScaledLeakyReLU()(dense(w))
        return w

    w = Truncation(classes=spec.num_classes, name="truncation_trick")(to_w(z), psi, label)
    w_mix = to_w(MixingLatents()(z))  # the same mapping layers on other latents (dead code while sampling)
    synthesis_layers = 1 + 2 * blocks
    cutoff = MixingCutoff(synthesis_layers, mixing)(w)
    styles = [MixStyle(index)(w, w_mix, cutoff) for index in range(synthesis_layers)]
    x = StyledConv(width)(ConstantInput(start, width)(w), styles[0])
    for block in range(blocks):
        x = StyledConv(width, upsample=True)(x, styles[1 + 2 * block])
        x = StyledConv(width)(x, styles[2 + 2 * block])
    rgb = StyledConv(spec.channels, kernel_size=1, demodulate=False, noise=False, activation=False)(x, styles[-1])
    images = layers.Activation("tanh", dtype="float32")(rgb)
    return keras.Model([*inputs, psi], images, name="stylegan_generator")


def _residual_block(x, filters: int):
    shortcut = layers.AveragePooling2D(2)(EqualizedConv2D(filters, 1)(x))
    x = ScaledLeakyReLU()(EqualizedConv2D(filters, 3)(x))
    x = ScaledLeakyReLU()(EqualizedConv2D(filters, 3)(x))
    x = layers.AveragePooling2D(2)(x)
    return layers.Rescaling(1 / math.sqrt(2))(layers.Add()([x, shortcut]))


def build_discriminator(spec: ImageSpec, *, width: int, transition_start: int = 0,
                        transition_end: int = 0) -> keras.Model:
    """images [N, H, W, C] (+ label [N] with a labelled dataset) -> logits [N, 1]."""
    _, blocks = plan(spec)
    images = keras.Input(spec.shape, name="images")
    x = ScaledLeakyReLU()(EqualizedConv2D(width, 1)(images))
    for _ in range(blocks):
        x = _residual_block(x, width)
    x = ScaledLeakyReLU()(EqualizedConv2D(width, 3)(MinibatchStddev()(x)))
    x = ScaledLeakyReLU()(EqualizedDense(width)(layers.Flatten()(x)))
    if not spec.num_classes:
        logits = EqualizedDense(1, dtype="float32")(x)
        return keras.Model(images, logits, name="stylegan_discriminator")
    # StyleGAN2-ADA's conditional output: features projected on the label's code, <out(x), cmap(label)> / sqrt(d).
    # Its code is an 8-layer mapping of the label; of a one-hot label, any such mapping is a table of one code per
    # class, which one equalised dense layer holds directly.
    label = keras.Input((), dtype="int64", name="label")
    label_code = PixelNorm()(LabelEmbedding(spec.num_classes, width, name="label_code")(label))
    projected = layers.Dot(axes=1)([EqualizedDense(width)(x), label_code])
    logits = layers.Rescaling(1 / math.sqrt(width), dtype="float32")(projected)
    ramp = _transition(transition_start, transition_end, dtype="float32")
    if ramp is not None:  # an unconditional logit, plus the projection as the label comes in
        logits = layers.Add(dtype="float32")([EqualizedDense(1, dtype="float32")(x), ramp(logits)])
    return keras.Model([images, label], logits, name="stylegan_discriminator")


# StyleGAN2's optimiser (Adam beta_1 0, beta_2 0.99) and loss (non-saturating logistic + R1 every 16 steps), at a
# learning rate and step budget sized for a CPU. gamma follows StyleGAN2-ADA's heuristic, 0.0002 * size^2 / batch,
# rounded up for 28x28 at batch 32.
DEFAULTS = TrainingDefaults(loss="nonsaturating", latent_dim=128, batch_size=32, steps=3000, lr=1e-3,
                            beta_1=0.0, beta_2=0.99, r1=0.01, r1_every=16)

STYLEGAN = Architecture(
    build_generator, build_discriminator, DEFAULTS, conditional=WITH_LABELS,
    hparams=(HParam("width", int, 64, "channels of every synthesis and discriminator layer", min=8, max=512),
             HParam("mapping", int, 4, "dense layers of the mapping network z -> w (StyleGAN: 8)", min=1, max=8,
                    model="generator"),
             HParam("style_dim", int, 128, "size of w, the style vector (StyleGAN: 512)", min=8, max=1024,
                    model="generator"),
             HParam("mixing", float, 0.9, "style mixing regularisation: the share of batches whose layers from a "
                    "random cutoff on take another latent's style (StyleGAN: 0.9; 0 turns it off)", min=0.0,
                    max=1.0, model="generator"),
             HParam("transition_start", int, 0, "with labels and a transition_end: thousands of training images "
                    "before the label starts to come in (Shahbazi et al. 2022)", min=0, max=1_000_000),
             HParam("transition_end", int, 0, "with labels: thousands of training images by which the label has "
                    "fully come in, from unconditional training at first (0: conditional from the start)",
                    min=0, max=1_000_000)),
    description="small StyleGAN2-style generator (mapping network at 0.01x the learning rate, modulated "
                "convolutions, per-layer noise, style mixing, truncation at sampling time) and ResNet "
                "discriminator with minibatch standard deviation, every layer with an equalised learning rate; "
                "non-saturating loss + lazy R1",
)
