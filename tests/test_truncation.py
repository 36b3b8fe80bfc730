"""The truncation input (SPEC.md format 1.1): a generator whose Keras model takes ``truncation`` exports it as an
optional ONNX input with the default 1, which ganzoo's samplers feed from ``--truncation`` and other consumers
may ignore. Uses a tiny hand-written generator, not stylegan's, so the core's contract is tested on its own."""

from __future__ import annotations

import re
import subprocess
import sys

import numpy as np
import onnx
import pytest

from ganzoo.plugins.interfaces import ImageSpec
from ganzoo_runtime.metadata import GeneratorInfo

SPEC = ImageSpec(8, 8, 1)
LATENT = 4


def truncating_generator():
    """images = tanh(A (psi * B z) + c): psi 0 gives tanh(c) for every z."""
    import keras
    from keras import layers

    keras.utils.set_random_seed(3)
    z, psi = keras.Input((LATENT,), name="z"), keras.Input((), name="truncation")
    w = layers.Dense(6)(z)
    w = layers.Lambda(lambda inputs: inputs[0] * inputs[1][:, None])([w, psi])
    x = layers.Dense(64, activation="tanh", bias_initializer="random_normal")(w)
    return keras.Model([z, psi], layers.Reshape(SPEC.shape)(x))


@pytest.fixture(scope="session")
def truncating_file(tmp_path_factory):
    from ganzoo.exporting.onnx_export import export_onnx

    path = tmp_path_factory.mktemp("truncation") / "g.onnx"
    export_onnx(truncating_generator(), GeneratorInfo(LATENT, SPEC.shape, generator="truncating"), path)
    return path


def test_the_input_is_exported_with_the_default_1_and_format_1_1(truncating_file):
    model = onnx.load(truncating_file)
    assert [i.name for i in model.graph.input] == ["z", "truncation"]
    default = {t.name: onnx.numpy_helper.to_array(t) for t in model.graph.initializer}["truncation"]
    assert default.shape == () and default == 1.0
    assert {p.key: p.value for p in model.metadata_props}["ganzoo.format_version"] == "1.1"


def test_a_consumer_that_does_not_know_the_input_runs_the_file_untruncated(truncating_file):
    import onnxruntime as ort
    from onnx.reference import ReferenceEvaluator

    z = np.random.default_rng(0).standard_normal((5, LATENT), dtype=np.float32)
    session = ort.InferenceSession(str(truncating_file), providers=["CPUExecutionProvider"])
    reference = ReferenceEvaluator(onnx.load(truncating_file))
    expected = np.asarray(truncating_generator()([z, np.ones(5, np.float32)]))
    assert np.abs(session.run(None, {"z": z})[0] - expected).max() < 1e-5
    assert np.abs(reference.run(None, {"z": z})[0] - expected).max() < 1e-5
    half = reference.run(None, {"z": z, "truncation": np.array(0.5, np.float32)})[0]
    assert np.abs(half - np.asarray(truncating_generator()([z, np.full(5, 0.5, np.float32)]))).max() < 1e-5


def test_the_runtime_feeds_psi_and_0_gives_one_image_for_every_latent(truncating_file):
    from ganzoo_runtime.model import OnnxGenerator

    generator = OnnxGenerator(truncating_file, "cpu", cache=False)
    z = np.random.default_rng(1).standard_normal((6, LATENT), dtype=np.float32)
    assert generator.takes_truncation
    untruncated, default = generator.sampler(1.0)(z, None), generator.sampler(None)(z, None)
    average = generator.sampler(0.0)(z, None)
    assert np.array_equal(untruncated, default)
    assert np.abs(average - average[:1]).max() < 1e-6 and np.abs(untruncated - untruncated[:1]).max() > 1e-2


