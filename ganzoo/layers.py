"""GAN building blocks that more than one family uses, public for third-party plugins (as ``timm.layers`` is
for image models).

Every block computes in its Keras dtype policy's compute dtype (mixed precision works), keeps its state as
weights (checkpoints, the EMA copy and the ONNX export see it), and exports to ONNX with parity in
onnxruntime (tests/test_layers.py). Where Keras' own layer exports operators that OpenCV 4 cannot run, the
block is written another way, as its docstring says (the plugins' exports built on them are checked in
OpenCV by their own tests, not each block here).

- :func:`spectral_norm` (:class:`SpectralNormalization`): a layer's kernel divided by its largest singular value
  (Miyato et al. 2018);
- :class:`SumOverPositions`: [N, H, W, C] -> [N, C], the sum a spectrally normalised discriminator needs;
- :class:`Upsample`: nearest-neighbour doubling;
- :func:`resnet_plan`, :func:`resnet_discriminator_block`: SNGAN's residual discriminator;
- :func:`self_attention` (with :class:`Attend`, :class:`LearnedScale`): SAGAN's block (Zhang et al. 2019);
- :class:`OneHot`, :func:`class_embedding`, :func:`conditional_batch_norm`, :func:`projection_logits`:
  class-conditional batch normalisation (BigGAN's, from a shared embedding), a spectrally normalisable label
  embedding, and the projection discriminator's label term (Miyato and Koyama 2018);
- :class:`MinibatchStddev`: the batch's feature spread as one more map (Karras et al. 2018);
- :class:`EqualizedDense`, :class:`EqualizedConv2D`: the equalised learning rate of ProGAN and StyleGAN,
  with StyleGAN's learning-rate multiplier (0.01 in its mapping network);
- :class:`Ramp`: its input times a weight that rises from 0 to 1 over a span of training images (the transition
  from unconditional to conditional training of Shahbazi et al. 2022), the one block the shared loop feeds: it
  sets every Ramp's count of images trained on before each step.

Changing what a block computes changes every plugin built on it: a block's behaviour changes only with a
note in the CHANGELOG, and its tests pin it (tests/test_layers.py).
"""

from __future__ import annotations

import keras
import tensorflow as tf
from keras import layers, ops

from ganzoo.plugins.interfaces import ImageSpec

EPSILON = 1e-8


def spectral_norm(layer: layers.Layer, power_iterations: int = 1) -> layers.Layer:
    """``layer`` (a Dense or a convolution) with its kernel divided by an estimate of its largest singular value,
    refined by ``power_iterations`` steps of the power method at every training step (Keras'
    SpectralNormalization); at inference the last estimate is used."""
    return SpectralNormalization(layer, power_iterations=power_iterations)


@keras.saving.register_keras_serializable(package="ganzoo")
class SpectralNormalization(layers.SpectralNormalization):
    """Keras' SpectralNormalization with the same weights, the same arithmetic and the same updates, less its
    ``tf.cond``: Keras skips an all-zero kernel with a conditional, whose branches TensorFlow turns into functions
    and differentiates on every call when it traces a training step (23 s for one SAGAN step on 2 cores, a
    third of that without it). A ``where`` keeps the skip: an all-zero kernel and its estimate stay as they are."""

    def call(self, inputs, training=False):
        if training:
            vector_u, kernel = self.normalized_weights()
            zero = ops.all(ops.equal(self.kernel.value, 0))
            self.vector_u.assign(ops.where(zero, self.vector_u.value, vector_u))
            self.kernel.assign(ops.where(zero, self.kernel.value, kernel))
        return ops.cast(self.layer(inputs), inputs.dtype)


class SumOverPositions(layers.Layer):
    """[N, H, W, C] -> [N, C]: the sum over positions, which keeps a real and a fake image as far apart as the
    whole map does (a mean divides their logits' difference by H * W under spectral normalisation's bound)."""

    def call(self, x):
        return ops.sum(x, axis=(1, 2))


