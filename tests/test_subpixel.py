"""The sub-pixel rewrite of ConvTranspose computes the same function (checked in onnxruntime)."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import one_node_model, run_x_to_y
from onnx import helper, numpy_helper

from ganzoo_runtime.cpu.subpixel import rewrite_conv_transposes


def _model(kernel, stride, pads, output_padding=(0, 0), bias=True, c_in=3, c_out=2):
    rng = np.random.default_rng(0)
    weight = numpy_helper.from_array(rng.standard_normal((c_in, c_out, kernel, kernel)).astype(np.float32), "w")
    inputs = ["x", "w"]
    initializers = [weight]
    if bias:
        initializers.append(numpy_helper.from_array(rng.standard_normal(c_out).astype(np.float32), "b"))
        inputs.append("b")
    node = helper.make_node("ConvTranspose", inputs, ["y"], strides=[stride, stride], pads=list(pads),
                            kernel_shape=[kernel, kernel], output_padding=list(output_padding))
    return one_node_model(node, ["n", c_in, 5, 6], ["n", c_out, "h", "w"], initializers)


@pytest.mark.parametrize("kernel, stride, pads, output_padding, bias", [
    (5, 2, (1, 1, 2, 2), (0, 0), False),  # Keras Conv2DTranspose(5, strides=2, padding="same"), as tf2onnx writes it
    (5, 1, (2, 2, 2, 2), (0, 0), False),  # stride 1: a plain Conv with the flipped kernel
    (4, 2, (1, 1, 1, 1), (0, 0), True),   # PyTorch-style DCGAN upsampling
    (3, 2, (1, 1, 1, 1), (1, 1), True),   # with output_padding
    (6, 3, (2, 2, 1, 1), (0, 0), True),   # stride 3
])
def test_rewrite_is_exact(kernel, stride, pads, output_padding, bias):
    model = _model(kernel, stride, pads, output_padding, bias)
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6)).astype(np.float32)
    expected = run_x_to_y(model, x)
    assert rewrite_conv_transposes(model) == 1
    onnx.checker.check_model(model, full_check=True)
    assert [n.op_type for n in model.graph.node] == (["Conv"] if stride == 1 else ["Conv", "DepthToSpace"])
    got = run_x_to_y(model, x)
    assert got.shape == expected.shape == (2, 2, 5 * stride, 6 * stride)
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_a_transposed_convolution_that_does_not_scale_exactly_is_left_alone():
    model = _model(3, 2, (0, 0, 0, 0))  # output 2H + 1: not a pure sub-pixel shuffle
    assert rewrite_conv_transposes(model) == 0
    assert [n.op_type for n in model.graph.node] == ["ConvTranspose"]
