"""ONNX export: the contract (names, shapes, metadata, operators), verification and its variants."""

from __future__ import annotations

import json
import shutil

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from conftest import ganzoo_here
from ganzoo.exporting import ExportVerificationError
from ganzoo.exporting import onnx_export
from ganzoo.exporting.run_export import export_run
from ganzoo.exporting.onnx_export import OnnxOptions, expected_output, mean_tolerance, tolerance
from ganzoo.training.restore import load_trained_generator
from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.metadata import KEYS, GeneratorInfo

pytestmark = pytest.mark.xdist_group("trained_run")  # fixtures built once, on one worker (loadgroup)


@pytest.fixture(scope="session")
def trained(trained_run):
    return load_trained_generator(trained_run)


@pytest.fixture(scope="session")
def default_export(trained_run):
    result = ganzoo_here("export", trained_run, "--format", "onnx")
    assert result.returncode == 0, result.stderr
    return trained_run / "generator.onnx", result.stderr


def test_default_export_keeps_the_contract(default_export, trained):
    path, stderr = default_export
    assert f"wrote {path}" in stderr and "largest difference from Keras at batch 1 and 64" in stderr
    assert "(opset 18, fp32, nhwc, float pixels, step 4)" in stderr
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    [z] = model.graph.input
    assert z.name == "z" and z.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    assert [d.dim_param or d.dim_value for d in z.type.tensor_type.shape.dim] == ["batch", 8]
    [images] = model.graph.output
    assert images.name == "images"
    assert [d.dim_param or d.dim_value for d in images.type.tensor_type.shape.dim] == ["batch", 28, 28, 1]
    assert {node.domain for node in model.graph.node} <= {""}
    assert [entry.domain for entry in model.opset_import] == [""]
    props = {p.key: p.value for p in model.metadata_props}
    assert tuple(sorted(props)) == tuple(sorted(KEYS))
    assert props["ganzoo.latent_dim"] == "8" and props["ganzoo.image_shape"] == "28,28,1"
    assert props["ganzoo.layout"] == "nhwc" and props["ganzoo.pixel_range"] == "-1,1"
    assert props["ganzoo.num_classes"] == "0" and props["ganzoo.step"] == str(trained.step) == "4"
    assert json.loads(props["ganzoo.hparams"]) == {"width": 64}  # the generator's, every one
    assert props["ganzoo.generator"] == "dcgan" and props["ganzoo.format_version"] == "1.1"
    assert props["ganzoo.config_sha256"] == trained.config_sha256


def test_dynamic_batch_and_parity_on_fresh_latents(default_export, trained):
    session = ort.InferenceSession(str(default_export[0]), providers=["CPUExecutionProvider"])
    for batch in (1, 7, 64):
        z = latent_vectors(99, batch, 8)
        got = session.run(["images"], {"z": z})[0]
        assert got.shape == (batch, 28, 28, 1)
        assert np.abs(got - expected_output(trained.generator, z, None, OnnxOptions())).max() <= 1e-4


@pytest.mark.parametrize("options, dtype, shape", [
    (OnnxOptions(precision="fp16"), np.float32, (7, 28, 28, 1)),
    (OnnxOptions(layout="nchw"), np.float32, (7, 1, 28, 28)),
    (OnnxOptions(pixels="uint8"), np.uint8, (7, 28, 28, 1)),
    (OnnxOptions(precision="fp16", layout="nchw", pixels="uint8", opset=17), np.uint8, (7, 1, 28, 28)),
    (OnnxOptions(precision="int8"), np.float32, (7, 28, 28, 1)),
    (OnnxOptions(precision="int8", layout="nchw", pixels="uint8"), np.uint8, (7, 1, 28, 28)),
])
def test_variants_pass_the_checker_and_their_stated_bound(trained, tmp_path, options, dtype, shape):
    result = export_run(trained, tmp_path / "g.onnx", options)
    assert result.max_difference <= tolerance(options)
    model = onnx.load(result.path)
    onnx.checker.check_model(model, full_check=True)
    assert model.opset_import[0].version == (19 if options.precision == "int8" else options.opset) == result.opset
    session = ort.InferenceSession(str(result.path), providers=["CPUExecutionProvider"])
    z = latent_vectors(5, 7, 8)
    got = session.run(["images"], {"z": z})[0]
    assert got.dtype == dtype and got.shape == shape
    difference = np.abs(got.astype(float) - expected_output(trained.generator, z, None, options).astype(float)).max()
    assert difference <= tolerance(options)
    assert {node.domain for node in model.graph.node} <= {"", "ai.onnx"}
    if options.precision == "int8":  # really quantized: int8 weights, and int8 arithmetic between layers
        assert any(node.op_type == "QuantizeLinear" for node in model.graph.node)
        assert any(t.data_type == onnx.TensorProto.INT8 for t in model.graph.initializer)
    info = GeneratorInfo.from_props({p.key: p.value for p in model.metadata_props})
    assert info.layout == options.layout and info.pixel_range == ((0, 255) if options.pixels == "uint8" else (-1, 1))


