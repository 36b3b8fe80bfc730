"""Every user error is one line on stderr and exit code 2, with no traceback."""

from __future__ import annotations

import pytest
from conftest import run_cli


@pytest.mark.parametrize("args, message", [
    (["train", "nope", "--dataset", "mnist-5k"], "error: unknown architecture 'nope' (valid: dcgan)"),
    (["train", "dcgan", "--dataset", "mnist-5k", "--loss", "l9"], "error: unknown loss 'l9' (valid: hinge, lsgan, minimax, nonsaturating, wgan-gp)"),
    (["train", "dcgan", "--dataset", "imagenet"], "error: unknown dataset 'imagenet' (valid: fashion-mnist, folder, mnist, mnist-5k, npz)"),
    (["train", "dcgan", "--dataset", "mnist-5k", "--discriminator", "x"], "error: unknown architecture 'x' (valid: dcgan)"),
    (["train", "dcgan", "-d", "mnist-5k", "-o", "depth=3"], "error: dcgan: unknown hyperparameter depth for dcgan (valid: dropout, width)"),
    (["train", "dcgan", "-d", "mnist-5k", "-o", "width=wide"], "error: dcgan: width = 'wide': 'wide' is not a valid integer"),
    (["train", "dcgan", "-d", "mnist-5k", "-o", "dropout=1.5"], "error: dcgan: dropout = '1.5': 1.5 is not in the range 0<=x<=0.9"),
    (["train", "dcgan", "-d", "mnist-5k", "-o", "width"], "'width' is not NAME=VALUE (for example -o width=128)"),
    (["list", "-v", "nope"], "error: unknown architecture 'nope' (valid: dcgan)"),
    (["train", "dcgan", "--dataset", "mnist-5k", "--epochs", "0"], "error: Invalid value for '--epochs': 0 is not in the range x>=1 (see 'ganzoo train --help')"),
    (["train", "dcgan", "--dataset", "mnist-5k", "--seed", "4294967296"], "error: Invalid value for '--seed': 4294967296 is not in the range 0<=x<=4294967295"),
    (["train", "dcgan", "--dataset", "mnist-5k", "--lr", "-1"], "Invalid value for '--lr'"),
    (["train", "dcgan", "--dataset", "mnist-5k", "--batch-size", "abc"], "'abc' is not a valid integer"),
    (["train", "dcgan", "--dataset", "mnist-5k", "--batch-size", "6000"], "error: batch size 6000 is larger than the dataset (5000 images): choose a smaller --batch-size"),
    (["train", "dcgan", "--dataset", "npz:/no/such.npz"], "error: npz:/no/such.npz: no such file"),
    (["train", "dcgan", "--dataset", "folder:/no/such/dir"], "error: folder:/no/such/dir: no such folder"),
    (["train", "dcgan"], "error: missing --dataset"),
    (["train", "--dataset", "mnist-5k"], "error: missing architecture"),
    (["train", "--resume"], "error: --resume needs --run-dir"),
    (["train", "dcgan", "--frobnicate"], "No such option '--frobnicate'"),
    (["fly"], "No such command 'fly'"),
])
def test_user_errors(cli, args, message):
    code, out, err = cli(*args)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and lines[0].startswith("error: "), err
    assert "Traceback" not in err


def test_unwritable_run_directory(cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    code, _, err = cli("train", "dcgan", "--dataset", "mnist-5k", "--run-dir", str(blocker / "run"))
    assert code == 2 and err.strip().startswith(f"error: cannot write run directory {blocker / 'run'}")


def test_existing_run_needs_resume(cli, tmp_path):
    (tmp_path / "config.json").write_text("{}")
    code, _, err = cli("train", "dcgan", "--dataset", "mnist-5k", "--run-dir", str(tmp_path))
    assert code == 2 and "already holds a run: add --resume" in err


def test_resume_of_nothing(cli, tmp_path):
    code, _, err = cli("train", "--resume", "--run-dir", str(tmp_path))
    assert code == 2 and "nothing to resume" in err


def test_unsupported_image_size_names_what_is_supported(cli, tmp_path):
    import numpy as np
    np.savez(tmp_path / "x.npz", x=np.zeros((70, 30, 30), np.uint8))
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tmp_path / 'x.npz'}", "--run-dir", str(tmp_path / "r"))
    assert code == 2
    assert err.strip() == "error: dcgan: dcgan supports 28x28 and square powers of two >= 32 (32, 64, 128, ...), got 30x30"


