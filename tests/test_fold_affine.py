"""Folding per-channel scale and shift into the convolution before them: the same outputs, fewer nodes, and
nothing folded where the arithmetic would change."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from ganzoo.exporting.fold_affine import fold_channel_affine

RNG = np.random.default_rng(0)


def _model(mode: str = "CRD", scale_shape=(1, 3, 1, 1), extra_reader: bool = False):
    """x [N, 2, 5, 5] -> Conv (12 channels) -> DepthToSpace(2) -> Mul -> Add -> y [N, 3, 10, 10]."""
    weight = RNG.standard_normal((12, 2, 3, 3)).astype(np.float32)
    bias = RNG.standard_normal(12).astype(np.float32)
    scale = RNG.standard_normal(scale_shape).astype(np.float32)
    shift = RNG.standard_normal((1, 3, 1, 1)).astype(np.float32)
    nodes = [helper.make_node("Conv", ["x", "w", "b"], ["phases"], pads=[1, 1, 1, 1]),
             helper.make_node("DepthToSpace", ["phases"], ["d2s"], blocksize=2, mode=mode),
             helper.make_node("Mul", ["scale", "d2s"], ["scaled"]),  # the constant first: either order folds
             helper.make_node("Add", ["scaled", "shift"], ["y"])]
    outputs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]
    if extra_reader:
        nodes.append(helper.make_node("Relu", ["d2s"], ["also"]))
        outputs.append(helper.make_tensor_value_info("also", TensorProto.FLOAT, None))
    graph = helper.make_graph(nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 2, 5, 5])],
                              outputs, [numpy_helper.from_array(v, n) for n, v in
                                        (("w", weight), ("b", bias), ("scale", scale), ("shift", shift))])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    return model


def _run(model, x):
    return ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"]).run(["y"], {"x": x})[0]


def test_scale_and_shift_after_a_sub_pixel_convolution_fold_into_it():
    x = RNG.standard_normal((4, 2, 5, 5)).astype(np.float32)
    model = _model()
    before = _run(model, x)
    assert fold_channel_affine(model) == 2
    assert [n.op_type for n in model.graph.node] == ["Conv", "DepthToSpace"]
    assert {t.name for t in model.graph.initializer} == {"y__folded_weight", "y__folded_bias"}  # none left over
    np.testing.assert_allclose(_run(model, x), before, atol=1e-5)


@pytest.mark.parametrize("case", [{"mode": "DCR"}, {"scale_shape": (1, 1, 10, 10)}, {"extra_reader": True}])
def test_nothing_folds_where_it_would_change_what_is_computed(case):
    """DCR interleaves channels otherwise; a spatial scale is not per channel (and the shift after it then follows
    no convolution); a convolution output read twice must keep its value for the other reader."""
    model = _model(**case)
    before = [n.op_type for n in model.graph.node]
    assert fold_channel_affine(model) == 0 and [n.op_type for n in model.graph.node] == before
