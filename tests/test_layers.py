"""ganzoo.layers, the public building blocks: what each computes, and that each exports to ONNX with parity."""

from __future__ import annotations

import keras
import numpy as np
import pytest
from keras import layers

from ganzoo import ImageSpec
from ganzoo.layers import (EqualizedConv2D, EqualizedDense, MinibatchStddev, OneHot, Ramp, SumOverPositions,
                           Upsample, class_embedding, conditional_batch_norm, projection_logits,
                           resnet_discriminator_block, resnet_plan, self_attention, spectral_norm)

RNG = np.random.default_rng(0)


def _maps(*shape):
    return RNG.standard_normal(shape).astype(np.float32)


def test_spectral_norm_brings_the_largest_singular_value_to_one():
    keras.utils.set_random_seed(0)
    dense = spectral_norm(layers.Dense(8))
    x = _maps(4, 16)
    dense(x)
    dense.layer.kernel.assign(dense.layer.kernel * 7.0)  # far from 1 before normalising
    assert np.linalg.svd(dense.layer.kernel.numpy(), compute_uv=False)[0] > 3
    for _ in range(30):  # one power iteration per training call
        dense(x, training=True)
    assert np.linalg.svd(dense.layer.kernel.numpy(), compute_uv=False)[0] == pytest.approx(1.0, abs=1e-3)



def test_spectral_norm_updates_as_keras_does_in_a_traced_step_and_leaves_a_zero_kernel_alone():
    import tensorflow as tf

    x = _maps(4, 3, 3, 2)
    ours, theirs = spectral_norm(layers.Conv2D(5, 3)), layers.SpectralNormalization(layers.Conv2D(5, 3))
    ours(x), theirs(x)
    theirs.set_weights(ours.get_weights())
    outputs = []
    for layer in (ours, theirs):
        step = tf.function(lambda: layer(x, training=True))  # traced, as in training
        outputs += [[step() for _ in range(3)][-1].numpy()]
    for a, b in zip(ours.get_weights(), theirs.get_weights()):  # kernel, bias and the estimate u
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(*outputs, rtol=1e-5, atol=1e-6)
    # no conditional in the traced graph: that is what makes a training step cheaper to trace
    graph = tf.function(lambda: ours(x, training=True)).get_concrete_function().graph
    assert not [op for op in graph.get_operations() if op.type in ("If", "StatelessIf")]

    zero = spectral_norm(layers.Dense(3))
    zero(_maps(2, 4))
    zero.layer.kernel.assign(np.zeros((4, 3), np.float32))
    u = zero.vector_u.numpy()
    zero(_maps(2, 4), training=True)
    assert not zero.layer.kernel.numpy().any() and np.array_equal(zero.vector_u.numpy(), u)
def test_sum_over_positions_is_the_sum_and_upsample_repeats_each_pixel():
    x = _maps(2, 3, 5, 4)
    np.testing.assert_allclose(SumOverPositions()(x), x.sum(axis=(1, 2)), rtol=1e-6)
    np.testing.assert_array_equal(Upsample()(x), x.repeat(2, axis=1).repeat(2, axis=2))


def test_self_attention_keeps_the_shape_and_starts_as_the_identity():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6, 6, 16))
    model = keras.Model(inputs, self_attention(inputs))
    x = _maps(3, 6, 6, 16)
    assert model(x).shape == x.shape
    np.testing.assert_array_equal(model(x), x)  # gamma starts at 0: the block is gated shut
    [gamma] = [w for w in model.weights if w.name == "gamma"]
    gamma.assign(1.0)
    assert np.abs(np.asarray(model(x)) - x).max() > 1e-3  # open, every position sees the others


def test_conditional_batch_norm_depends_on_the_class_and_is_plain_without_one():
    keras.utils.set_random_seed(0)
    maps, labels = keras.Input((4, 4, 8)), keras.Input((), dtype="int64")
    embedding = layers.Embedding(10, 16, embeddings_initializer=keras.initializers.RandomNormal(stddev=1.0))(labels)
    model = keras.Model([maps, labels], conditional_batch_norm(maps, embedding))
    x = np.repeat(_maps(1, 4, 4, 8), 2, axis=0)
    out = np.asarray(model([x, np.array([3, 7])], training=False))
    assert np.abs(out[0] - out[1]).max() > 1e-3  # the same maps under two classes
    plain = keras.Model(maps, conditional_batch_norm(maps))
    assert [type(layer).__name__ for layer in plain.layers[1:]] == ["BatchNormalization"]