def test_a_user_error_in_a_real_process_has_no_traceback():
    result = run_cli("train", "dcgan", "--dataset", "imagenet", env={"GANZOO_DISABLE_PLUGIN_AUTOLOAD": "1"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown dataset 'imagenet' (valid: fashion-mnist, folder, mnist, mnist-5k, npz)"]


@pytest.mark.parametrize("recipe, message", [
    ("[recipe]\nname = 'x'\n[train]\nseed = 99999999999999999999999\n",
     "seed = 99999999999999999999999: 99999999999999999999999 is not in the range 0<=x<=4294967295"),
    ("[recipe]\nname = 'x'\n[train]\nepochs = " + "[" * 5000 + "]" * 5000 + "\n", "its values are nested too deeply"),
    ("[recipe]\nname = 'x'\n" + "# padding\n" * 10_000, "is larger than 64 KiB: a recipe is a short text file"),
    (b"[recipe]\nname = '\xff'\n", "it is not UTF-8 text"),
])
def test_hostile_recipe_files_are_one_line_errors(cli, tmp_path, recipe, message):
    path = tmp_path / "r.toml"
    path.write_bytes(recipe if isinstance(recipe, bytes) else recipe.encode())
    code, _, err = cli("train", "dcgan", "-d", "mnist-5k", "--recipe", path)
    assert code == 2 and err.strip().startswith("error: recipe ") and message in err and len(err.splitlines()) == 1, err


@pytest.mark.parametrize("kind", ["/dev/zero", "fifo", "folder"])
def test_a_recipe_that_is_not_a_regular_file_is_refused_before_it_is_read(cli, tmp_path, kind):
    import os
    path = tmp_path / "r.toml"
    if kind == "fifo":
        os.mkfifo(path)  # with no writer: opening it plainly would wait forever
    elif kind == "folder":
        path.mkdir()
    else:
        path.symlink_to(kind)  # endless: reading it whole would fill memory
    code, _, err = cli("train", "dcgan", "-d", "mnist-5k", "--recipe", path)
    assert code == 2 and err.strip() == f"error: recipe {path} is not a regular file", err


def test_a_plugin_of_ganzoos_own_that_is_not_installed_is_named_with_its_install_command(cli, tmp_path):
    # the cli fixture loads ganzoo's own plugins only: as if none of plugins/ were installed
    code, _, err = cli("train", "sagan", "-d", "mnist-5k")
    assert code == 2 and err.strip() == ("error: unknown architecture 'sagan' (valid: dcgan); ganzoo-sagan provides "
                                         "it: pip install ./plugins/sagan (from a clone of ganzoo)")
    code, _, err = cli("sample", "zoo:stylegan-mnist-small", "-o", tmp_path / "g.png")
    assert code == 2 and "unknown zoo entry 'stylegan-mnist-small'" in err
    assert "; ganzoo-stylegan provides it (architecture stylegan): pip install ./plugins/stylegan" in err
    code, _, err = cli("train", "mlpgan", "-d", "mnist-5k")  # not ganzoo's own: no hint
    assert code == 2 and err.strip() == "error: unknown architecture 'mlpgan' (valid: dcgan)"


def test_messages_name_what_the_user_typed(cli, tmp_path):
    code, _, err = cli("sample", "zoo:dcgan-mnist", "--label", "3", "-o", tmp_path / "g.png")
    assert code == 2 and err.strip() == "error: zoo:dcgan-mnist is not a conditional generator: it takes no --label"
    code, _, err = cli("sample", "zoo:dcgan-mnist", "--truncation", "0.5", "-o", tmp_path / "g.png")
    assert code == 2 and err.startswith("error: zoo:dcgan-mnist has no truncation input")
    grid = tmp_path / "grid.png"
    grid.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(100))
    code, _, err = cli("eval", grid)
    assert code == 2 and err.strip() == (f"error: {grid} is not an ONNX file: expected a run directory, an .onnx file "
                                         "made by `ganzoo export`, or zoo:NAME")


def test_a_missing_dataset_is_said_before_tensorflow_loads():
    import subprocess
    import sys
    code = ("import sys; from ganzoo.cli.main import main; assert main(['train', 'dcgan']) == 2; "
            "assert 'tensorflow' not in sys.modules, 'TensorFlow was imported'")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr.strip() == "error: missing --dataset (for example --dataset mnist)", \
        result.stderr
