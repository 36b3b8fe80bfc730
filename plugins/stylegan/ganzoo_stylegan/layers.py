"""The style-based generator's layers (Karras et al. 2019, 2020): pixel norm, the average-w truncation, style
mixing, a learned constant, and modulated/demodulated convolutions with per-layer noise, every weight with an
equalised learning rate (stored N(0, 1), scaled at each call). Minibatch standard deviation and the equalised
dense and convolution layers come from ganzoo.layers.

Every layer computes in its Keras dtype policy's compute dtype (so mixed precision works) and keeps its
state as weights (so a checkpoint, the EMA copy and the ONNX export all see it).
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf
from keras import layers, ops

from ganzoo.layers import EqualizedDense

EPSILON = 1e-8
LRELU_GAIN = math.sqrt(2)  # StyleGAN2's gain after LeakyReLU(0.2): activations keep unit variance


def scaled_lrelu(x):
    return ops.leaky_relu(x, 0.2) * ops.cast(LRELU_GAIN, x.dtype)


class ScaledLeakyReLU(layers.Layer):
    """LeakyReLU(0.2) times sqrt(2), as a layer (the models' activations)."""

    def call(self, x):
        return scaled_lrelu(x)


class PixelNorm(layers.Layer):
    """z / sqrt(mean(z^2) + eps) per latent: the mapping network's input on the unit sphere (times sqrt(dim))."""

    def call(self, z):
        return z * ops.rsqrt(ops.mean(ops.square(z), axis=-1, keepdims=True) + EPSILON)


class Truncation(layers.Layer):
    """The truncation trick: ``w_avg + psi * (w - w_avg)``, ``psi`` per image.

    ``w_avg`` is the moving average of the mapping network's output over training (decay ``decay`` per step);
    it is a weight, so it is checkpointed, exported and averaged by ``--ema`` like any other. A conditional
    generator passes the labels too and keeps one average per class, so that psi 0 gives each class's average
    image rather than one image for every class (StyleGAN2-ADA keeps a single average; with it, low psi erases
    the label).
    """

    def __init__(self, decay: float = 0.995, classes: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.decay, self.classes = decay, classes

    def build(self, w_shape, psi_shape=None, label_shape=None):
        shape = (self.classes, w_shape[-1]) if self.classes else (w_shape[-1],)
        self.w_avg = self.add_weight(shape=shape, initializer="zeros", trainable=False, name="w_avg",
                                     aggregation="mean")  # each replica's new average, averaged

    def call(self, w, psi, label=None, training=None):
        if training:
            self.w_avg.assign(self._updated(ops.cast(w, "float32"), label))
        average = ops.cast(self.w_avg, w.dtype)
        if self.classes:
            # each image's class average: one Gather (ops.take adds index arithmetic), its shape stated by a no-op
            # reshape for consumers that infer shapes (OpenCV)
            average = ops.reshape(tf.gather(average, label), (-1, w.shape[-1]))
        return average + ops.reshape(ops.cast(psi, w.dtype), (-1, 1)) * (w - average)

    def _updated(self, w, label):
        if not self.classes:
            batch_mean = ops.mean(w, axis=0)
            return batch_mean + self.decay * (self.w_avg - batch_mean)
        one_hot = ops.one_hot(label, self.classes, dtype="float32")
        counts = ops.sum(one_hot, axis=0)[:, None]  # [classes, 1]
        class_mean = ops.matmul(ops.transpose(one_hot), w) / ops.maximum(counts, 1.0)
        moved = class_mean + self.decay * (self.w_avg - class_mean)
        return ops.where(counts > 0, moved, self.w_avg)  # a class absent from the batch keeps its average

    def get_config(self):
        return {**super().get_config(), "decay": self.decay, "classes": self.classes}


class LabelEmbedding(layers.Layer):
    """An equalised dense layer of the one-hot label (weights stored N(0, 1), scaled by 1/sqrt(classes) at each
    call), computed as a row lookup: the same values, exported as a Gather rather than OneHot and MatMul (OpenCV 4
    has no OneHot)."""

    def __init__(self, classes: int, units: int, **kwargs):
        super().__init__(**kwargs)
        self.classes, self.units = classes, units

    def build(self, label_shape):
        self.kernel = self.add_weight(shape=(self.classes, self.units), name="kernel",
                                      initializer=keras.initializers.RandomNormal(stddev=1.0))
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")

    def call(self, label):
        rows = ops.reshape(tf.gather(ops.cast(self.kernel, self.compute_dtype), label), (-1, self.units))  # as above
        return rows * ops.cast(1 / math.sqrt(self.classes), rows.dtype) + ops.cast(self.bias, rows.dtype)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "units": self.units}


class MixingLatents(layers.Layer):
    """While training, fresh latents for style mixing's second style; otherwise ``z`` itself, so that the second
    mapping is dead code that the export drops."""

    def call(self, z, training=None):
        return tf.random.normal(ops.shape(z), dtype=z.dtype) if training else z


class MixingCutoff(layers.Layer):
    """Style mixing regularisation (StyleGAN): with probability ``probability`` per batch, the synthesis layers
    from a random cutoff (1 .. ``layers`` - 1) on take the second style. The cutoff, as a float scalar; ``layers``
    (no mixing) otherwise and while sampling."""

    def __init__(self, num_layers: int, probability: float, **kwargs):
        super().__init__(**kwargs)
        self.num_layers, self.probability = num_layers, probability

    def call(self, w, training=None):
        if not training or self.probability == 0 or self.num_layers < 2:
            return ops.cast(self.num_layers, "float32")
        cutoff = tf.random.uniform([], 1, self.num_layers, dtype=tf.int32)  # tf.random: fresh at every step
        mixed = tf.random.uniform([]) < self.probability
        return ops.cast(tf.where(mixed, cutoff, self.num_layers), "float32")

    def get_config(self):
        return {**super().get_config(), "num_layers": self.num_layers, "probability": self.probability}


class MixStyle(layers.Layer):
    """Synthesis layer ``index``'s style: ``w`` before the cutoff, ``w_mix`` from it on; ``w`` while sampling."""

    def __init__(self, index: int, **kwargs):
        super().__init__(**kwargs)
        self.index = index

    def call(self, w, w_mix, cutoff, training=None):
        if not training:
            return w
        return ops.where(ops.cast(self.index, cutoff.dtype) < cutoff, w, w_mix)  # small integers: exact in any dtype

    def get_config(self):
        return {**super().get_config(), "index": self.index}


class ConstantInput(layers.Layer):
    """The synthesis network's learned starting map, repeated for every image of the batch."""

    def __init__(self, size: int, channels: int, **kwargs):
        super().__init__(**kwargs)
        self.size, self.channels = size, channels

    def build(self, w_shape):
        self.constant = self.add_weight(shape=(1, self.size, self.size, self.channels),
                                        initializer=keras.initializers.RandomNormal(stddev=1.0), name="constant")

    def call(self, w):
        # [N, 1, 1, 1] ones times the constant: no Shape operator in the exported graph, which OpenCV 4 refuses
        ones = ops.reshape(w[:, :1] * 0 + 1, (-1, 1, 1, 1))
        return ones * ops.cast(self.constant, w.dtype)


class StyledConv(layers.Layer):
    """A modulated, demodulated convolution (StyleGAN2), with per-pixel noise, a bias and LeakyReLU.

    Computed in the unfused form, which equals the grouped per-image convolution: scale the input channels
    by the style ``s`` (an equalised affine map of w, starting at 1), convolve with the shared kernel, then divide
    each output channel by ``sqrt(sum((kernel * s)^2))``. The kernel is stored N(0, 1) and scaled by
    1/sqrt(fan_in) at each call (the equalised learning rate); without demodulation ("to RGB") the style takes
    that scale instead, as in StyleGAN2. Noise is fresh while training and a fixed draw, scaled by the same learned
    strength, otherwise (StyleGAN2's "const" noise): sampling is deterministic and exports to ONNX without a
    random operator.
    """

    def __init__(self, filters: int, kernel_size: int = 3, upsample: bool = False, demodulate: bool = True,
                 noise: bool = True, activation: bool = True, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.upsample = filters, kernel_size, upsample
        self.demodulate, self.noise, self.activation = demodulate, noise, activation

    def build(self, x_shape, w_shape):
        channels = x_shape[-1]
        self.gain = 1 / math.sqrt(channels * self.kernel_size ** 2)
        self.style = EqualizedDense(channels, bias_init=1.0, name="style", dtype=self.dtype_policy)
        self.style.build(w_shape)
        self.kernel = self.add_weight(shape=(self.kernel_size, self.kernel_size, channels, self.filters),
                                      initializer=keras.initializers.RandomNormal(stddev=1.0), name="kernel")
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", name="bias")
        if self.noise:
            size = x_shape[1] * (2 if self.upsample else 1)
            self.noise_strength = self.add_weight(shape=(), initializer="zeros", name="noise_strength")
            self.fixed_noise = self.add_weight(shape=(1, size, size, 1), trainable=False, name="fixed_noise",
                                               initializer=keras.initializers.RandomNormal(stddev=1.0))

    def call(self, x, w, training=None):
        if self.upsample:  # nearest-neighbour doubling, as DepthToSpace of four copies (portable, no Shape)
            x = tf.nn.depth_to_space(ops.concatenate([x] * 4, axis=-1), 2)
        style = self.style(w)
        kernel = ops.cast(self.kernel, x.dtype) * ops.cast(self.gain, x.dtype)
        if not self.demodulate:
            style, kernel = style * ops.cast(self.gain, x.dtype), ops.cast(self.kernel, x.dtype)
        x = ops.conv(x * _per_channel(style), kernel, padding="same")
        if self.demodulate:
            energy = ops.matmul(ops.square(style), ops.sum(ops.square(kernel), axis=(0, 1)))  # [N, filters]
            # epsilon as a vector: OpenCV 4 fuses MatMul + Add into one layer that takes a per-column bias only
            x = x * _per_channel(ops.rsqrt(energy + ops.full((self.filters,), EPSILON, x.dtype)))
        if self.noise:
            shape = (ops.shape(x)[0], ops.shape(x)[1], ops.shape(x)[2], 1)
            # tf.random, not keras.random: an unseeded keras.random draw is fixed when the step is traced, and
            # a SeedGenerator's integer state would be averaged by --ema
            noise = tf.random.normal(shape, dtype=x.dtype) if training else ops.cast(self.fixed_noise, x.dtype)
            x = x + ops.cast(self.noise_strength, x.dtype) * noise
        x = x + ops.cast(self.bias, x.dtype)
        return scaled_lrelu(x) if self.activation else x


def _per_channel(values):
    """[N, C] -> [N, 1, 1, C], to scale feature maps; a Reshape, which every ONNX consumer runs (OpenCV 4
    refuses the Unsqueeze of two axes that indexing with None exports to)."""
    return ops.reshape(values, (-1, 1, 1, values.shape[-1]))