def test_ganzoo_sample_and_ganzoo_sample_take_truncation(truncating_file, tmp_path):
    from conftest import run_cli

    result = run_cli("sample", str(truncating_file), "-n", "4", "--truncation", "0", "-o", str(tmp_path / "a.npy"))
    assert result.returncode == 0, result.stderr
    assert "truncation 0" in result.stderr
    images = np.load(tmp_path / "a.npy")
    assert np.abs(images - images[:1]).max() < 1e-6
    runtime = subprocess.run([sys.executable, "-m", "ganzoo_runtime.cli", str(truncating_file), "-n", "4",
                              "--truncation", "0.5", "-o", str(tmp_path / "b.npy")], capture_output=True, text=True)
    assert runtime.returncode == 0, runtime.stderr
    assert not np.allclose(np.load(tmp_path / "b.npy"), images)


@pytest.mark.parametrize("value", ["1.5", "-0.1", "nan", "much"])
def test_a_truncation_outside_0_to_1_is_one_line(truncating_file, tmp_path, value):
    from conftest import run_cli

    for result in (run_cli("sample", str(truncating_file), "--truncation", value, "-o", str(tmp_path / "a.png")),
                   subprocess.run([sys.executable, "-m", "ganzoo_runtime.cli", str(truncating_file), "--truncation",
                                   value, "-o", str(tmp_path / "a.png")], capture_output=True, text=True)):
        assert result.returncode == 2
        assert len(result.stderr.strip().splitlines()) == 1 and "--truncation" in result.stderr
    assert not (tmp_path / "a.png").exists()


def test_truncation_on_a_file_without_the_input_is_one_line(tmp_path):
    from conftest import run_cli
    from ganzoo.exporting.onnx_export import export_onnx
    import keras

    plain = keras.Sequential([keras.Input((LATENT,), name="z"), keras.layers.Dense(64, activation="tanh"),
                              keras.layers.Reshape(SPEC.shape)])
    export_onnx(plain, GeneratorInfo(LATENT, SPEC.shape, generator="plain"), tmp_path / "plain.onnx")
    assert [i.name for i in onnx.load(tmp_path / "plain.onnx").graph.input] == ["z"]
    result = run_cli("sample", str(tmp_path / "plain.onnx"), "--truncation", "0.7", "-o", str(tmp_path / "a.png"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: plain.onnx has no truncation input: --truncation applies to style-based generators (such as "
        "stylegan)"]
    assert not (tmp_path / "a.png").exists()


def test_a_format_1_file_still_loads(truncating_file, tmp_path):
    from ganzoo_runtime.model import OnnxGenerator

    model = onnx.load(truncating_file)
    for prop in model.metadata_props:
        if prop.key == "ganzoo.format_version":
            prop.value = "1"
    onnx.save(model, tmp_path / "old.onnx")
    assert OnnxGenerator(tmp_path / "old.onnx", "cpu", cache=False).info.format_version == "1"


def test_a_truncation_input_before_the_latents_is_a_broken_plugin(fake_site):
    from conftest import make_distribution
    from ganzoo.plugins import models
    from ganzoo.plugins.discovery import BrokenPluginError
    from ganzoo.plugins.run_plugins import ModelPlugins

    make_distribution(fake_site, "firstplug", "1.0", {"ganzoo.architectures": {"first": "first_mod:ARCH"}},
                      {"first_mod": """
import keras
from ganzoo import Architecture
from ganzoo_dcgan.models import build_discriminator
def generator(spec, *, latent_dim):
    psi, z = keras.Input((), name="truncation"), keras.Input((latent_dim,), name="z")
    x = keras.layers.Dense(spec.height * spec.width * spec.channels, activation="tanh")(z)
    return keras.Model([psi, z], keras.layers.Reshape(spec.shape)(x))
ARCH = Architecture(generator, build_discriminator)
"""})
    pair = ModelPlugins.load("first", "first")
    with pytest.raises(BrokenPluginError, match=re.escape("truncation input must come last")):
        models.build_generator(pair.generator, ImageSpec(28, 28, 1), 8, {}, False)
