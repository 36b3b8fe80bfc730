"""Training through the CLI: the run directory, resume after SIGKILL and Ctrl-C, refusals, divergence."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from conftest import make_distribution, pythonpath_with, run_cli
from PIL import Image

TINY = ("--batch-size", "32", "--latent-dim", "8")  # 64 images: 2 steps per epoch


def _metrics(run):
    with (run / "metrics.csv").open() as f:
        return list(csv.DictReader(f))


def _checkpoint_steps(run):
    return sorted(int(p.name[5:13]) for p in (run / "checkpoints").glob("ckpt-*.npz"))


def test_train_writes_the_whole_run_directory(tiny_npz, tmp_path, run_here):
    run = tmp_path / "run"
    result = run_here("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "3", *TINY, "--run-dir", str(run))
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    assert config["generator"] == "dcgan" and config["loss"] == "nonsaturating" and config["epochs"] == 3
    assert config["image_spec"] == {"height": 28, "width": 28, "channels": 1, "num_classes": 10}
    assert config["lr"] == 2e-4 and config["beta_1"] == 0.5  # the dcgan plugin's defaults
    rows = _metrics(run)
    assert [r["epoch"] for r in rows] == ["1", "2", "3"] and [r["step"] for r in rows] == ["2", "4", "6"]
    assert all(float(r["images_per_s"]) > 0 and np.isfinite(float(r["d_loss"])) for r in rows)
    for epoch in (1, 2, 3):
        with Image.open(run / "samples" / f"epoch-{epoch:04d}.png") as grid:
            assert grid.size[0] > 28 * 8
    with Image.open(run / "samples" / "progress.gif") as gif:
        assert gif.n_frames == 3
    assert _checkpoint_steps(run) == [4, 6]
    assert (run / "generator.keras").exists()
    assert list((run / "tensorboard").rglob("events.out.tfevents.*"))
    assert "done: 3 epochs, 6 steps" in result.stderr


def test_default_run_directory_is_under_runs(tiny_npz, tmp_path, cli, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY)
    assert code == 0, err
    runs = list((tmp_path / "runs").iterdir())
    assert len(runs) == 1 and runs[0].name.startswith("dcgan-npz-")
    assert (runs[0] / "samples" / "epoch-0001.png").exists()


def _start(tiny_npz, run, epochs, extra=()):
    return subprocess.Popen([sys.executable, "-m", "ganzoo", "train", "dcgan", "--dataset", f"npz:{tiny_npz}",
                             "--epochs", str(epochs), *TINY, "--run-dir", str(run), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(condition, process, timeout=240):
    deadline = time.time() + timeout
    while not condition():
        assert process.poll() is None, process.communicate()
        assert time.time() < deadline, "timed out"
        time.sleep(0.05)


def test_resume_after_sigkill_matches_an_uninterrupted_run(tiny_npz, tmp_path, cli):
    """Killed in a subprocess; the resumed and the uninterrupted runs train in this process (seconds cheaper)."""
    killed, whole = tmp_path / "killed", tmp_path / "whole"
    process = _start(tiny_npz, killed, epochs=40)
    _wait_for(lambda: _checkpoint_steps(killed) and _checkpoint_steps(killed)[-1] >= 4, process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    steps_at_kill = _checkpoint_steps(killed)[-1]
    assert steps_at_kill < 80, "the run finished before it could be killed"

    code, _, resumed = cli("train", "--resume", "--run-dir", killed, "--epochs", "6")
    assert code == 0, resumed
    assert f"from ckpt-{steps_at_kill:08d}.npz (step {steps_at_kill}" in resumed
    assert [r["epoch"] for r in _metrics(killed)] == [str(e) for e in range(1, 7)]
    assert _checkpoint_steps(killed)[-1] == 12

    code, _, uninterrupted = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "6", *TINY,
                                 "--run-dir", whole)
    assert code == 0, uninterrupted
    # Same data order, RNG and optimizer state: the same weights.
    with np.load(killed / "checkpoints" / "ckpt-00000012.npz") as a, \
            np.load(whole / "checkpoints" / "ckpt-00000012.npz") as b:
        assert a.files == b.files
        for key in a.files:
            if key != "info":
                np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-6, err_msg=key)


def test_ctrl_c_saves_a_checkpoint_and_resume_continues_mid_epoch(tiny_npz, tmp_path, cli):
    run, whole = tmp_path / "run", tmp_path / "whole"
    eight_steps = ("--batch-size", "8")  # 8 steps per epoch: Ctrl-C most likely lands mid-epoch
    process = _start(tiny_npz, run, epochs=200, extra=eight_steps)
    _wait_for(lambda: bool(_checkpoint_steps(run)), process)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "checkpoint saved" in stderr and f"--run-dir {run}" in stderr
    step = _checkpoint_steps(run)[-1]
    epochs_done = len(_metrics(run))
    code, _, resumed = cli("train", "--resume", "--run-dir", run, "--epochs", epochs_done + 2)
    assert code == 0, resumed
    assert f"(step {step}," in resumed
    assert _checkpoint_steps(run)[-1] == (epochs_done + 2) * 8
    # The interrupted epoch's row covers all of its steps, as if it had never been cut short.
    code, _, uninterrupted = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", epochs_done + 2,
                                 *TINY, *eight_steps, "--run-dir", whole)
    assert code == 0, uninterrupted
    got, expected = _metrics(run), _metrics(whole)
    assert [int(r["epoch"]) for r in got] == list(range(1, epochs_done + 3))
    for a, b in zip(got, expected):
        for column in ("step", "d_loss", "g_loss"):
            assert float(a[column]) == pytest.approx(float(b[column]), rel=1e-4), (step, column, a, b)
        assert float(a["images_per_s"]) > 0


def test_resume_with_contradicting_options_is_refused(tiny_npz, tmp_path, cli):
    run = tmp_path / "run"
    assert cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY, "--run-dir", run)[0] == 0
    code, _, err = cli("train", "dcgan", "--resume", "--run-dir", run, "--lr", "0.01", "--batch-size", "16")
    assert code == 2
    line = err.strip().splitlines()[-1]
    assert line.startswith(f"error: cannot resume {run}: options contradict its config.json")
    assert "lr: run has 0.0002, command line says 0.01" in line and "batch_size: run has 32" in line
    # The finished run is left alone; asking again without contradictions is a no-op.
    assert cli("train", "--resume", "--run-dir", run)[0] == 0 and _checkpoint_steps(run) == [2]


def test_resume_without_a_checkpoint_starts_at_step_0(tiny_npz, tmp_path, cli):
    run = tmp_path / "run"
    assert cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY, "--run-dir", run)[0] == 0
    for checkpoint in (run / "checkpoints").iterdir():
        checkpoint.unlink()
    (run / "metrics.csv").unlink()
    code, _, err = cli("train", "--resume", "--run-dir", run)
    assert code == 0, err
    assert _checkpoint_steps(run) == [2] and [r["epoch"] for r in _metrics(run)] == ["1"]


NAN_LOSS = """
import keras
from keras import ops
from ganzoo.plugins.interfaces import Loss

