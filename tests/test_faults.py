"""Hostile inputs and faults: nothing of the user's is lost or taken over, no unadmitted code runs, every bad
input is one line and exit 2, and only Ctrl-C exits 130."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys

import numpy as np
import onnx
import pytest
from conftest import make_distribution, pythonpath_with, run_cli

from ganzoo.training.run_directory import RunDirectory
from ganzoo.training.run_lock import run_lock
from ganzoo.zoo.shelf import shelf

TINY = ("--batch-size", "32", "--latent-dim", "8")


def one_line_error(code, err, *fragments, exit_code=2):
    lines = err.strip().splitlines()
    assert code == exit_code, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for fragment in fragments:
        assert fragment in lines[0], err


def snapshot(folder):
    """Every file and folder under ``folder``, with a file's bytes."""
    return {p.relative_to(folder): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


# --- data loss: a run directory is never taken over --------------------------------------------------------------


@pytest.mark.parametrize("own_files", [
    {"metrics.csv": "epoch,accuracy\n1,0.5\n2,0.6\n"},
    {"metrics.csv": "name,score\nx,1\n"},
    {"notes.txt": "mine", "checkpoints/weights.h5": "mine"},
    {"samples/holiday.png": "not really a png"},
])
def test_a_folder_that_is_not_a_run_is_refused_before_anything_is_written(cli, tiny_npz, tmp_path, own_files):
    folder = tmp_path / "mine"
    for name, text in own_files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    before = snapshot(folder)
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", *TINY, "--run-dir", folder)
    one_line_error(code, err, "is not empty and is not a ganzoo run", "choose a new or empty --run-dir")
    assert snapshot(folder) == before  # nothing changed, nothing added


def test_a_foreign_metrics_file_in_a_run_is_refused_on_resume(trained_run, tmp_path, cli):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    (run / "metrics.csv").write_text("epoch,accuracy\n1,0.5\n")
    code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "3")
    one_line_error(code, err, "metrics.csv is not ganzoo's")
    assert (run / "metrics.csv").read_text() == "epoch,accuracy\n1,0.5\n"


def test_a_run_whose_plugin_changed_its_models_says_so_and_keeps_its_checkpoints(trained_run, tmp_path, cli):
    # as a run of ganzoo-stylegan 0.2 (unconditional on MNIST) meets 0.3 (conditional there): the models built now
    # do not fit the checkpoints. Nothing is moved, and the run's recorded plugin version is the reason given.
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    config = json.loads((run / "config.json").read_text())
    config["hparams"]["width"] = config["hparams"]["width"] // 2  # the models change
    (run / "config.json").write_text(json.dumps(config))
    code, _, err = cli("export", run)
    one_line_error(code, err, "does not fit the models: ")
    assert "move it away" not in err and "trained with" not in err  # same plugin version: no reason to guess
    config["plugins"]["ganzoo.architectures:dcgan"] = "ganzoo 0.0.9"
    (run / "config.json").write_text(json.dumps(config))
    checkpoints = sorted(p.name for p in (run / "checkpoints").iterdir())
    reason = ("the run was trained with ganzoo 0.0.9 (installed: 0.1.0), whose models differ; its checkpoints are "
              "intact: install that version to use them")
    code, _, err = cli("export", run)
    one_line_error(code, err, reason)
    code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "3")  # after the run's own lines
    assert code == 2 and err.strip().splitlines()[-1].startswith("error: ") and reason in err.splitlines()[-1]
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == checkpoints


def test_an_empty_folder_or_one_left_by_a_crash_before_config_is_used(tmp_path):
    folder = tmp_path / "left"
    (folder / "checkpoints").mkdir(parents=True)
    (folder / "samples").mkdir()
    (folder / ".ganzoo.lock").write_text("")
    (folder / ".config.json.k1ll3d.tmp.json").write_text("{")  # a writer killed mid-write
    (folder / "checkpoints" / ".ckpt-00000002.npz.k1ll3d.tmp.npz").write_bytes(b"PK")
    run = RunDirectory(folder)
    assert run.foreign_entries() == []
    assert sorted(p.name for p in run.remove_leftovers()) == [".ckpt-00000002.npz.k1ll3d.tmp.npz",
                                                              ".config.json.k1ll3d.tmp.json"]
    assert sorted(p.name for p in folder.rglob("*")) == [".ganzoo.lock", "checkpoints", "samples"]
    (folder / "samples" / "x.png").write_text("")
    assert run.foreign_entries() == ["samples"]


