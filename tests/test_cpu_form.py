"""The sampler's CPU form of a portable file: Winograd by batch size, verified before use, cached on disk, and
never trusted from a damaged or foreign cache entry."""

from __future__ import annotations

import logging
import multiprocessing
import os
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from conftest import REPO, run_cli
from ganzoo_runtime.cpu import form as cpu
from ganzoo_runtime.cpu.batch_dispatch import DISPATCH_NODE
from ganzoo_runtime.cpu.cache import FormCache
from ganzoo_runtime.cpu.form import MIN_BATCH
from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.metadata import GeneratorInfo
from ganzoo_runtime.model import OnnxGenerator
from onnx import numpy_helper

pytestmark = pytest.mark.xdist_group("trained_run")  # fixtures built once, on one worker (loadgroup)


@pytest.fixture(scope="session")
def portable(trained_onnx):
    """The tiny run's default export: the portable file."""
    return trained_onnx


def _info(path) -> GeneratorInfo:
    return GeneratorInfo.from_props({p.key: p.value for p in onnx.load(path).metadata_props})


def _run(model: bytes | str, z):
    session = ort.InferenceSession(model if isinstance(model, bytes) else str(model),
                                   providers=["CPUExecutionProvider"])
    return session.run(["images"], {"z": z})[0]


def test_winograd_runs_from_min_batch_and_the_files_own_graph_below(portable):
    data = portable.read_bytes()
    form = cpu.cpu_form(data, _info(portable))
    assert form.description == "winograd"  # the export already wrote the sub-pixel form
    model = onnx.load_from_string(form.model)
    [dispatch] = [n for n in model.graph.node if n.op_type == "If"]
    assert dispatch.name == DISPATCH_NODE
    branches = {a.name: a.g for a in dispatch.attribute}
    large_ops = [n.op_type for n in branches["then_branch"].node]
    small_ops = [n.op_type for n in branches["else_branch"].node]
    assert large_ops.count("MatMul") == 2 * 5  # two Winograd convolutions
    assert small_ops.count("Conv") == 3 and large_ops.count("Conv") == 1  # the last (1 filter) stays direct
    # The dense layer both graphs begin with runs once, before the If, its weights stored once.
    assert [n.op_type for n in model.graph.node][:2] == ["MatMul", "Mul"] and "MatMul" not in small_ops
    for batch in (1, MIN_BATCH - 1, MIN_BATCH, 64):
        z = latent_vectors(3, batch, 8)
        got, plain = _run(form.model, z), _run(portable, z)
        assert np.abs(got - plain).max() <= cpu.TOLERANCE["float"]
        if batch < MIN_BATCH:
            np.testing.assert_array_equal(got, plain)  # the file's own graph
        else:
            assert not np.array_equal(got, plain)  # Winograd rounds differently: the other branch ran


def test_a_rewrite_that_fails_its_check_is_not_used(portable, monkeypatch, caplog):
    from ganzoo_runtime.cpu import winograd
    rewrite = winograd.rewrite_convolutions

    def off_by_five_percent(model):
        count = rewrite(model)
        for tensor in model.graph.initializer:
            if tensor.name.endswith("__winograd_u"):
                tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor) * 1.05, tensor.name))
        return count

    monkeypatch.setattr(winograd, "rewrite_convolutions", off_by_five_percent)
    data = portable.read_bytes()
    with caplog.at_level(logging.WARNING, logger="ganzoo_runtime"):
        form = cpu.cpu_form(data, _info(portable))
    assert form.model is data and form.description == "portable graph"
    assert "the CPU rewrites failed their check against the file (winograd differs by" in caplog.text


def _dense_generator(path):
    """A generator with nothing for the CPU form to rewrite: z [N, 4] -> MatMul -> Tanh -> [N, 28, 28, 1]."""
    from onnx import TensorProto, helper
    weight = numpy_helper.from_array(np.random.default_rng(0).standard_normal((4, 784)).astype(np.float32), "w")
    shape = numpy_helper.from_array(np.array([-1, 28, 28, 1], np.int64), "shape")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["z", "w"], ["h"]), helper.make_node("Tanh", ["h"], ["t"]),
         helper.make_node("Reshape", ["t", "shape"], ["images"])], "dense",
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["batch", 4])],
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["batch", 28, 28, 1])], [weight, shape])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9
    for key, value in GeneratorInfo(latent_dim=4, image_shape=(28, 28, 1)).to_props().items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, path)
    return path


