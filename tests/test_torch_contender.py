"""benchmarks/torch_contender.py, the PyTorch yardstick of benchmarks/gpu_sampling.py: the file's own network
in torch computes what onnxruntime computes. Runs where torch imports (not a ganzoo dependency)."""

from __future__ import annotations

import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import REPO

torch = pytest.importorskip("torch")
sys.path.insert(0, str(REPO / "benchmarks"))
from torch_contender import OnnxAsTorch, TorchSampler  # noqa: E402


@pytest.mark.parametrize("entry", ["dcgan-mnist", "cdcgan-mnist-mode-seeking"])
def test_a_shelf_file_in_torch_matches_onnxruntime(entry):
    from ganzoo.zoo.shelf import shelf

    path = shelf()[entry].model
    z = np.random.default_rng(0).standard_normal((5, 100), dtype=np.float32)
    feeds = {"z": z}
    if entry.startswith("cdcgan"):
        feeds["label"] = np.arange(5, dtype=np.int64)
    expected = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, feeds)[0]
    with torch.no_grad():
        got = OnnxAsTorch(onnx.load(path))(*(torch.from_numpy(v) for v in feeds.values())).numpy()
    # The files compute in float16; the module in float32: the export's fp16 bound
    assert got.shape == expected.shape and np.abs(got - expected).max() < 1e-2


def test_the_sampler_returns_float32_images_on_the_cpu():
    from ganzoo.zoo.shelf import shelf

    sampler = TorchSampler(str(shelf()["dcgan-mnist"].model))
    images = sampler.generate(np.zeros((3, 100), np.float32))
    assert sampler.device == "torch-cpu" and images.dtype == np.float32 and images.shape == (3, 28, 28, 1)


def test_an_operator_without_a_torch_equivalent_is_named():
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Einsum", ["z"], ["images"], equation="ij->ij")], "g",
                              [helper.make_tensor_value_info("z", TensorProto.FLOAT, [1, 2])],
                              [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 2])])
    with pytest.raises(ValueError, match="no torch equivalent for ONNX operator"):
        OnnxAsTorch(helper.make_model(graph))
