"""Winograd convolutions: the transforms are exact, the rewrite computes the same function as the Conv it
replaces (in onnxruntime), and an export holds both forms and picks one by batch size."""

from __future__ import annotations

import logging

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from conftest import one_node_model, run_x_to_y
from ganzoo_runtime.latents import latent_vectors
from onnx import helper, numpy_helper

from ganzoo.exporting import onnx_export
from ganzoo.exporting.batch_dispatch import DISPATCH_NODE
from ganzoo.exporting.run_export import export_run
from ganzoo.exporting.onnx_export import OnnxOptions, expected_output
from ganzoo.exporting.winograd import MIN_BATCH, rewrite_convolutions, transforms
from ganzoo.training.restore import load_trained_generator


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


@pytest.fixture(scope="module")
def trained(trained_run):
    return load_trained_generator(trained_run)


@pytest.fixture(scope="module")
def both_exports(trained, tmp_path_factory):
    root = tmp_path_factory.mktemp("winograd")
    return (export_run(trained, root / "fast.onnx"),
            export_run(trained, root / "direct.onnx", OnnxOptions(winograd=False)))


def test_the_default_export_runs_winograd_from_min_batch_and_direct_below(trained, both_exports):
    fast, direct = both_exports
    assert fast.winograd and not direct.winograd
    model = onnx.load(fast.path)
    [dispatch] = [n for n in model.graph.node if n.op_type == "If"]
    branches = {a.name: a.g for a in dispatch.attribute}
    large_ops = [n.op_type for n in branches["then_branch"].node]
    small_ops = [n.op_type for n in branches["else_branch"].node]
    assert large_ops.count("MatMul") == 2 * 5  # two Winograd convolutions
    assert small_ops.count("Conv") == 3 and large_ops.count("Conv") == 1  # the last (1 filter) stays direct
    # The dense layer both graphs begin with runs once, before the If, its weights stored once.
    assert [n.op_type for n in model.graph.node][:2] == ["MatMul", "Mul"] and "MatMul" not in small_ops
    dense = model.graph.node[0].input[1]
    assert dense in {t.name for t in model.graph.initializer}
    assert dense not in {t.name for branch in branches.values() for t in branch.initializer}
    assert "If" not in [n.op_type for n in onnx.load(direct.path).graph.node]

    sessions = [ort.InferenceSession(str(r.path), providers=["CPUExecutionProvider"]) for r in both_exports]
    for batch in (1, MIN_BATCH - 1, MIN_BATCH, 64):
        z = latent_vectors(3, batch, 8)
        got, plain = (s.run(["images"], {"z": z})[0] for s in sessions)
        assert np.abs(got - expected_output(trained.generator, z, None, OnnxOptions())).max() <= 1e-4
        if batch < MIN_BATCH:
            np.testing.assert_array_equal(got, plain)  # the same direct graph
        else:
            assert not np.array_equal(got, plain)  # Winograd rounds differently: the other branch ran


def test_a_winograd_form_that_fails_verification_falls_back_to_direct(trained, tmp_path, monkeypatch, caplog):
    rewrite = onnx_export.rewrite_convolutions

    def off_by_five_percent(model):
        count = rewrite(model)
        for tensor in model.graph.initializer:
            if tensor.name.endswith("__winograd_u"):
                tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) * 1.05, tensor.name))
        return count

    monkeypatch.setattr(onnx_export, "rewrite_convolutions", off_by_five_percent)
    with caplog.at_level(logging.WARNING):
        result = export_run(trained, tmp_path / "g.onnx")
    assert not result.winograd and result.max_difference <= 1e-4
    assert "the Winograd form failed verification" in caplog.text
    assert DISPATCH_NODE not in [n.name for n in onnx.load(result.path).graph.node]