class Upsample(layers.Layer):
    """Nearest-neighbour doubling, written as DepthToSpace of four copies of the channels: the same values as
    UpSampling2D, whose exported Shape and Tile operators OpenCV 4 cannot run."""

    def call(self, x):
        return tf.nn.depth_to_space(ops.concatenate([x] * 4, axis=-1), 2)


MIN_START = 2  # the smallest map a ResNet generator may grow from


def resnet_plan(spec: ImageSpec, blocks: int) -> tuple[int, int]:
    """(start size, blocks) of a ResNet that doubles a square map ``blocks`` times up to the image size (or a
    discriminator that halves it as often): ``blocks`` 0 takes as many as leave a start of at least 4.
    ValueError saying what fits."""
    if spec.height != spec.width:
        raise ValueError(f"needs square images, got {spec.height}x{spec.width}")
    size = spec.height
    most = max((n for n in range(1, 9) if size % 2 ** n == 0 and size // 2 ** n >= MIN_START), default=0)
    if most == 0:
        raise ValueError(f"needs an image size divisible by 2 with a start of at least {MIN_START}, "
                         f"got {size}x{size}")
    if blocks == 0:
        blocks = max(n for n in range(1, most + 1) if size // 2 ** n >= 4 or n == 1)
    if blocks > most:
        raise ValueError(f"blocks = {blocks} does not fit {size}x{size}: at most {most} (each block halves the "
                         f"size, which must stay a whole number of at least {MIN_START})")
    return size // 2 ** blocks, blocks


def resnet_discriminator_block(x, filters: int, downsample: bool, first: bool = False):
    """SNGAN's residual discriminator block, every convolution spectrally normalised: ReLU, 3x3, ReLU, 3x3,
    average pooling when ``downsample``, plus a 1x1 shortcut; ``first``: the "optimised" block that starts from
    images (no ReLU on its input; pool, then project)."""
    shortcut = x
    if not first:
        x = layers.ReLU()(x)
    x = spectral_norm(layers.Conv2D(filters, 3, padding="same"))(x)
    x = spectral_norm(layers.Conv2D(filters, 3, padding="same"))(layers.ReLU()(x))
    if downsample:
        x = layers.AveragePooling2D(2)(x)
    if first:
        shortcut = spectral_norm(layers.Conv2D(filters, 1))(layers.AveragePooling2D(2)(shortcut))
    elif downsample or shortcut.shape[-1] != filters:
        shortcut = spectral_norm(layers.Conv2D(filters, 1))(shortcut)
        if downsample:
            shortcut = layers.AveragePooling2D(2)(shortcut)
    return layers.Add()([x, shortcut])


class LearnedScale(layers.Layer):
    """x * gamma with gamma starting at 0: a block that begins as the identity of its residual branch."""

    def build(self, shape):
        self.gamma = self.add_weight(shape=(), initializer="zeros", name="gamma")

    def call(self, x):
        return x * ops.cast(self.gamma, x.dtype)


class Attend(layers.Layer):
    """softmax(query keys^T) values over the positions of square [N, S, S, C] maps, back as [N, S, S, C_values].

    Reshapes to a fixed (-1, positions, channels) and a plain MatMul: the exported graph then has no Shape
    operator or batched transposes, which OpenCV 4 cannot run (keras' Reshape and Dot layers export both).
    """

    def call(self, query, key, value):
        size, positions = query.shape[1], query.shape[1] * query.shape[2]

        def flat(x):
            return ops.reshape(x, (-1, positions, x.shape[-1]))

        weights = ops.softmax(ops.matmul(flat(query), ops.transpose(flat(key), (0, 2, 1))), axis=-1)
        return ops.reshape(ops.matmul(weights, flat(value)), (-1, size, size, value.shape[-1]))


def self_attention(x):
    """x + gamma * (every position attending to every other), with 1x1 spectrally normalised projections (query
    and key C/8 channels, value C/2). gamma starts at 0, so the block starts as the identity."""
    channels = x.shape[-1]
    key_channels, value_channels = max(channels // 8, 1), max(channels // 2, 1)
    query, key, value = (spectral_norm(layers.Conv2D(filters, 1, use_bias=False))(x)
                         for filters in (key_channels, key_channels, value_channels))
    out = spectral_norm(layers.Conv2D(channels, 1, use_bias=False))(Attend()(query, key, value))
    return layers.Add()([x, LearnedScale()(out)])


class OneHot(layers.Layer):
    """Labels [N] -> one-hot [N, classes], so that a spectrally normalised Dense is an embedding lookup
    (keras' SpectralNormalization casts an Embedding's output to its integer input's type)."""

    def __init__(self, classes: int, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes

    def call(self, labels):
        return ops.one_hot(labels, self.classes, dtype=self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}


def conditional_batch_norm(x, embedding=None):
    """Batch normalisation; class-conditional when given a class ``embedding`` [N, E]: normalised without its
    own scale and shift, then times a gain 1 + f(e) and plus a bias g(e), f and g spectrally normalised linear
    maps (BigGAN's, from an embedding shared by every block). Synchronised across replicas."""
    if embedding is None:
        return layers.BatchNormalization(synchronized=True)(x)
    channels = x.shape[-1]
    x = layers.BatchNormalization(center=False, scale=False, synchronized=True)(x)
    gain = layers.Reshape((1, 1, channels))(spectral_norm(layers.Dense(channels, bias_initializer="ones"))(embedding))
    bias = layers.Reshape((1, 1, channels))(spectral_norm(layers.Dense(channels))(embedding))
    return layers.Add()([layers.Multiply()([x, gain]), bias])


def class_embedding(label, classes: int, size: int):
    """Labels [N] -> the shared class embedding [N, size] that :func:`conditional_batch_norm` takes, starting at
    N(0, 1) as in BigGAN: Keras' default (uniform +-0.05) leaves the gains so close to 1 that the label barely
    steers (ganzoo-sagan 0.1.0's label agreement was 13.5 %)."""
    return layers.Embedding(classes, size, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0),
                            name="shared_embedding")(label)


def projection_logits(logits, features, label, classes: int):
    """A projection discriminator's logit (Miyato and Koyama 2018): ``logits`` [N, 1] plus <embedding(label),
    features>, the embedding a spectrally normalised, orthogonally started linear map of the one-hot label."""
    embedded = spectral_norm(layers.Dense(features.shape[-1], use_bias=False, kernel_initializer="orthogonal"))(
        OneHot(classes)(label))
    return layers.Add(dtype="float32")([logits, layers.Dot(axes=1)([embedded, features])])


class MinibatchStddev(layers.Layer):
    """One more feature map: the standard deviation of every feature over the batch, averaged (ProGAN), so
    the discriminator can tell a batch without variety."""

    def call(self, x):
        spread = ops.mean(ops.sqrt(ops.var(ops.cast(x, "float32"), axis=0) + EPSILON))
        channel = ops.ones_like(x[..., :1]) * ops.cast(spread, x.dtype)
        return ops.concatenate([x, channel], axis=-1)


class EqualizedDense(layers.Layer):
    """A dense layer with an equalised learning rate (Karras et al. 2018; StyleGAN2's FullyConnectedLayer): the
    kernel is stored as N(0, 1) / ``lr_multiplier`` and scaled at every call by ``lr_multiplier / sqrt(fan_in)``,
    the bias stored as ``bias_init / lr_multiplier`` and scaled by ``lr_multiplier``. Adam's steps on the
    stored values then move every layer at the same rate whatever its fan-in, and ``lr_multiplier`` (StyleGAN's
    mapping network: 0.01) slows this one layer alone."""

    def __init__(self, units: int, lr_multiplier: float = 1.0, bias_init: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.units, self.lr_multiplier, self.bias_init = units, lr_multiplier, bias_init

    def build(self, shape):
        fan_in = shape[-1]
        self.gain = self.lr_multiplier / fan_in ** 0.5
        self.kernel = self.add_weight(shape=(fan_in, self.units), name="kernel",
                                      initializer=keras.initializers.RandomNormal(stddev=1 / self.lr_multiplier))
        self.bias = self.add_weight(shape=(self.units,), name="bias",
                                    initializer=keras.initializers.Constant(self.bias_init / self.lr_multiplier))

    def call(self, x):
        kernel = ops.cast(self.kernel, x.dtype) * self.gain
        return ops.matmul(x, kernel) + ops.cast(self.bias, x.dtype) * self.lr_multiplier

    def get_config(self):
        return {**super().get_config(), "units": self.units, "lr_multiplier": self.lr_multiplier,
                "bias_init": self.bias_init}


class EqualizedConv2D(layers.Layer):
    """A same-padded convolution with an equalised learning rate: the kernel stored as N(0, 1) and scaled at
    every call by ``lr_multiplier / sqrt(kernel_size**2 * in_channels)``, the bias by ``lr_multiplier``."""

    def __init__(self, filters: int, kernel_size: int, lr_multiplier: float = 1.0, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.lr_multiplier = filters, kernel_size, lr_multiplier

    def build(self, shape):
        fan_in = self.kernel_size * self.kernel_size * shape[-1]
        self.gain = self.lr_multiplier / fan_in ** 0.5
        self.kernel = self.add_weight(shape=(self.kernel_size, self.kernel_size, shape[-1], self.filters),
                                      name="kernel",
                                      initializer=keras.initializers.RandomNormal(stddev=1 / self.lr_multiplier))
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros")

    def call(self, x):
        kernel = ops.cast(self.kernel, x.dtype) * self.gain
        return ops.conv(x, kernel, padding="same") + ops.cast(self.bias, x.dtype) * self.lr_multiplier

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, "kernel_size": self.kernel_size,
                "lr_multiplier": self.lr_multiplier}


class Ramp(layers.Layer):
    """Its input times ``min(max((seen - start) / (end - start), 0), 1)``, where ``seen`` is the number of images
    the GAN has trained on: 0 until ``start`` images, 1 from ``end`` on, linear between (a step at ``start`` when
    the two are equal). ``seen`` is a weight that the shared loop (ganzoo.training.gan) sets in every Ramp of the
    generator, its EMA copy and the discriminator before each training step, so it is checkpointed, saved and
    exported with the model, and a trained model keeps the value it ended at. Shahbazi et al. ("Collapse by
    Conditioning", ICLR 2022) bring a class label in this way, so that a conditional GAN on little data first
    learns as an unconditional one."""

    def __init__(self, start: int, end: int, **kwargs):
        super().__init__(**kwargs)
        if not 0 <= start <= end:
            raise ValueError(f"a ramp needs 0 <= start <= end, got start {start}, end {end}")
        self.start, self.end = start, end

    def build(self, shape):
        # float32 counts images exactly up to 2**24 (16.7 million); beyond that the ramp is long finished or
        # coarse by less than a millionth of its span
        self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False, name="seen",
                                    aggregation="only_first_replica")

    @property
    def weight(self):
        """The current factor, a float32 scalar tensor."""
        span = float(max(self.end - self.start, 1))
        return ops.clip((ops.convert_to_tensor(self.seen) - float(self.start)) / span, 0.0, 1.0)

    def call(self, x):
        return x * ops.cast(self.weight, x.dtype)

    def get_config(self):
        return {**super().get_config(), "start": self.start, "end": self.end}


def ramps(model: keras.Model) -> list[Ramp]:
    """Every :class:`Ramp` in ``model``, nested models and layers' sublayers included (Keras' own walk over
    tracked layers; ``model.layers`` lists the top level only)."""
    return [layer for layer in model._flatten_layers(include_self=False) if isinstance(layer, Ramp)]
