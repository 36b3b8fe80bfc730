"""Scale and speed options: strategies, mixed precision, XLA, EMA and the streamed input pipeline.

Every run here is a real (tiny) training run. Those with a strategy run in a
subprocess, since a strategy can split the CPU into logical devices only
before TensorFlow's runtime starts; the others run in this process (`cli`).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
from conftest import ganzoo_here, make_distribution, pythonpath_with, run_cli
from ganzoo.training.precision import cpu_features, emulated_note
from PIL import Image

TINY = ("--epochs", "2", "--batch-size", "32", "--latent-dim", "8")  # 64 images: 2 steps per epoch
TWO_CPUS = ("--strategy", "mirrored", "--devices", "cpu:0,cpu:1")

# An architecture whose forward pass does not depend on how a batch is split: no dropout (its masks are drawn
# per replica) and synchronised BatchNorm (statistics over the global batch, not each replica's half).
SPLIT_INVARIANT = """
import keras
from keras import layers

def generator(spec, *, latent_dim=100):
    return keras.Sequential([keras.Input((latent_dim,)), layers.Dense(7 * 7 * 16, use_bias=False),
                             layers.BatchNormalization(synchronized=True), layers.LeakyReLU(),
                             layers.Reshape((7, 7, 16)),
                             layers.Conv2DTranspose(8, 5, strides=2, padding="same", use_bias=False),
                             layers.BatchNormalization(synchronized=True), layers.LeakyReLU(),
                             layers.Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh")])

def discriminator(spec):
    return keras.Sequential([keras.Input(spec.shape), layers.Conv2D(8, 5, strides=2, padding="same"),
                             layers.LeakyReLU(), layers.Flatten(), layers.Dense(1)])

from ganzoo import Architecture
SPLIT = Architecture(generator, discriminator)
"""


def _metrics(run):
    with (run / "metrics.csv").open() as f:
        return list(csv.DictReader(f))


def _losses(run):
    return np.array([[float(row["d_loss"]), float(row["g_loss"])] for row in _metrics(run)])


def _checkpoint(run):
    path = sorted((run / "checkpoints").glob("ckpt-*.npz"))[-1]
    with np.load(path) as data:
        return path.name, [data[k] for k in sorted(data.files) if k != "info"]


def _train(tmp_path, name, *args, env=None):
    run = tmp_path / name
    result = run_cli("train", *args, "--run-dir", str(run), env=env)
    assert result.returncode == 0, result.stderr
    return run, result


def _train_here(cli, tmp_path, name, *args):
    """(run directory, stderr) of a training in this process."""
    run = tmp_path / name
    code, _, err = cli("train", *args, "--run-dir", run)
    assert code == 0, err
    return run, err


def test_mirrored_on_two_cpu_devices_matches_one_device(tiny_npz, tmp_path):
    """With split-invariant models the two replicas compute exactly the one-device step: latents are sliced
    from the same global draw, losses are divided by the replica count, gradients summed. What remains is
    float32 rounding (summation order), far under the 1e-4 allowed."""
    site = make_distribution(tmp_path / "site", "splitgan", "0.1",
                             {"ganzoo.architectures": {"split": "splitgan_mod:SPLIT"}},
                             {"splitgan_mod": SPLIT_INVARIANT})
    env = pythonpath_with(site)
    common = ("split", "--dataset", f"npz:{tiny_npz}", *TINY, "--ema", "0.9")  # the EMA update too
    one, _ = _train(tmp_path, "one", *common, env=env)
    two, result = _train(tmp_path, "two", *common, *TWO_CPUS, env=env)
    assert "strategy mirrored, devices cpu:0,cpu:1" in result.stderr
    assert [row["step"] for row in _metrics(two)] == [row["step"] for row in _metrics(one)] == ["2", "4"]
    np.testing.assert_allclose(_losses(two), _losses(one), atol=1e-4)
    (name_one, weights_one), (name_two, weights_two) = _checkpoint(one), _checkpoint(two)
    assert name_one == name_two == "ckpt-00000004.npz"
    for a, b in zip(weights_one, weights_two):
        np.testing.assert_allclose(b, a, atol=1e-4)


@pytest.mark.slow  # test_mirrored_on_two_cpu_devices_matches_one_device covers the same path, smaller
def test_mirrored_dcgan_tracks_one_device_and_resumes_across_strategies(tiny_npz, tmp_path):
    """dcgan keeps the tutorial's layers: dropout masks are drawn per replica and BatchNorm normalises each
    replica's half batch, so the losses agree only to the extent that these differences allow (0.05 over
    four steps, where an untrained pair's losses move by ~0.1 per step)."""
    common = ("dcgan", "--dataset", f"npz:{tiny_npz}", *TINY)
    one, _ = _train(tmp_path, "one", *common)
    two, _ = _train(tmp_path, "two", *common, *TWO_CPUS)
    assert [row["step"] for row in _metrics(two)] == ["2", "4"]
    np.testing.assert_allclose(_losses(two), _losses(one), atol=0.05)
    _train(tmp_path, "two", "--resume", "--epochs", "3", "--strategy", "default")  # two devices -> one
    assert [row["step"] for row in _metrics(two)] == ["2", "4", "6"]
    assert json.loads((two / "config.json").read_text())["strategy"] == "default"
    _train(tmp_path, "one", "--resume", "--epochs", "3", *TWO_CPUS)  # and one -> two
    assert [row["step"] for row in _metrics(one)] == ["2", "4", "6"]


def test_mirrored_without_a_gpu_runs_on_the_cpu_with_a_notice(tiny_npz, tmp_path):
    run, result = _train(tmp_path, "run", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1",
                         "--batch-size", "32", "--latent-dim", "8", "--strategy", "mirrored")
    assert "no GPU found; --strategy mirrored runs on the CPU" in result.stderr
    assert _metrics(run)[-1]["step"] == "2"


@pytest.mark.parametrize("args, message", [
    (("--strategy", "mirrored", "--devices", "cpu:0,cpu:1", "--batch-size", "31"),
     "batch size 31 does not split evenly over 2 replicas"),
    ((*TWO_CPUS, "--jit"), "--jit works with one replica only, not 2"),
])
def test_bad_scale_options_are_one_line_errors(tiny_npz, tmp_path, args, message):
    """In a fresh process: splitting the CPU into devices must come before TensorFlow's runtime starts."""
    run = tmp_path / "run"
    result = run_cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", "--latent-dim", "8",
                     *args, "--run-dir", str(run))
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"error: {message}")
    assert not run.exists()


