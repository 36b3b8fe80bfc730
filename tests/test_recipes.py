"""Recipes: listed, loaded, recorded in config.json, and overridden by the command line."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli
from ganzoo.errors import UserError
from ganzoo.recipes import load_recipe, recipe_names
from ganzoo.settings import RECIPE_KEYS


def test_every_shipped_recipe_is_well_formed_and_mnist_named():
    assert {"dcgan-mnist", "dcgan-mnist-article", "dcgan-mnist-article-budget", "cdcgan-mnist"} <= set(recipe_names())
    for name in recipe_names():
        recipe = load_recipe(name)
        assert recipe.name == name and recipe.version >= 1 and recipe.description
        assert {"generator", "discriminator", "loss", "dataset", "batch_size", "epochs", "seed"} <= set(recipe.train)
        # both networks' learning rates pinned, not left to a plugin's defaults: one rate, or one for each
        assert "lr" in recipe.train or {"lr_d", "lr_g"} <= set(recipe.train), f"{name}: no learning rate"
        assert set(recipe.train) <= set(RECIPE_KEYS)
        if "mnist" in recipe.train["dataset"]:
            assert name.endswith("-mnist") or "-mnist-" in name


def test_unknown_recipe_is_a_one_line_error(cli):
    with pytest.raises(UserError, match=r"unknown recipe 'nope' \(valid: .*dcgan-mnist") as raised:
        load_recipe("nope")
    code, _, err = cli("train", "--recipe", "nope")
    assert code == 2 and err.strip().splitlines() == [f"error: {raised.value}"]


def test_recipes_command_lists_them():
    result = run_cli("recipes")
    assert result.returncode == 0 and "dcgan-mnist-article@1" in result.stdout and "batch 256" in result.stdout
    assert "seed 0, R1 0.1, augment translation,cutout, EMA 0.995, mode seeking 0.3" in result.stdout  # what shapes it


def test_a_recipe_round_trips_into_config_json_and_the_command_line_wins(tiny_npz, tmp_path, cli):
    run = tmp_path / "run"
    code, _, err = cli("train", "--recipe", "dcgan-mnist-article", "--dataset", f"npz:{tiny_npz}", "--epochs", "1",
                       "--batch-size", "32", "--run-dir", run)
    assert code == 0, err
    config = json.loads((run / "config.json").read_text())
    recipe = load_recipe("dcgan-mnist-article").train
    assert config["recipe"] == "dcgan-mnist-article@1"
    assert (config["lr"], config["beta_1"], config["latent_dim"], config["seed"]) == \
        (recipe["lr"], recipe["beta_1"], recipe["latent_dim"], recipe["seed"])  # from the recipe
    assert (config["epochs"], config["batch_size"], config["dataset"]) == (1, 32, f"npz:{tiny_npz}")  # overrides


def test_a_recipes_architecture_table_sets_hyperparameters_under_the_command_line(tiny_npz, tmp_path, cli):
    recipe = tmp_path / "narrow.toml"
    recipe.write_text(f'[recipe]\nname = "narrow"\n\n[train]\ngenerator = "dcgan"\ndiscriminator = "dcgan"\n'
                      f'dataset = "npz:{tiny_npz}"\nepochs = 1\nbatch_size = 32\nlatent_dim = 8\n\n'
                      '[architecture]\nwidth = 8\ndropout = 0.5\n')
    run = tmp_path / "run"
    code, _, err = cli("train", "--recipe", recipe, "-o", "dropout=0.1", "--run-dir", run)
    assert code == 0, err
    assert json.loads((run / "config.json").read_text())["hparams"] == {"width": 8, "dropout": 0.1}


@pytest.mark.parametrize("tables, message", [
    ('[architecture]\nwidht = 8\n', "unknown hyperparameter widht for dcgan (valid: dropout, width)"),
    ('[architecture]\nwidth = "wide"\n', "width = 'wide': 'wide' is not a valid integer"),
    ('[architecture]\nwidth = [8]\n', "[architecture] width must be a single value"),
    ('[model]\nwidth = 8\n', "unknown table(s) model (valid: [recipe], [train], [architecture])"),
])
def test_a_bad_architecture_table_is_one_line(tiny_npz, tmp_path, tables, message, cli):
    recipe = tmp_path / "bad.toml"
    recipe.write_text(f'[recipe]\nname = "bad"\n\n[train]\ngenerator = "dcgan"\ndataset = "npz:{tiny_npz}"\n\n'
                      + tables)
    code, _, err = cli("train", "--recipe", recipe, "--run-dir", tmp_path / "run")
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert message in err and not (tmp_path / "run").exists()