class NanAfterThreeSteps(Loss):
    def __init__(self):
        self.calls = keras.Variable(0, dtype="int32", trainable=False)
    def discriminator_loss(self, ctx):
        self.calls.assign_add(1)
        bad = ops.where(self.calls > 3, float("nan"), 0.0)
        return ops.mean(ops.softplus(-ctx.real_logits)) + ops.mean(ops.softplus(ctx.fake_logits)) + bad
    def generator_loss(self, ctx):
        return ops.mean(ops.softplus(-ctx.fake_logits))
LOSS = NanAfterThreeSteps()
"""


def test_non_finite_loss_stops_and_keeps_the_last_good_checkpoint(tiny_npz, tmp_path):
    site = make_distribution(tmp_path / "site", "nanloss", "0.1", {"ganzoo.losses": {"nan": "nanloss_mod:LOSS"}},
                             {"nanloss_mod": NAN_LOSS})
    run = tmp_path / "run"
    result = run_cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--loss", "nan", "--epochs", "5", *TINY,
                     "--run-dir", str(run), env=pythonpath_with(site))
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: d_loss became nan at step 4; training stopped, the last good checkpoint is")
    assert _checkpoint_steps(run) == [2]
    assert "Traceback" not in result.stderr


def test_resume_on_changed_data_is_refused(tiny_npz, tmp_path, cli):
    run = tmp_path / "run"
    assert cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY, "--run-dir", run)[0] == 0
    with np.load(tiny_npz) as data:
        np.savez(tiny_npz, x=np.concatenate([data["x"], data["x"][:32]]))
    code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "2")
    assert code == 2 and f"cannot resume: dataset npz:{tiny_npz} now has 96 images" in err


def test_resume_from_a_damaged_checkpoint_is_a_clear_error(tiny_npz, tmp_path, cli):
    run = tmp_path / "run"
    assert cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY, "--run-dir", run)[0] == 0
    (run / "checkpoints" / "ckpt-00000002.npz").write_bytes(b"damaged by hand")
    code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "2")
    assert code == 2
    assert err.strip().splitlines()[-1] == (
        f"error: no usable checkpoint in {run}/checkpoints: every one is damaged (move them away to start the run "
        "again from step 0)")
    assert (run / "checkpoints" / "ckpt-00000002.npz").read_bytes() == b"damaged by hand"


@pytest.mark.slow  # three evaluations of 5,000 images; the fast suite evaluates once, on too few references
def test_eval_every_records_metrics_and_keeps_the_best_checkpoint(tmp_path):
    from conftest import REPO
    with np.load(REPO / "ganzoo" / "datasets" / "data" / "mnist_5k.npz") as data:
        np.savez(tmp_path / "d.npz", x=data["x"][::15][:320])
    run = tmp_path / "run"
    result = run_cli("train", "dcgan", "--dataset", f"npz:{tmp_path / 'd.npz'}", "--epochs", "3", *TINY,
                     "--eval-every", "2", "--run-dir", str(run))
    assert result.returncode == 0, result.stderr
    rows = _metrics(run)
    assert [bool(r["fid"]) for r in rows] == [True, True, True]  # epoch 1, every 2nd, and the last
    fids = [float(r["fid"]) for r in rows]
    assert all(f > 0 for f in fids) and all(float(r["kid_std"]) >= 0 for r in rows)
    best = json.loads((run / "checkpoints" / "best.json").read_text())
    assert best["fid"] == pytest.approx(min(fids), rel=1e-5) and best["epoch"] == 1 + fids.index(min(fids))
    with np.load(run / "checkpoints" / "best.npz") as f:
        assert json.loads(f["info"].tobytes())["epoch"] == best["epoch"]
    assert "epoch 1: FID" in result.stderr
    assert json.loads((run / "config.json").read_text())["eval_every"] == 2


def test_eval_every_needs_mnist_shaped_data(tmp_path, cli):
    np.savez(tmp_path / "d.npz", x=np.zeros((64, 32, 32, 3), np.uint8))
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tmp_path / 'd.npz'}", "--eval-every", "1",
                       "--run-dir", tmp_path / "run")
    assert code == 2 and "--eval-every needs 28x28x1 images" in err and not (tmp_path / "run").exists()


def test_eval_every_on_too_few_reference_images_reports_fid_as_undefined(cli, tiny_npz, tmp_path):
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY, "--eval-every", "1",
                       "--run-dir", tmp_path / "run")
    assert code == 0, err
    assert "epoch 1: FID undefined (too few reference images), KID" in err
    row = _metrics(tmp_path / "run")[0]
    assert row["fid"] == "" and float(row["kid_std"]) >= 0


def test_a_conditional_generator_without_labels_writes_nothing(tmp_path):
    np.savez(tmp_path / "d.npz", x=np.zeros((64, 28, 28), np.uint8))
    from conftest import REPO  # noqa: F401 - the plugin is optional here
    pytest.importorskip("ganzoo_cdcgan")
    result = run_cli("train", "cdcgan", "--dataset", f"npz:{tmp_path / 'd.npz'}", "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 2 and "cdcgan" in result.stderr
    assert not (tmp_path / "run").exists()


def test_plugins_are_resolved_once_and_training_never_returns_to_discovery(tiny_npz, tmp_path, monkeypatch):
    from ganzoo.plugins import discovery
    from ganzoo.training.trainer import TrainRequest, prepare, train

    loaded = []
    load = discovery.load_plugin
    monkeypatch.setattr(discovery, "load_plugin", lambda plugin: loaded.append(plugin.group) or load(plugin))
    plan = prepare(TrainRequest("dcgan", {"dataset": f"npz:{tiny_npz}", "epochs": 1, "batch_size": 32,
                                          "latent_dim": 8, "hparams": {"width": "8"}}, run_dir=tmp_path / "run"))
    assert sorted(loaded) == ["ganzoo.architectures", "ganzoo.datasets", "ganzoo.losses"]  # once each
    assert plan.config.hparams == {"width": 8, "dropout": 0.3}  # parsed, every one recorded
    monkeypatch.setattr(discovery, "find_plugin", lambda *args: pytest.fail(f"discovery during training: {args}"))
    result = train(plan, verbose=0)
    assert result.step == 2 and len(loaded) == 3  # nothing loaded after prepare()


def test_mixing_a_conditional_and_an_unconditional_model_is_one_line(tiny_npz, tmp_path):
    pytest.importorskip("ganzoo_cdcgan")
    result = run_cli("train", "dcgan", "--discriminator", "cdcgan", "--dataset", f"npz:{tiny_npz}",
                     "--run-dir", str(tmp_path / "run"))
    assert result.returncode == 2 and result.stderr.strip().splitlines() == [
        "error: cannot pair generator dcgan (unconditional here) with discriminator cdcgan (conditional)"]
    assert not (tmp_path / "run").exists()


def test_two_learning_rates_d_steps_and_lazy_r1_train_are_recorded_and_fixed_on_resume(cli, tiny_npz, tmp_path):
    run = tmp_path / "run"
    code, _, err = cli("train", "dcgan", "-d", f"npz:{tiny_npz}", "--epochs", "1", "--batch-size", "32",
                       "--latent-dim", "8", "-o", "width=8", "--lr-d", "4e-4", "--lr-g", "1e-4", "--d-steps", "2",
                       "--r1", "1", "--r1-every", "2", "--run-dir", run)
    assert code == 0, err
    config = json.loads((run / "config.json").read_text())
    assert (config["lr_d"], config["lr_g"], config["d_steps"], config["r1_every"]) == (4e-4, 1e-4, 2, 2)
    assert "lr D 0.0004, lr G 0.0001" in err and "D steps 2" in err and "R1 1, R1 every 2" in err
    code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "2", "--d-steps", "3")
    assert code == 2 and "d_steps: run has 2, command line says 3" in err
    code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "2")  # the recorded settings go on
    assert code == 0, err


EITHER_WAY = """
import keras
from keras import layers
from ganzoo import WITH_LABELS, Architecture