def test_a_file_no_rewrite_applies_to_is_cached_as_such_and_loads_without_onnx(tmp_path):
    """A file with nothing to rewrite: a second load knows that from the cache, without importing onnx (2 s of a
    `ganzoo sample zoo:…`)."""
    plain = _dense_generator(tmp_path / "dense.onnx")
    code = ("import sys; from ganzoo_runtime.model import OnnxGenerator; "
            f"print(OnnxGenerator({str(plain)!r}, 'cpu').description, 'onnx' in sys.modules)")
    env = {**os.environ, "GANZOO_CACHE_DIR": str(tmp_path / "cache")}
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env) for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["onnxruntime on cpu (portable graph) True",
                                                "onnxruntime on cpu (portable graph, cached) False"], runs[1].stderr


def test_a_float16_file_runs_in_float32_with_winograd_within_the_float16_bound(tmp_path, caplog):
    """The shelf's float16 dcgan file: its weights computed in float32 (no casts around every operator) and then
    in Winograd's form, drawing what the file draws within the float16 export's bound, checked by the same
    bound when it is read back from the cache."""
    shelf_file = REPO / "ganzoo" / "zoo" / "entries" / "dcgan-mnist" / "generator.onnx"
    data = shelf_file.read_bytes()
    form = cpu.cpu_form(data, _info(shelf_file), FormCache(tmp_path))
    with caplog.at_level(logging.WARNING, logger="ganzoo_runtime"):
        again = cpu.cpu_form(data, _info(shelf_file), FormCache(tmp_path))
    assert again.description == "float32 + winograd, cached" and again.model == form.model and not caplog.text
    assert form.description == "float32 + winograd"  # the shelf file is already in the sub-pixel form
    model = onnx.load_from_string(form.model)
    assert not any(t.data_type == onnx.TensorProto.FLOAT16 for t in model.graph.initializer)
    for batch in (1, 64):
        z = latent_vectors(batch, batch, 100)
        difference = np.abs(_run(form.model, z) - _run(data, z)).max()
        assert 0 < difference <= 1e-2, difference  # not the file's float16 rounding, within its bound


def test_a_second_load_reads_the_cache(portable, tmp_path):
    cache = FormCache(tmp_path)
    first = cpu.cpu_form(portable.read_bytes(), _info(portable), cache)
    [entry] = list(tmp_path.glob("*.onnx"))
    second = cpu.cpu_form(portable.read_bytes(), _info(portable), cache)
    assert (first.description, second.description) == ("winograd", "winograd, cached")
    assert second.model == first.model and entry.name.startswith(cpu.form_key(portable.read_bytes()))


