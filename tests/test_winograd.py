"""Winograd convolutions: the transforms are exact, and the rewrite computes the same function as the Conv it
replaces (in onnxruntime). How the sampler uses it: tests/test_cpu_form.py."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from conftest import one_node_model, run_x_to_y
from ganzoo_runtime.cpu.winograd import rewrite_convolutions, transforms
from onnx import helper, numpy_helper


@pytest.mark.parametrize("r", [2, 3, 4, 5])
def test_transforms_compute_a_correlation_exactly(r):
    at, g, bt = transforms(4, r)
    rng = np.random.default_rng(r)
    d, taps = rng.standard_normal(4 + r - 1), rng.standard_normal(r)
    expected = [d[i:i + r] @ taps for i in range(4)]
    np.testing.assert_allclose(at @ ((g @ taps) * (bt @ d)), expected, rtol=1e-12, atol=1e-12)


def _conv_model(kernel=(5, 5), pads=(2, 2, 2, 2), size=(7, 7), bias=True, channels=(32, 24), **attributes):
    rng = np.random.default_rng(0)
    c_in, c_out = channels
    weight = rng.standard_normal((c_out, c_in // attributes.get("group", 1), *kernel)).astype(np.float32) * 0.1
    initializers = [numpy_helper.from_array(weight, "w")]
    if bias:
        initializers.append(numpy_helper.from_array(rng.standard_normal(c_out).astype(np.float32), "b"))
    node = helper.make_node("Conv", ["x", "w", "b"] if bias else ["x", "w"], ["y"], kernel_shape=list(kernel),
                            pads=list(pads), **attributes)
    return one_node_model(node, ["n", c_in, *size], ["n", c_out, "h", "w"], initializers)


@pytest.mark.parametrize("kernel, pads, size, bias", [
    ((5, 5), (2, 2, 2, 2), (7, 7), False),   # the DCGAN's first layer, as the sub-pixel rewrite leaves it
    ((3, 3), (1, 1, 1, 1), (7, 7), True),    # its second (merged sub-pixel phases)
    ((3, 5), (0, 2, 1, 1), (9, 6), True),    # rectangular kernel, asymmetric padding, H != W
    ((5, 5), (0, 0, 0, 0), (12, 13), True),  # no padding: outputs 8 x 9, the last tile partly cropped
])
def test_rewrite_matches_the_convolution(kernel, pads, size, bias):
    model = _conv_model(kernel, pads, size, bias)
    x = np.random.default_rng(1).standard_normal((3, 32, *size)).astype(np.float32)
    expected = run_x_to_y(model, x)
    assert rewrite_convolutions(model) == 1
    onnx.checker.check_model(model, full_check=True)
    ops = [n.op_type for n in model.graph.node]
    assert "Conv" not in ops and ops.count("MatMul") == 5
    assert [t.name for t in model.graph.initializer if t.name in ("w", "b")] == []
    got = run_x_to_y(model, x)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("change", [
    {"strides": [2, 2]}, {"dilations": [2, 2]}, {"group": 2}, {"channels": (8, 24)}, {"kernel": (1, 1), "pads": (0,) * 4},
    {"kernel": (7, 7), "pads": (3,) * 4},
])
def test_convolutions_it_cannot_speed_up_are_left_alone(change):
    model = _conv_model(**change)
    assert rewrite_convolutions(model) == 0
    assert [n.op_type for n in model.graph.node] == ["Conv"]