def generator(spec, *, latent_dim):
    z = keras.Input((latent_dim,), name="z")
    inputs, x = [z], z
    if spec.num_classes:  # the label joins z when the data has labels
        label = keras.Input((), dtype="int64", name="label")
        inputs.append(label)
        x = layers.Concatenate()([z, layers.Flatten()(layers.Embedding(spec.num_classes, 4)(label))])
    x = layers.Dense(spec.height * spec.width * spec.channels, activation="tanh")(x)
    return keras.Model(inputs, layers.Reshape(spec.shape)(x))

def discriminator(spec):
    images = keras.Input(spec.shape)
    logits = layers.Dense(1)(layers.Flatten()(images))
    if not spec.num_classes:
        return keras.Model(images, logits)
    label = keras.Input((), dtype="int64")
    by_label = layers.Flatten()(layers.Embedding(spec.num_classes, 1)(label))
    return keras.Model([images, label], layers.Add()([logits, by_label]))

EITHER = Architecture(generator, discriminator, conditional=WITH_LABELS)
ONLY = Architecture(generator, discriminator, conditional=True)
"""


def test_unconditional_trains_a_conditional_architecture_on_the_images_alone(tiny_npz, tmp_path):
    # a pair conditional on labelled data, on data with labels: --unconditional gives a run, a checkpoint and an
    # export without a label anywhere, recorded and fixed on resume; a pair that is conditional only refuses it
    import onnx
    site = make_distribution(tmp_path / "site", "eitherway", "0.1",
                             {"ganzoo.architectures": {"either": "eitherway_mod:EITHER", "only": "eitherway_mod:ONLY"}},
                             {"eitherway_mod": EITHER_WAY})
    env = {**pythonpath_with(site), "GANZOO_ALLOW_PLUGINS": "eitherway"}
    inputs = {}
    for name, flags in (("labelled", ()), ("unconditional", ("--unconditional",))):
        run = tmp_path / name
        trained = run_cli("train", "either", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY, *flags,
                          "--run-dir", str(run), env=env)
        assert trained.returncode == 0, trained.stderr
        config = json.loads((run / "config.json").read_text())
        assert (config["unconditional"], config["image_spec"]["num_classes"]) == \
            ((True, None) if flags else (False, 10))
        exported = run_cli("export", str(run), env=env)
        assert exported.returncode == 0, exported.stderr
        inputs[name] = [i.name for i in onnx.load(run / "generator.onnx").graph.input]
    assert inputs == {"labelled": ["z", "label"], "unconditional": ["z"]}
    assert any(line.startswith("training either/either:") and ", unconditional," in line
               for line in trained.stderr.splitlines())  # the run's first line lists it

    resumed = run_cli("train", "--resume", "--run-dir", str(tmp_path / "unconditional"), "--epochs", "2", env=env)
    assert resumed.returncode == 0, resumed.stderr  # the labelled data still matches the run's (label-free) spec
    changed = run_cli("train", "--resume", "--run-dir", str(tmp_path / "unconditional"), "--epochs", "3",
                      "--no-unconditional", env=env)
    assert changed.returncode == 2 and "unconditional: run has True, command line says False" in changed.stderr
    refused = run_cli("train", "only", "--dataset", f"npz:{tiny_npz}", "--unconditional", "--run-dir",
                      str(tmp_path / "only"), env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == ["error: only is conditional only: it cannot train --unconditional"]
    assert not (tmp_path / "only").exists()