@pytest.mark.parametrize("damage", ["truncate", "flip", "other key", "empty", "garbage"])
def test_a_damaged_or_foreign_cache_entry_is_rebuilt_never_used(portable, tmp_path, damage):
    cache = FormCache(tmp_path)
    data, info = portable.read_bytes(), _info(portable)
    good = cpu.cpu_form(data, info, cache).model
    [entry] = list(tmp_path.glob("*.onnx"))
    raw = entry.read_bytes()
    entry.write_bytes({"truncate": raw[:len(raw) // 2], "flip": raw[:-10] + bytes(10), "empty": b"",
                       "other key": raw.replace(cpu.form_key(data).encode(), b"x" * len(cpu.form_key(data))),
                       "garbage": b"\x00\xff" * 1000}[damage])
    again = cpu.cpu_form(data, info, cache)
    assert again.description == "winograd" and again.model == good  # rebuilt, not read
    assert entry.read_bytes() == raw  # and the entry is whole again


def test_a_forged_cache_entry_with_a_valid_header_is_rebuilt_never_used(portable, tmp_path, caplog):
    """Another graph stored under this file's key with a correct checksum: only its images can tell."""
    cache = FormCache(tmp_path)
    data, info = portable.read_bytes(), _info(portable)
    good = cpu.cpu_form(data, info, cache).model
    forged = onnx.load_from_string(good)
    weights = max(forged.graph.initializer, key=lambda t: np.prod(t.dims))
    weights.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(weights) * 1.5, weights.name))
    cache.write(cpu.form_key(data), forged.SerializeToString(), "winograd")
    assert cache.read(cpu.form_key(data))[0] == forged.SerializeToString()  # the entry itself looks whole
    with caplog.at_level(logging.WARNING, logger="ganzoo_runtime"):
        again = cpu.cpu_form(data, info, cache)
    assert again.description == "winograd" and again.model == good
    assert "does not draw this file's images; rebuilding it" in caplog.text
    assert cache.read(cpu.form_key(data))[0] == good  # and the entry holds the true form again


@pytest.fixture(params=["read-only", "full"])
def unwritable(request, tmp_path):
    """A cache folder on a read-only or a full (64 KB) tmpfs: root only, where a chmod would not stop a write."""
    folder = tmp_path / request.param
    folder.mkdir()
    options = "ro,size=1M" if request.param == "read-only" else "size=64k"
    if subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_a_read_only_or_full_cache_means_no_caching_with_one_notice(portable, unwritable, caplog):
    cache = FormCache(unwritable)
    with caplog.at_level(logging.WARNING, logger="ganzoo_runtime"):
        first = cpu.cpu_form(portable.read_bytes(), _info(portable), cache)
        second = cpu.cpu_form(portable.read_bytes(), _info(portable), cache)
    assert first.description == second.description == "winograd" and first.model == second.model
    assert list(unwritable.iterdir()) == []  # nothing, not even a partial file
    assert caplog.text.count("notice: not caching the CPU form") == 1


def test_a_cache_folder_that_is_a_file_means_no_caching(portable, tmp_path, caplog):
    blocker = tmp_path / "file"
    blocker.write_text("")
    with caplog.at_level(logging.WARNING, logger="ganzoo_runtime"):
        form = cpu.cpu_form(portable.read_bytes(), _info(portable), FormCache(blocker / "cache"))
    assert form.description == "winograd" and "notice: not caching the CPU form" in caplog.text


def _fill(args):
    path, folder = args
    return cpu.cpu_form(open(path, "rb").read(), _info(path), FormCache(folder)).model


def test_processes_filling_the_cache_at_once_leave_one_whole_entry(portable, tmp_path):
    with multiprocessing.get_context("spawn").Pool(2) as pool:
        models = pool.map(_fill, [(str(portable), str(tmp_path))] * 4)
    assert len(set(models)) == 1
    [entry] = list(tmp_path.glob("*.onnx"))
    assert FormCache(tmp_path).read(entry.stem) == (models[0], "winograd")
    assert not list(tmp_path.glob(".*"))  # no temporary file left


def test_the_sampler_reports_what_ran_and_no_cache_writes_nothing(portable, tmp_path, monkeypatch):
    monkeypatch.setenv("GANZOO_CACHE_DIR", str(tmp_path / "cache"))
    uncached = OnnxGenerator(portable, "cpu", cache=False)
    assert uncached.description == "onnxruntime on cpu (winograd)" and not (tmp_path / "cache").exists()
    assert OnnxGenerator(portable, "cpu").description == "onnxruntime on cpu (winograd)"
    assert OnnxGenerator(portable, "cpu").description == "onnxruntime on cpu (winograd, cached)"
    result = run_cli("sample", str(portable), "--no-cache", "-o", str(tmp_path / "g.png"),
                     "--device", "cpu", env={"GANZOO_CACHE_DIR": str(tmp_path / "other")})
    assert result.returncode == 0 and "(onnxruntime on cpu (winograd))" in result.stderr
    assert not (tmp_path / "other").exists()