def test_stated_bounds():
    assert tolerance(OnnxOptions()) == 1e-4
    assert tolerance(OnnxOptions(precision="fp16")) == 1e-2
    assert tolerance(OnnxOptions(pixels="uint8")) == 2  # gray levels
    assert tolerance(OnnxOptions(precision="fp16", pixels="uint8")) == 3
    assert tolerance(OnnxOptions(precision="int8")) == 0.5
    assert mean_tolerance(OnnxOptions(precision="int8")) == 0.03 and mean_tolerance(OnnxOptions()) is None


def test_metadata_round_trip():
    info = GeneratorInfo(latent_dim=100, image_shape=(32, 32, 3), layout="nchw", pixel_range=(0, 255),
                         num_classes=10, generator="cdcgan", dataset="folder:x", step=123, ganzoo_version="0.1.0",
                         config_sha256="ab" * 32)
    assert GeneratorInfo.from_props(info.to_props()) == info
    with pytest.raises(ValueError, match="ganzoo.layout is missing"):
        GeneratorInfo.from_props({k: v for k, v in info.to_props().items() if k != "ganzoo.layout"})


def test_a_tampered_graph_fails_parity_and_leaves_no_file(trained, tmp_path, monkeypatch):
    convert = onnx_export.to_onnx

    def tampered(*args):
        model = convert(*args)
        weights = max(_all_initializers(model.graph), key=lambda t: len(t.raw_data))
        array = onnx.numpy_helper.to_array(weights).copy()
        array.flat[::7] += 0.05
        weights.CopyFrom(onnx.numpy_helper.from_array(array, weights.name))
        return model

    monkeypatch.setattr(onnx_export, "to_onnx", tampered)
    with pytest.raises(ExportVerificationError, match="differs from Keras by"):
        export_run(trained, tmp_path / "bad.onnx")
    assert list(tmp_path.iterdir()) == []


def _all_initializers(graph):
    """Initializers of ``graph`` and of its subgraphs (the If of the Winograd/direct choice)."""
    yield from graph.initializer
    for node in graph.node:
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                yield from _all_initializers(attribute.g)


def test_an_invalid_graph_fails_the_checker_and_leaves_no_file(trained, tmp_path, monkeypatch):
    convert = onnx_export.to_onnx

    def broken(*args):
        model = convert(*args)
        model.graph.node[0].input[0] = "no_such_tensor"
        return model

    monkeypatch.setattr(onnx_export, "to_onnx", broken)
    with pytest.raises(ExportVerificationError, match="onnx.checker rejected"):
        export_run(trained, tmp_path / "bad.onnx")
    assert list(tmp_path.iterdir()) == []


def test_an_unsupported_opset_is_a_user_error_and_writes_nothing(trained_run, tmp_path, run_here):
    # Exporting with an opset tf2onnx cannot write is a user error (exit 2), and writes nothing.
    result = run_here("export", str(trained_run), "--opset", "19", "--output", str(tmp_path / "x.onnx"))
    assert result.returncode == 2 and "Invalid value for '--opset'" in result.stderr
    assert not (tmp_path / "x.onnx").exists()


def test_savedmodel_export(trained_run, tmp_path, run_here):
    output = tmp_path / "saved"
    result = run_here("export", str(trained_run), "--format", "savedmodel", "--output", str(output))
    assert result.returncode == 0, result.stderr
    import tensorflow as tf
    served = tf.saved_model.load(str(output))
    trained = load_trained_generator(trained_run)
    z = latent_vectors(3, 4, 8)
    assert np.abs(np.asarray(served.serve(z)) - np.asarray(trained.generator(z))).max() <= 1e-5
    again = run_here("export", str(trained_run), "--format", "savedmodel", "--output", str(output))
    assert again.returncode == 2 and "exists already" in again.stderr


def test_export_defaults_to_the_newest_run(trained_run, tmp_path, run_here):
    import shutil
    runs = tmp_path / "runs"
    shutil.copytree(trained_run, runs / "dcgan-npz-1")
    result = run_here("export", "--format", "onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (runs / "dcgan-npz-1" / "generator.onnx").exists()


def test_a_run_from_ganzoo_01_exports_with_the_default_hyperparameters(trained_run, tmp_path, run_here):
    """config.json of ganzoo 0.1: no hparams, and the retired plugin groups in its provenance."""
    run = tmp_path / "old-run"
    shutil.copytree(trained_run, run, ignore=shutil.ignore_patterns("*.onnx"))
    config = json.loads((run / "config.json").read_text())
    del config["hparams"]
    config["plugins"] = {"ganzoo.generators:dcgan": "ganzoo 0.1.0", "ganzoo.discriminators:dcgan": "ganzoo 0.1.0",
                         "ganzoo.losses:nonsaturating": "ganzoo 0.1.0"}
    (run / "config.json").write_text(json.dumps(config))
    result = run_here("export", str(run), "--output", str(tmp_path / "old.onnx"))
    assert result.returncode == 0, result.stderr
    props = {p.key: p.value for p in onnx.load(tmp_path / "old.onnx").metadata_props}
    assert json.loads(props["ganzoo.hparams"]) == {"width": 64}