def test_the_class_embedding_starts_at_unit_scale_and_the_projection_adds_the_labels_inner_product():
    keras.utils.set_random_seed(0)
    labels = keras.Input((), dtype="int64")
    table = np.asarray(keras.Model(labels, class_embedding(labels, 10, 256))(np.arange(10)))
    assert 0.9 < table.std() < 1.1  # BigGAN's N(0, 1), not Keras' uniform +-0.05
    features, logits = keras.Input((6,)), keras.Input((1,))
    model = keras.Model([logits, features, labels], projection_logits(logits, features, labels, 10))
    [kernel] = [w for w in model.weights if "kernel" in w.name]
    rows = np.asarray(kernel) / np.linalg.svd(np.asarray(kernel), compute_uv=False)[0]  # spectrally normalised
    f, base, y = _maps(4, 6), _maps(4, 1), np.array([0, 3, 3, 9])
    expected = base[:, 0] + np.sum(rows[y] * f, axis=1)
    np.testing.assert_allclose(np.asarray(model([base, f, y], training=True))[:, 0], expected, rtol=1e-3, atol=1e-4)


def test_one_hot_and_minibatch_stddev():
    np.testing.assert_array_equal(OneHot(4)(np.array([2, 0])), np.eye(4, dtype=np.float32)[[2, 0]])
    x = _maps(5, 3, 3, 2)
    out = np.asarray(MinibatchStddev()(x))
    assert out.shape == (5, 3, 3, 3)
    np.testing.assert_allclose(out[..., 2], np.sqrt(x.var(axis=0) + 1e-8).mean(), rtol=1e-5)


def test_resnet_plan_and_discriminator_block():
    assert resnet_plan(ImageSpec(28, 28, 1), 0) == (7, 2) and resnet_plan(ImageSpec(64, 64, 3), 0) == (4, 4)
    with pytest.raises(ValueError, match="needs square images"):
        resnet_plan(ImageSpec(28, 32, 1), 0)
    with pytest.raises(ValueError, match="blocks = 3 does not fit 28x28: at most 2"):
        resnet_plan(ImageSpec(28, 28, 1), 3)
    inputs = keras.Input((8, 8, 3))
    first = resnet_discriminator_block(inputs, 4, downsample=True, first=True)
    assert tuple(first.shape) == (None, 4, 4, 4)
    assert tuple(resnet_discriminator_block(first, 4, downsample=False).shape) == (None, 4, 4, 4)


def _generator_through(block, conditional: bool = False) -> keras.Model:
    """A tiny generator (8x8x1) with ``block`` in its path: ganzoo's export, parity check included, runs it."""
    z = keras.Input((8,), name="z")
    inputs, embedding = [z], None
    if conditional:
        label = keras.Input((), dtype="int64", name="label")
        inputs.append(label)
        embedding = spectral_norm(layers.Dense(8))(OneHot(10)(label))
    x = layers.Reshape((4, 4, 8))(layers.Dense(128)(z))
    x = block(x, embedding) if conditional else block(x)
    if x.shape[1] == 4:
        x = Upsample()(x)
    images = layers.Conv2D(1, 3, padding="same", activation="tanh")(x[..., :8])
    return keras.Model(inputs if conditional else z, images)


BLOCKS = {
    "spectral_norm": lambda x: spectral_norm(layers.Conv2D(8, 3, padding="same"))(x),
    "Upsample": lambda x: Upsample()(x),
    "self_attention": lambda x: self_attention(x),
    "MinibatchStddev": lambda x: MinibatchStddev()(x),
    "resnet_discriminator_block": lambda x: resnet_discriminator_block(x, 8, downsample=False),
    "SumOverPositions": lambda x: layers.Reshape((4, 4, 8))(layers.Dense(128)(SumOverPositions()(x))),
    "EqualizedConv2D": lambda x: EqualizedConv2D(8, 3)(x),
    "EqualizedDense": lambda x: layers.Reshape((4, 4, 8))(EqualizedDense(128, lr_multiplier=0.01)(
        layers.Flatten()(x))),
    "Ramp": lambda x: Ramp(1000, 3000)(x),
}


