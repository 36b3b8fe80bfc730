"""Recipes: listed, loaded, recorded in config.json, and overridden by the command line."""

from __future__ import annotations

import json

import pytest

from conftest import run_cli
from ganzoo.errors import UserError
from ganzoo.recipes import TRAIN_KEYS, load_recipe, recipe_names


def test_every_shipped_recipe_is_well_formed_and_mnist_named():
    assert {"dcgan-mnist", "dcgan-mnist-article", "dcgan-mnist-best", "cdcgan-mnist"} <= set(recipe_names())
    for name in recipe_names():
        recipe = load_recipe(name)
        assert recipe.name == name and recipe.version >= 1 and recipe.description
        assert {"generator", "discriminator", "loss", "dataset", "batch_size", "epochs", "lr", "seed"} <= set(recipe.train)
        assert set(recipe.train) <= set(TRAIN_KEYS)
        if "mnist" in recipe.train["dataset"]:
            assert name.endswith("-mnist") or "-mnist-" in name


def test_unknown_recipe_is_a_one_line_error():
    with pytest.raises(UserError, match=r"unknown recipe 'nope' \(valid: .*dcgan-mnist"):
        load_recipe("nope")
    result = run_cli("train", "--recipe", "nope")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


def test_recipes_command_lists_them():
    result = run_cli("recipes")
    assert result.returncode == 0 and "dcgan-mnist-article@1" in result.stdout and "batch 256" in result.stdout


def test_a_recipe_round_trips_into_config_json_and_the_command_line_wins(tiny_npz, tmp_path):
    run = tmp_path / "run"
    result = run_cli("train", "--recipe", "dcgan-mnist-article", "--dataset", f"npz:{tiny_npz}", "--epochs", "1",
                     "--batch-size", "32", "--run-dir", str(run))
    assert result.returncode == 0, result.stderr
    config = json.loads((run / "config.json").read_text())
    recipe = load_recipe("dcgan-mnist-article").train
    assert config["recipe"] == "dcgan-mnist-article@1"
    assert (config["lr"], config["beta_1"], config["latent_dim"], config["seed"]) == \
        (recipe["lr"], recipe["beta_1"], recipe["latent_dim"], recipe["seed"])  # from the recipe
    assert (config["epochs"], config["batch_size"], config["dataset"]) == (1, 32, f"npz:{tiny_npz}")  # overrides