@pytest.mark.parametrize("args, message", [
    (("--strategy", "mirrored", "--devices", "gpu:3"), "no such device: /gpu:3"),
    (("--devices", "cpu:0,cpu:1"), "--devices needs --strategy mirrored"),
    (("--strategy", "multiworker"), "--strategy multiworker needs TF_CONFIG"),
])
def test_bad_strategy_options_are_one_line_errors(tiny_npz, tmp_path, args, message, cli, monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    run = tmp_path / "run"
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", "--latent-dim", "8",
                       *args, "--run-dir", run)
    assert code == 2 and err.strip().splitlines()[-1].startswith(f"error: {message}"), err
    assert not run.exists()


def test_malformed_tf_config_is_a_one_line_error(tiny_npz, tmp_path):
    result = run_cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--strategy", "multiworker",
                     "--run-dir", str(tmp_path / "run"), env={"TF_CONFIG": '{"cluster": {}}'})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1].startswith("error: TF_CONFIG is not a valid multi-worker")


def _free_ports(n):
    sockets = [socket.socket() for _ in range(n)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def test_multiworker_trains_on_two_processes_and_resumes_on_one_device(tiny_npz, tmp_path):
    run = tmp_path / "run"
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    processes = []
    try:
        for index in range(2):
            env = {**os.environ, "TF_CONFIG": json.dumps({"cluster": {"worker": workers},
                                                          "task": {"type": "worker", "index": index}})}
            processes.append(subprocess.Popen(
                [sys.executable, "-m", "ganzoo", "train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1",
                 "--batch-size", "32", "--latent-dim", "8", "--strategy", "multiworker", "--run-dir", str(run)],
                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
        outputs = [p.communicate(timeout=240) for p in processes]
    finally:
        for p in processes:
            p.kill()
    for p, (_, err) in zip(processes, outputs):
        assert p.returncode == 0, err
    assert outputs[1][1].strip().splitlines()[-1].startswith("worker 1 done: 2 steps")
    assert [p.name for p in (run / "checkpoints").glob("ckpt-*.npz")] == ["ckpt-00000002.npz"]  # the chief's
    assert len(_metrics(run)) == 1  # written once, by the chief
    _train(tmp_path, "run", "--resume", "--epochs", "2", "--strategy", "default")
    assert [row["step"] for row in _metrics(run)] == ["2", "4"]


@pytest.mark.parametrize("precision", [pytest.param("mixed_bfloat16", marks=pytest.mark.slow), "mixed_float16"])
def test_mixed_precision_trains_with_finite_losses_and_resumes(tiny_npz, tmp_path, cli, precision):
    run, err = _train_here(cli, tmp_path, "run", "dcgan", "--dataset", f"npz:{tiny_npz}", *TINY, "--precision",
                           precision)
    assert np.isfinite(_losses(run)).all()
    # one line, at the start, where this CPU lacks the 16-bit type (it has no GPU): it says so and goes on
    expected = emulated_note(precision, cpu_features())
    assert (expected in err) if expected else "is emulated" not in err
    _, weights = _checkpoint(run)
    assert all(w.dtype != np.float16 for w in weights)  # variables stay float32 under mixed policies
    _train_here(cli, tmp_path, "run", "--resume", "--epochs", "3")
    assert [row["step"] for row in _metrics(run)] == ["2", "4", "6"]
    code, _, err = cli("sample", run, "-n", "4", "--output", tmp_path / "x.npy")
    assert code == 0, err
    assert np.load(tmp_path / "x.npy").dtype == np.float32


def test_the_emulated_precision_note_reads_the_cpus_features(tmp_path):
    assert emulated_note("mixed_bfloat16", {"avx2", "fma"}).startswith("note: this CPU has no native bfloat16 (")
    assert emulated_note("mixed_bfloat16", {"avx512f", "avx512_bf16"}) is None
    assert emulated_note("mixed_bfloat16", {"fp", "asimd", "bf16"}) is None  # Arm's name
    assert "no native float16" in emulated_note("mixed_float16", {"avx512f"})
    assert emulated_note("mixed_float16", {"amx_fp16"}) is None
    assert emulated_note("float32", set()) is None and emulated_note("mixed_bfloat16", None) is None  # not known
    cpuinfo = tmp_path / "cpuinfo"
    cpuinfo.write_text("processor\t: 0\nflags\t\t: fpu avx2 amx_bf16\n\nprocessor\t: 1\nflags\t: fpu\n")
    assert cpu_features(cpuinfo) == {"fpu", "avx2", "amx_bf16"}
    cpuinfo.write_text("Processor\t: AArch64\nFeatures\t: fp asimd asimdhp\n")
    assert cpu_features(cpuinfo) == {"fp", "asimd", "asimdhp"} and cpu_features(tmp_path / "none") is None


def test_changing_precision_on_resume_is_refused(tiny_npz, tmp_path, cli):
    run, _ = _train_here(cli, tmp_path, "run", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1",
                         "--batch-size", "32", "--latent-dim", "8")
    code, _, err = cli("train", "--resume", "--run-dir", run, "--precision", "mixed_float16")
    assert code == 2 and "precision: run has 'float32', command line says 'mixed_float16'" in err


def test_jit_trains_the_same_steps(tiny_npz, tmp_path, cli):
    run, err = _train_here(cli, tmp_path, "run", "dcgan", "--dataset", f"npz:{tiny_npz}", *TINY, "--jit")
    assert "XLA" in err
    assert [row["step"] for row in _metrics(run)] == ["2", "4"] and np.isfinite(_losses(run)).all()


def test_ema_weights_differ_from_raw_and_round_trip_through_a_checkpoint(tiny_npz, tmp_path, cli):
    import keras

    run, _ = _train_here(cli, tmp_path, "run", "dcgan", "--dataset", f"npz:{tiny_npz}", *TINY, "--ema", "0.9")
    plain, _ = _train_here(cli, tmp_path, "plain", "dcgan", "--dataset", f"npz:{tiny_npz}", *TINY)
    _, weights = _checkpoint(run)
    count = len(weights) - len(_checkpoint(plain)[1])  # the EMA copy of the generator is stored last
    raw, ema = weights[:count], weights[-count:]
    assert [w.shape for w in raw] == [w.shape for w in ema]
    assert max(np.abs(r - e).max() for r, e in zip(raw, ema)) > 1e-3

    # a resume restores the EMA variables (and the finished run rewrites generator.keras from them)
    (run / "generator.keras").unlink()
    _train_here(cli, tmp_path, "run", "--resume")
    restored = keras.saving.load_model(run / "generator.keras").get_weights()
    for stored, loaded in zip(ema, restored, strict=True):
        np.testing.assert_array_equal(loaded, stored)

    outputs = {}
    for flag in ("--ema", "--no-ema"):
        code, _, err = cli("sample", run, "-n", "8", "--output", tmp_path / f"{flag}.npy", flag)
        assert code == 0, err
        assert ("EMA weights" in err) == (flag == "--ema")
        outputs[flag] = np.load(tmp_path / f"{flag}.npy")
    assert np.abs(outputs["--ema"] - outputs["--no-ema"]).max() > 1e-3


def test_a_folder_over_the_memory_budget_streams_the_same_batches(tmp_path, tiny_npz, cli, monkeypatch):
    images = tmp_path / "images"
    images.mkdir()
    with np.load(tiny_npz) as data:
        for i, image in enumerate(data["x"]):
            Image.fromarray(image).save(images / f"{i:03d}.png")
    common = ("dcgan", "--dataset", f"folder:{images}", *TINY)
    memory, err = _train_here(cli, tmp_path, "memory", *common)
    assert "streaming" not in err
    monkeypatch.setenv("GANZOO_MEMORY_BUDGET", "1000")
    streamed, err = _train_here(cli, tmp_path, "streamed", *common)
    assert "streaming 64 images from disk" in err
    np.testing.assert_array_equal(_losses(streamed), _losses(memory))


@pytest.mark.parametrize("budget", ["1000", None])  # streamed, and decoded into memory
def test_an_image_whose_pixels_cannot_be_decoded_is_a_one_line_error(tmp_path, tiny_npz, budget):
    images = tmp_path / "images"
    images.mkdir()
    with np.load(tiny_npz) as data:
        for i, image in enumerate(data["x"]):
            Image.fromarray(image).save(images / f"{i:03d}.png")
    broken = images / "005.png"
    broken.write_bytes(broken.read_bytes()[:60])  # the header reads, the pixels do not
    env = {"GANZOO_MEMORY_BUDGET": budget} if budget else None
    result = ganzoo_here("train", "dcgan", "--dataset", f"folder:{images}", *TINY, "--run-dir", tmp_path / "run",
                         env=env)
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: cannot decode {broken}")
    assert ("training stopped" in last) == bool(budget)  # streamed: found mid-epoch; in memory: before anything