# --- data loss: one writer per run directory ----------------------------------------------------------------------


def test_a_run_in_use_is_refused_naming_its_holder(trained_run, tmp_path, cli):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    def without_lock():
        return {k: v for k, v in snapshot(run).items() if k.name != ".ganzoo.lock"}
    before = without_lock()
    with run_lock(RunDirectory(run)):
        code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "3")
    one_line_error(code, err, f"{run} is in use by another ganzoo train (pid {os.getpid()} on ")
    assert without_lock() == before


def test_the_lock_of_a_killed_process_does_not_block(tmp_path):
    run = RunDirectory(tmp_path / "run")
    holder = subprocess.Popen([sys.executable, "-c", "import time\nfrom pathlib import Path\n"
                               "from ganzoo.training.run_directory import RunDirectory\n"
                               "from ganzoo.training.run_lock import run_lock\n"
                               f"with run_lock(RunDirectory(Path({str(run.path)!r}))):\n"
                               "    print('locked', flush=True); time.sleep(600)\n"],
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "locked"
    from ganzoo.training.run_lock import RunInUseError
    with pytest.raises(RunInUseError, match=f"pid {holder.pid} "):
        with run_lock(run):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with run_lock(run):  # the kernel dropped the lock with the process; the stale file blocks nothing
        assert json.loads(run.lock_file.read_text())["pid"] == os.getpid()


# --- security: no unadmitted code runs ----------------------------------------------------------------------------


def _shelf_plugin(tmp_path, marker):
    """A distribution shipping one shelf entry, whose package writes ``marker`` if it is ever imported."""
    site = make_distribution(tmp_path / "site", "theirshelf", "1.0", {"ganzoo.zoo": {"theirs": "theirshelf_pkg.entries"}},
                             {"theirshelf_pkg/__init__": f"open({str(marker)!r}, 'w').close()\n"})
    shutil.copytree(shelf()["dcgan-mnist"].folder, site / "theirshelf_pkg" / "entries" / "their-mnist")
    return site


@pytest.mark.parametrize("env", [{"GANZOO_ALLOW_PLUGINS": "someone-else"}, {"GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1"}])
def test_shelf_entries_of_an_excluded_distribution_never_run(tmp_path, env):
    marker = tmp_path / "imported"
    site = _shelf_plugin(tmp_path, marker)
    for command in (["zoo"], ["zoo", "show", "their-mnist"],
                    ["sample", "zoo:their-mnist", "-o", str(tmp_path / "g.png")]):
        result = run_cli(*command, env={**pythonpath_with(site), **env})
        assert not marker.exists(), command
        assert "their-mnist" not in result.stdout
    assert result.returncode == 2 and "unknown zoo entry 'their-mnist'" in result.stderr
    admitted = run_cli("zoo", env={**pythonpath_with(site), "GANZOO_ALLOW_PLUGINS": "theirshelf"})
    assert "their-mnist" in admitted.stdout
    sampled = run_cli("sample", "zoo:their-mnist", "-o", str(tmp_path / "g.png"),
                      env={**pythonpath_with(site), "GANZOO_ALLOW_PLUGINS": "theirshelf"})
    assert sampled.returncode == 0, sampled.stderr
    assert not marker.exists()  # listed and sampled, and its package's code never ran


def test_a_plugin_that_exits_at_import_is_a_broken_plugin(tmp_path, tiny_npz):
    site = make_distribution(tmp_path / "site", "quitter", "0.1", {"ganzoo.architectures": {"quit": "quitter_mod:A"}},
                             {"quitter_mod": "import sys\nsys.exit(0)\n"})
    env = pythonpath_with(site)
    checked = run_cli("list", "--check", env=env)
    assert checked.returncode == 1, checked.stderr
    assert "BROKEN: SystemExit: 0" in checked.stdout and "nonsaturating" in checked.stdout
    trained = run_cli("train", "quit", "--dataset", f"npz:{tiny_npz}", "--run-dir", str(tmp_path / "run"), env=env)
    assert trained.returncode == 2
    assert trained.stderr.strip().splitlines() == ["error: architecture 'quit' from quitter 0.1 is broken: SystemExit: 0"]
    assert not (tmp_path / "run").exists()


# --- faults: damaged checkpoints, interrupted exports and outputs -------------------------------------------------


@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs (root only): room for a run's config, grid and metrics, not for its first checkpoint."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4M", "tmpfs", str(disk)], capture_output=True).returncode:
        pytest.skip("mounting a tmpfs needs root")
    yield disk
    subprocess.run(["umount", str(disk)], check=True)


def test_a_full_disk_stops_training_in_one_line_and_the_run_resumes(small_disk, tiny_npz, run_here):
    run = small_disk / "run"
    full = run_here("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "2", *TINY, "--run-dir", str(run))
    assert full.returncode == 2, full.stderr
    assert "Traceback" not in full.stderr
    assert full.stderr.strip().splitlines()[-1] == (
        f"error: no space left on the device to write {run}; training stopped, no checkpoint had been written yet: "
        "free some space, then resume")
    assert not [p for p in run.rglob("*") if ".tmp" in p.name], "a temporary file was left behind"
    assert (run / "metrics.csv").read_text().count("\n") == 2  # the header and epoch 1, whole
    subprocess.run(["mount", "-o", "remount,size=64M", str(small_disk)], check=True)
    resumed = run_here("train", "--resume", "--run-dir", str(run))
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["ckpt-00000002.npz", "ckpt-00000004.npz"]
    assert [line.split(",")[0] for line in (run / "metrics.csv").read_text().splitlines()] == ["epoch", "1", "2"]


def test_a_folder_of_images_on_a_full_disk_leaves_nothing(small_disk, tmp_path):
    from ganzoo_runtime.cli import main as sample_main

    model = str(shelf()["dcgan-mnist"].model)
    (small_disk / "filler").write_bytes(b"\0" * (4 * 2**20 - 200 * 1024))  # leaves ~200 KB: room for a few hundred
    assert sample_main([model, "-n", "4000", "--batch-size", "256", "-o", str(small_disk / "pngs")]) == 2
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]


@pytest.mark.parametrize("damage", ["empty", "truncated", "flipped"])
def test_a_damaged_newest_checkpoint_falls_back_to_the_one_before(trained_run, tmp_path, cli, damage):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    older, newest = sorted((run / "checkpoints").glob("ckpt-*.npz"))
    data = newest.read_bytes()
    newest.write_bytes({"empty": b"", "truncated": data[:len(data) // 2],
                        "flipped": data[:1000] + bytes([data[1000] ^ 0xFF]) + data[1001:]}[damage])
    code, _, err = cli("sample", run, "-n", "4", "-o", tmp_path / "g.png")
    assert code == 0, err
    assert f"checkpoint {newest} is damaged" in err and "using the one before it" in err
    assert f"step {int(older.name[5:13])}" in err


def test_all_checkpoints_damaged_is_one_line_not_an_abort(trained_run, tmp_path, cli):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    for checkpoint in (run / "checkpoints").glob("ckpt-*.npz"):
        checkpoint.write_bytes(b"")
    code, _, err = cli("export", run, "--format", "onnx", "--output", tmp_path / "g.onnx")
    assert code == 2 and "Traceback" not in err and "aborted" not in err
    assert err.strip().splitlines()[-1].startswith("error: ") and "no usable checkpoint" in err


def test_a_staging_folder_is_complete_or_absent(tmp_path):
    from ganzoo_runtime.atomic import staging_folder

    target = tmp_path / "out"
    with pytest.raises(OSError):
        with staging_folder(target) as staging:
            (staging / "a.png").write_bytes(b"1")
            raise OSError(28, "No space left on device")
    assert list(tmp_path.iterdir()) == []
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    abandoned = tmp_path / f".out.partial-{dead.pid}"  # what a SIGKILLed process leaves
    abandoned.mkdir()
    (abandoned / "half.png").write_bytes(b"1")
    with staging_folder(target) as staging:
        (staging / "a.png").write_bytes(b"1")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and os.listdir(target) == ["a.png"]


# --- bad inputs: one line, exit 2 ---------------------------------------------------------------------------------


@pytest.mark.parametrize("text, fragment", [
    ("[1, 2]", "it holds a JSON list, not an object"),
    ('"run"', "not an object"),
    ("{}", "keys missing"),
    ("{not json", "Expecting property name"),
])
def test_a_config_that_is_not_a_run_config_is_one_line(trained_run, tmp_path, cli, text, fragment):
    run = tmp_path / "run"
    shutil.copytree(trained_run, run)
    config = json.loads((run / "config.json").read_text())
    (run / "config.json").write_text(text)
    for command in (["sample", run, "-o", tmp_path / "g.png"], ["export", run, "--output", tmp_path / "g.onnx"],
                    ["train", "--resume", "--run-dir", run]):
        code, _, err = cli(*command)
        one_line_error(code, err, f"cannot read {run / 'config.json'}", fragment)
    (run / "config.json").write_text(json.dumps({**config, "latent_dim": "eight"}))
    code, _, err = cli("sample", run, "-o", tmp_path / "g.png")
    one_line_error(code, err, "latent_dim is 'eight': 'eight' is not a valid integer")  # the option's own check


def _with_metadata(tmp_path, **changes):
    model = onnx.load(str(shelf()["dcgan-mnist"].model))
    for prop in model.metadata_props:
        key = prop.key.removeprefix("ganzoo.")
        if key in changes:
            prop.value = changes[key]
    path = tmp_path / "edited.onnx"
    onnx.save(model, str(path))
    return path


@pytest.mark.parametrize("changes, fragment", [
    ({"latent_dim": "64"}, "ganzoo.latent_dim is 64, the graph's input"),
    ({"latent_dim": "-3"}, "latent_dim -3 is not positive"),
    ({"num_classes": "10"}, "ganzoo.num_classes is 10, so the graph should take 2 input(s)"),
    ({"pixel_range": "1,1"}, "pixel_range '1,1'"),
    ({"pixel_range": "0,inf"}, "malformed ganzoo metadata"),
    ({"image_shape": "32,32,3"}, "ganzoo.image_shape is 32,32,3"),
    ({"layout": "nchw"}, "ganzoo.image_shape is 28,28,1 (nchw)"),
])
def test_onnx_metadata_that_contradicts_the_graph_is_one_line(tmp_path, cli, changes, fragment):
    from ganzoo_runtime.cli import main as sample_main

    path = _with_metadata(tmp_path, **changes)
    for command in (["sample", path, "-o", tmp_path / "g.png"], ["eval", path, "--dataset", "mnist-5k", "-n", "100"]):
        code, _, err = cli(*command)
        one_line_error(code, err, "is not a ganzoo generator", fragment)
    assert sample_main([str(path), "-o", str(tmp_path / "g.png")]) == 2
    assert not (tmp_path / "g.png").exists()


def test_zero_byte_and_single_array_npz_files(tmp_path, cli):
    (tmp_path / "zero.npz").write_bytes(b"")
    np.save(tmp_path / "one.npy", np.zeros((70, 28, 28), np.uint8))
    for path, fragment in ((tmp_path / "zero.npz", "is not a readable .npz file"),
                           (tmp_path / "one.npy", "holds a single array, not an .npz archive")):
        code, _, err = cli("train", "dcgan", "--dataset", f"npz:{path}", "--run-dir", tmp_path / "run")
        one_line_error(code, err, fragment)
    assert not (tmp_path / "run").exists()


def test_a_decompression_bomb_in_a_folder_is_skipped_and_named(tmp_path, caplog):
    from PIL import Image

    from ganzoo.datasets.folder import folder
    Image.new("1", (20000, 20000)).save(tmp_path / "bomb.png")  # 400 megapixels in a few kilobytes
    Image.new("L", (28, 28)).save(tmp_path / "fine.png")
    dataset = folder(str(tmp_path))
    assert dataset.info.size == 1 and "skipped" in caplog.text and "bomb.png" in caplog.text


def test_a_dataset_plugin_that_raises_value_error_is_one_line(tmp_path, monkeypatch, cli):
    site = make_distribution(tmp_path / "site", "picky", "0.1", {"ganzoo.datasets": {"picky": "picky_mod:picky"}},
                             {"picky_mod": "def picky():\n    raise ValueError('needs a licence key')\n"})
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("GANZOO_DISABLE_PLUGIN_AUTOLOAD")
    code, _, err = cli("train", "dcgan", "--dataset", "picky", "--run-dir", tmp_path / "run")
    one_line_error(code, err, "dataset 'picky': needs a licence key")


# --- shelf cards and recipes --------------------------------------------------------------------------------------


def test_a_bad_card_breaks_only_its_own_entry(tmp_path):
    site = make_distribution(tmp_path / "site", "cards", "1.0", {"ganzoo.zoo": {"cards": "cards_pkg.entries"}},
                             {"cards_pkg/__init__": ""})
    entries = site / "cards_pkg" / "entries"
    for name in ("corrupt-card", "bare-card", "list-card", "odd-seeds-card", "number-seeds-card"):
        shutil.copytree(shelf()["dcgan-mnist"].folder, entries / name)
    (entries / "corrupt-card" / "card.json").write_text("{ nope")
    odd = json.loads((entries / "odd-seeds-card" / "card.json").read_text())
    odd["seed_runs"] = ["a string", {"metrics": [1]}, {"metrics": {"fid": "low"}}, {"metrics": {"fid": True}},
                        {"seed": 7, "metrics": {"fid": 1.0}}]  # only the last one counts
    (entries / "odd-seeds-card" / "card.json").write_text(json.dumps(odd))
    (entries / "number-seeds-card" / "card.json").write_text(json.dumps({**odd, "seed_runs": 5}))
    (entries / "list-card" / "card.json").write_text("[]")
    card = json.loads((entries / "bare-card" / "card.json").read_text())
    (entries / "bare-card" / "card.json").write_text(json.dumps({"sha256": card["sha256"]}))
    env = pythonpath_with(site)
    listed = run_cli("zoo", env=env)
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()}
    assert "FID" in lines["dcgan-mnist"] and "no metrics on its card" in lines["bare-card"]
    assert f"over 2 seeds {(odd['metrics']['fid'] + 1) / 2:.1f} (1.0–{odd['metrics']['fid']:.1f})" \
        in lines["odd-seeds-card"]
    assert "FID" in lines["number-seeds-card"] and "over" not in lines["number-seeds-card"]
    assert "BROKEN: card.json is unreadable" in lines["corrupt-card"]
    assert "BROKEN: card.json is not an object" in lines["list-card"]
    sampled = run_cli("sample", "zoo:bare-card", "-n", "4", "-o", str(tmp_path / "g.png"), env=env)
    assert sampled.returncode == 0, sampled.stderr
    refused = run_cli("sample", "zoo:corrupt-card", "-o", str(tmp_path / "h.png"), env=env)
    assert refused.returncode == 2
    assert refused.stderr.strip().splitlines() == [
        "error: zoo entry 'corrupt-card' from cards is broken: card.json is unreadable: Expecting property name "
        "enclosed in double quotes: line 1 column 3 (char 2)"]


def _recipe(name, npz, extra):
    """A recipe file's text; ``extra`` is one more [train] line, or replaces the line of its key."""
    train = {"generator": '"dcgan"', "discriminator": '"dcgan"', "dataset": f'"npz:{npz}"', "latent_dim": "8",
             "batch_size": "32", "epochs": "1"}
    lines = [f"{k} = {v}" for k, v in train.items() if not extra.startswith(f"{k} ")]
    return "\n".join([f'[recipe]\nname = "{name}"\nversion = 1\ndescription = "test"\n\n[train]', *lines, extra, ""])


@pytest.mark.parametrize("extra, fragment", [
    ("batch_size = 0", "batch_size = 0: 0 is not in the range x>=1"),
    ("epochs = -3", "epochs = -3: -3 is not in the range x>=1"),
    ("lr = 'fast'", "lr = 'fast': 'fast' is not a valid float"),
    ("seed = 1.5", "seed = 1.5: '1.5' is not a valid integer"),
    ("seed = true", "seed = True: True is not valid for --seed"),
    ("channels = 2", "channels = 2: '2' is not one of '1', '3'"),
    ("beta_1 = 1.0", "beta_1 = 1.0: 1.0 is not in the range 0<=x<1"),
    ("wings = 2", "unknown key(s) wings in [train]"),
    ("lr = [1, 2]", "lr = [1, 2]: [1, 2] is not valid for --lr"),
    ("[broken", "cannot be read"),
])
def test_recipe_values_pass_the_command_lines_checks(tmp_path, monkeypatch, cli, tiny_npz, extra, fragment):
    import ganzoo.recipes

    recipes = tmp_path / "recipes"
    recipes.mkdir()
    (recipes / "bad.toml").write_text(_recipe("bad", tiny_npz, extra))
    (recipes / "good.toml").write_text(_recipe("good", tiny_npz, ""))
    monkeypatch.setattr(ganzoo.recipes, "RECIPES", recipes)
    code, out, err = cli("recipes")
    assert code == 0, err
    assert "BROKEN" in out and fragment in out and "good@1" in out
    code, _, err = cli("train", "--recipe", "bad", "--run-dir", tmp_path / "run")
    one_line_error(code, err, "recipe bad", fragment)
    assert not (tmp_path / "run").exists()


# --- exit codes: 130 is for Ctrl-C only ----------------------------------------------------------------------------


def test_an_end_of_file_inside_a_command_is_no_ctrl_c(monkeypatch, cli):
    def read_past_the_end():
        raise EOFError("No data left in file")
    monkeypatch.setattr("ganzoo.zoo.shelf.scan_shelf", read_past_the_end)
    with pytest.raises(RuntimeError, match="unexpected end of file"):  # a bug: a traceback and exit 1, not 130
        cli("zoo")


def test_a_ctrl_c_that_a_library_wrapped_is_still_ctrl_c(monkeypatch, cli):
    def import_interrupted():
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as error:
            raise ImportError("cannot import name 'pywrap_tensorflow'") from error
    monkeypatch.setattr("ganzoo.zoo.shelf.scan_shelf", import_interrupted)
    code, _, err = cli("zoo")
    assert code == 130 and err.strip() == "aborted"


# --- huge -n: streamed, bounded, refused only when the disk cannot hold it ---------------------------------------


def test_huge_n_is_refused_only_for_what_cannot_fit(tmp_path):
    from ganzoo_runtime.cli import main as sample_main

    model = str(shelf()["dcgan-mnist"].model)
    for output, fragment in (("g.npy", "not enough disk space"), ("pngs", "not enough disk space"),
                             ("g.png", "too many for one .png"), ("g.gif", "too many for one .gif")):
        assert sample_main([model, "-n", str(10**12), "-o", str(tmp_path / output)]) == 2
    assert list(tmp_path.iterdir()) == []


def test_streamed_outputs_hold_the_same_images_as_one_batch(tmp_path):
    from PIL import Image

    from ganzoo_runtime.latents import latent_vectors
    from ganzoo_runtime.model import OnnxGenerator
    from ganzoo_runtime.sampling import sample_to_path, to_display

    generator = OnnxGenerator(shelf()["dcgan-mnist"].model, "cpu")
    calls = []

    def generate(z, labels):
        calls.append(len(z))
        return generator.generate(z, labels)
    whole = generator.generate(latent_vectors(7, 70, generator.info.latent_dim))
    sample_to_path(generate, generator.info, tmp_path / "a.npy", n=70, seed=7, batch_size=16)
    assert calls == [16, 16, 16, 16, 6]
    np.testing.assert_allclose(np.load(tmp_path / "a.npy"), whole, atol=1e-6)
    sample_to_path(generate, generator.info, tmp_path / "pngs", n=70, seed=7, batch_size=16)
    files = sorted((tmp_path / "pngs").iterdir())
    assert [p.name for p in files[:2]] == ["00000.png", "00001.png"] and len(files) == 70
    with Image.open(files[69]) as last:
        np.testing.assert_array_equal(np.asarray(last)[..., None], to_display(whole, generator.info)[69])