@pytest.mark.parametrize("name", [*BLOCKS, "conditional_batch_norm"])
def test_each_block_exports_to_onnx_with_parity(name, tmp_path):
    from ganzoo.exporting.onnx_export import export_onnx
    from ganzoo_runtime.metadata import GeneratorInfo

    keras.utils.set_random_seed(0)
    conditional = name == "conditional_batch_norm"
    generator = _generator_through(conditional_batch_norm if conditional else BLOCKS[name], conditional)
    if name == "self_attention":  # open the gate, so that the attention itself is exported and compared
        [gamma] = [w for w in generator.weights if w.name == "gamma"]
        gamma.assign(0.5)
    if name == "Ramp":  # halfway, so that the export carries the factor, not a zero
        [seen] = [w for w in generator.weights if w.name == "seen"]
        seen.assign(2000.0)
    info = GeneratorInfo(8, (8, 8, 1), num_classes=10 if conditional else 0, generator=name, dataset="none")
    exported = export_onnx(generator, info, tmp_path / "g.onnx")  # raises when onnxruntime differs from Keras
    assert exported.max_difference <= 1e-4 and (tmp_path / "g.onnx").is_file()


def test_the_docs_example_built_from_the_blocks_keeps_the_contract(fake_site, tmp_path):
    """docs/plugins.md's third-party architecture, registered as a distribution would, through the kit."""
    import re

    from conftest import REPO, make_distribution
    from ganzoo.testing import check_architecture
    docs = (REPO / "docs" / "plugins.md").read_text()
    code = re.search(r"<!-- layers-example -->\n```python\n(.*?)```", docs, re.S).group(1)
    make_distribution(fake_site, "attngan", "1.0", {"ganzoo.architectures": {"attngan": "attngan_mod:ATTNGAN"}},
                      {"attngan_mod": code})
    check_architecture("attngan", tmp_path, specs=(ImageSpec(28, 28, 1, 10),))


def test_a_ramp_is_0_before_its_start_1_from_its_end_and_linear_between():
    ramp = Ramp(1000, 3000)
    x = _maps(2, 3)
    ramp(x)  # built: its count starts at 0
    factors = []
    for seen in (0, 1000, 1500, 2000, 3000, 10_000):
        ramp.seen.assign(float(seen))
        out = np.asarray(ramp(x))
        factors.append(float(out[0, 0] / x[0, 0]))
    assert factors == pytest.approx([0.0, 0.0, 0.25, 0.5, 1.0, 1.0])
    step = Ramp(500, 500)
    step(x)
    step.seen.assign(500.0)
    assert not np.asarray(step(x)).any()  # a step: off at its start,
    step.seen.assign(501.0)
    assert np.array_equal(np.asarray(step(x)), x)  # on just after
    with pytest.raises(ValueError, match="0 <= start <= end"):
        Ramp(10, 5)


@pytest.mark.parametrize("lr_multiplier", [1.0, 0.01])
def test_equalized_layers_scale_their_stored_weights_and_their_gradients(lr_multiplier):
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    dense = EqualizedDense(64, lr_multiplier=lr_multiplier, bias_init=1.0)
    x = tf.constant(_maps(256, 512))
    y = np.asarray(dense(x))
    gain = lr_multiplier / np.sqrt(512)
    np.testing.assert_allclose(y, x.numpy() @ (dense.kernel.numpy() * gain) + 1.0, rtol=1e-4, atol=1e-4)
    # unit-variance inputs give unit-variance outputs at init, whatever the fan-in or the multiplier
    assert abs(float((y - 1.0).std()) - 1.0) < 0.1
    with tf.GradientTape() as tape:
        total = tf.reduce_sum(dense(x))
    # the stored kernel's gradient is the plain one times the gain: what equalises the learning rate
    np.testing.assert_allclose(tape.gradient(total, dense.kernel), gain * np.repeat(
        x.numpy().sum(axis=0)[:, None], 64, axis=1), rtol=1e-4)
    conv = EqualizedConv2D(8, 3, lr_multiplier=lr_multiplier)
    maps = _maps(4, 6, 6, 16)
    out = np.asarray(conv(maps))
    kernel = (conv.kernel.numpy() * lr_multiplier / np.sqrt(9 * 16)).astype(np.float32)
    expected = np.asarray(keras.ops.conv(maps, kernel, padding="same"))
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-5)
