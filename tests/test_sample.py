"""Sampling: the TF-free runtime and the Keras path agree; every output form; bad inputs."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from PIL import Image

from conftest import REPO, run_cli
from ganzoo_runtime.providers import nvidia_gpu_count

pytestmark = pytest.mark.xdist_group("trained_run")  # fixtures built once, on one worker (loadgroup)


@pytest.fixture(scope="session")
def onnx_file(trained_onnx):
    return trained_onnx


def test_sampling_an_onnx_file_never_imports_tensorflow(onnx_file, tmp_path):
    code = ("import sys; from ganzoo.cli.main import main; "
            f"code = main(['sample', {str(onnx_file)!r}, '-n', '9', '--output', {str(tmp_path / 'a.png')!r}]); "
            "from ganzoo_runtime.cli import main as runtime_main; "
            f"code += runtime_main([{str(onnx_file)!r}, '-n', '9', '--output', {str(tmp_path / 'b.png')!r}]); "
            "assert code == 0, code; "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules, 'TensorFlow was imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "(onnxruntime on cpu (winograd" in result.stderr or nvidia_gpu_count() > 0
    assert np.array_equal(np.asarray(Image.open(tmp_path / "a.png")), np.asarray(Image.open(tmp_path / "b.png")))


def test_keras_and_onnx_agree_for_the_same_seed(onnx_file, trained_run, tmp_path, run_here):
    for source, name in ((onnx_file, "onnx"), (trained_run, "keras")):
        for suffix in ("npy", "png"):
            result = run_here("sample", str(source), "-n", "10", "--seed", "3", "--batch-size", "4",
                             "--output", str(tmp_path / f"{name}.{suffix}"))
            assert result.returncode == 0, result.stderr
    onnx_images, keras_images = np.load(tmp_path / "onnx.npy"), np.load(tmp_path / "keras.npy")
    assert onnx_images.shape == keras_images.shape == (10, 28, 28, 1)
    assert np.abs(onnx_images - keras_images).max() <= 1e-4
    grids = [np.asarray(Image.open(tmp_path / f"{name}.png"), int) for name in ("onnx", "keras")]
    assert grids[0].shape == grids[1].shape and np.abs(grids[0] - grids[1]).max() <= 1
    other_seed = run_here("sample", str(onnx_file), "-n", "10", "--seed", "4", "--output", str(tmp_path / "s4.npy"))
    assert other_seed.returncode == 0 and np.abs(np.load(tmp_path / "s4.npy") - onnx_images).max() > 100 * 1e-4


def test_output_forms(onnx_file, tmp_path, run_here):
    written = run_here("sample", str(onnx_file), "-n", "5", "--output", str(tmp_path / "each"))
    assert written.returncode == 0
    assert re.search(r"wrote 5 PNG files \([\d,]+ images/s written; the generator alone [\d,]+ images/s\) to .* "
                     r"\(onnxruntime on cpu", written.stderr), written.stderr
    files = sorted(p.name for p in (tmp_path / "each").iterdir())
    assert files == [f"{i:05d}.png" for i in range(5)]
    assert Image.open(tmp_path / "each" / "00000.png").size == (28, 28)
    assert run_here("sample", str(onnx_file), "-n", "4", "--output", str(tmp_path / "walk.gif")).returncode == 0
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 48
        frames = []
        for i in (0, 1, 24):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("L"), int))
    assert 0 < np.abs(frames[0] - frames[1]).mean() < np.abs(frames[0] - frames[2]).mean()  # a smooth walk


def test_uint8_nchw_files_are_sampled_as_their_metadata_says(trained_run, onnx_file, tmp_path, run_here):
    variant = tmp_path / "v.onnx"
    assert run_here("export", str(trained_run), "--layout", "nchw", "--pixels", "uint8",
                   "--output", str(variant)).returncode == 0
    for source, name in ((variant, "v"), (onnx_file, "plain")):
        assert run_here("sample", str(source), "-n", "4", "--output", str(tmp_path / f"{name}.png")).returncode == 0
    a, b = (np.asarray(Image.open(tmp_path / f"{n}.png"), int) for n in ("v", "plain"))
    assert np.abs(a - b).max() <= 2


def _plain_model(path, inputs, output, metadata=None):
    """A hand-made ONNX model: images = Reshape(z) and so on, for shape-inference tests."""
    nodes, outputs = output
    graph = helper.make_graph(nodes, "g", inputs, outputs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 9  # what onnxruntime 1.22+ reads
    for key, value in (metadata or {}).items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, path)
    return path


def test_an_onnx_without_ganzoo_metadata_is_sampled_when_its_shapes_say_enough(tmp_path, run_here):
    shape = helper.make_tensor("shape", TensorProto.INT64, [4], [-1, 4, 4, 1])
    path = _plain_model(tmp_path / "plain.onnx", [helper.make_tensor_value_info("z", TensorProto.FLOAT, ["n", 16])],
                        ([helper.make_node("Constant", [], ["s"], value=shape),
                          helper.make_node("Reshape", ["z", "s"], ["r"]),
                          helper.make_node("Tanh", ["r"], ["images"])],
                         [helper.make_tensor_value_info("images", TensorProto.FLOAT, ["n", 4, 4, 1])]))
    result = run_here("sample", str(path), "-n", "3", "--output", str(tmp_path / "x.npy"))
    assert result.returncode == 0, result.stderr
    assert np.load(tmp_path / "x.npy").shape == (3, 4, 4, 1)


def test_an_onnx_that_is_not_a_generator_is_a_clear_error(tmp_path, run_here):
    path = _plain_model(tmp_path / "clf.onnx", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 16])],
                        ([helper.make_node("Relu", ["x"], ["y"])],
                         [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 16])]))
    result = run_here("sample", str(path), "--output", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {path} is not a ganzoo generator: its output is not an image batch " \
                                    "with a fixed image shape: ['n', 16]"


@pytest.mark.parametrize("make, message", [
    (lambda p: p / "nothing", "is neither a run directory (with config.json) nor an .onnx file"),
    (lambda p: (p / "junk.onnx").write_bytes(b"junk") and p / "junk.onnx", "is not a loadable ONNX model"),
])
def test_bad_sources(tmp_path, make, message, run_here):
    source = make(tmp_path)
    result = run_here("sample", str(source), "--output", str(tmp_path / "x.png"))
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "onnxruntime_src" not in result.stderr


def test_bad_sampling_options(onnx_file, tmp_path, run_here):
    for args, message in ((["-n", "0"], "Invalid value for '-n'"), (["-n", "-3"], "Invalid value for '-n'"),
                          (["--output", str(tmp_path / "no" / "dir" / "x.png")], "cannot write"),
                          (["--output", str(tmp_path / "x.jpg")], "unsupported output"),
                          (["--label", "3"], "is not a conditional generator")):
        result = run_here("sample", str(onnx_file), *args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    runtime = subprocess.run([sys.executable, "-m", "ganzoo_runtime.cli", str(onnx_file), "-n", "0"],
                             capture_output=True, text=True)
    assert runtime.returncode == 2 and "argument -n" in runtime.stderr


@pytest.mark.skipif(nvidia_gpu_count() > 0, reason="this machine has a GPU")
@pytest.mark.parametrize("device", ["cuda", "tensorrt"])
def test_a_missing_gpu_is_an_error_not_a_silent_fallback(onnx_file, tmp_path, device, run_here):
    result = run_here("sample", str(onnx_file), "--device", device, "--output", str(tmp_path / "x.png"))
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"error: device {device} is not available")
    assert not (tmp_path / "x.png").exists()


def test_auto_on_a_cpu_machine_is_quiet(onnx_file, tmp_path):
    result = run_cli("sample", str(onnx_file), "--output", str(tmp_path / "x.png"))
    assert result.returncode == 0
    [line] = result.stderr.strip().splitlines()
    assert line in [f"wrote a grid of 64 images to {tmp_path / 'x.png'} (onnxruntime on cpu (winograd{cached}))"
                    for cached in ("", ", cached")] or nvidia_gpu_count() > 0


def test_exporting_or_sampling_a_run_without_a_checkpoint(trained_run, tmp_path, run_here):
    import shutil
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    shutil.rmtree(run / "checkpoints")
    for command in (["export", str(run)], ["sample", str(run)]):
        result = run_here(*command, "--output", str(tmp_path / "x.onnx" if command[0] == "export" else "x.png"))
        assert result.returncode == 2 and "has no checkpoint yet" in result.stderr


@pytest.mark.slow  # CI's .ci/wheels installs the sampler's wheel alone and checks the same on every run
def test_the_runtime_installs_and_samples_on_its_own_without_tensorflow(onnx_file, tmp_path):
    """`pip install ./export` in a fresh virtual environment: no TensorFlow, and ganzoo-sample works."""
    import shutil
    source = tmp_path / "export"
    shutil.copytree(REPO / "export", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    install = subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(source)], capture_output=True,
                             text=True)
    assert install.returncode == 0, install.stderr
    listed = subprocess.run([str(python), "-m", "pip", "list"], capture_output=True, text=True).stdout.lower()
    assert "onnxruntime" in listed and "tensorflow" not in listed and "keras" not in listed
    result = subprocess.run([str(venv / "bin" / "ganzoo-sample"), str(onnx_file), "-n", "4", "--seed", "3",
                             "--output", str(tmp_path / "x.npy")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    mine = run_cli("sample", str(onnx_file), "-n", "4", "--seed", "3", "--output", str(tmp_path / "y.npy"))
    assert mine.returncode == 0 and np.array_equal(np.load(tmp_path / "x.npy"), np.load(tmp_path / "y.npy"))
