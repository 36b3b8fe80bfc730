"""DiffAugment: each policy does what the paper's does, differentiably, and --augment reaches the training loop."""

from __future__ import annotations

import itertools
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import ganzoo_here

from ganzoo.training.augment import augment

N, H, W = 6, 16, 16


def _images(channels=1):
    return np.random.default_rng(0).uniform(-1, 1, (N, H, W, channels)).astype(np.float32)


def _shifted(image, dy, dx):
    """``image`` moved by (dy, dx), zeros where it moved away from."""
    out = np.zeros_like(image)
    src = image[max(0, -dy):H - max(0, dy), max(0, -dx):W - max(0, dx)]
    out[max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] = src
    return out


def test_translation_moves_each_image_by_at_most_an_eighth_filling_with_zeros():
    x = _images()
    y = np.asarray(augment(tf.constant(x), ("translation",), keras.random.SeedGenerator(1)))
    shifts = []
    for i in range(N):
        found = [(dy, dx) for dy, dx in itertools.product(range(-2, 3), repeat=2)
                 if np.array_equal(y[i], _shifted(x[i], -dy, -dx))]
        assert found, f"image {i} is not a translation of at most 2 pixels"
        shifts.append(found[0])
    assert len(set(shifts)) > 1  # drawn per image


def test_cutout_zeroes_one_square_of_half_the_size_per_image():
    x = _images() * 0.5 + 0.75  # no pixel is zero before
    y = np.asarray(augment(tf.constant(x), ("cutout",), keras.random.SeedGenerator(2)))
    for i in range(N):
        cut = y[i, ..., 0] == 0
        rows, cols = np.nonzero(cut)
        assert cut.any() and cut.sum() == (np.ptp(rows) + 1) * (np.ptp(cols) + 1)  # one solid rectangle
        assert np.ptp(rows) + 1 <= H // 2 and np.ptp(cols) + 1 <= W // 2  # at most half the size (clipped)
        np.testing.assert_array_equal(y[i][~cut], x[i][~cut])


def test_color_is_one_affine_map_per_image():
    x = _images()
    y = np.asarray(augment(tf.constant(x), ("color",), keras.random.SeedGenerator(3)))
    scales = []
    for i in range(N):  # grayscale: brightness and contrast are y = a x + b, saturation leaves it alone
        a, b = np.polyfit(x[i].ravel(), y[i].ravel(), 1)
        np.testing.assert_allclose(a * x[i] + b, y[i], atol=1e-5)
        scales.append(a)
    assert 0.5 <= min(scales) and max(scales) <= 1.5 and np.ptp(scales) > 0


def test_every_policy_is_differentiable_and_repeatable():
    x = tf.constant(_images(channels=3))
    policies = ("color", "translation", "cutout")
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = augment(x, policies, keras.random.SeedGenerator(4))
        total = tf.reduce_sum(y * y)
    gradient = tape.gradient(total, x)
    assert gradient is not None and float(tf.reduce_max(tf.abs(gradient))) > 0
    again = augment(x, policies, keras.random.SeedGenerator(4))
    np.testing.assert_array_equal(np.asarray(y), np.asarray(again))


def test_augment_and_mode_seeking_are_recorded_train_and_may_not_change_on_resume(tiny_npz, tmp_path, cli):
    """One tiny run for both of the loop's small-data options (tests/test_mode_seeking.py tests the term)."""
    run = tmp_path / "run"
    trained = ganzoo_here("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--epochs", "1", "--batch-size", "32",
                          "--latent-dim", "8", "-o", "width=8", "--augment", "cutout,translation", "--mode-seeking",
                          "0.5", "--run-dir", run)
    assert trained.returncode == 0, trained.stderr
    assert "augment translation,cutout" in trained.stderr and "mode seeking 0.5" in trained.stderr
    config = json.loads((run / "config.json").read_text())
    assert config["augment"] == ["translation", "cutout"] and config["mode_seeking"] == 0.5
    code, _, err = cli("train", "--resume", "--run-dir", run, "--augment", "color")
    assert code == 2 and "augment: run has ('translation', 'cutout'), command line says ('color',)" in err
    code, _, err = cli("train", "--resume", "--run-dir", run, "--mode-seeking", "1")
    assert code == 2 and "mode_seeking: run has 0.5, command line says 1.0" in err
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--augment", "flip", "--run-dir",
                       tmp_path / "bad")
    assert code == 2 and "unknown augmentation policy flip (valid: color, translation, cutout" in err
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("value, expected", [('"translation,cutout"', ("translation", "cutout")), ('"zoom"', None),
                                             ("['cutout', 'translation']", ("translation", "cutout")),
                                             ("[]", ()), ("{cutout = 1}", None), ("[['cutout']]", None)])
def test_a_recipe_sets_augment_as_the_option_would(tmp_path, value, expected):
    """As the option's text, or as a TOML list of the same items (config.json's form)."""
    from ganzoo.errors import UserError
    from ganzoo.recipes import load_recipe
    path = tmp_path / "aug.toml"
    path.write_text(f'[recipe]\nname = "aug"\n\n[train]\ngenerator = "dcgan"\naugment = {value}\n')
    if expected is not None:
        assert load_recipe(str(path)).train["augment"] == expected
    else:
        with pytest.raises(UserError, match="augment"):
            load_recipe(str(path))


def test_ada_records_p_in_metrics_and_the_checkpoint_and_needs_policies(cli, tiny_npz, tmp_path):
    import csv
    run = tmp_path / "run"
    code, _, err = cli("train", "dcgan", "-d", f"npz:{tiny_npz}", "--epochs", "2", "--batch-size", "32",
                       "--latent-dim", "8", "-o", "width=8", "--augment", "translation,color", "--ada-target", "0.6",
                       "--run-dir", run)
    assert code == 0, err
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert [0 <= float(row["ada_p"]) <= 4 * 32 / 100_000 for row in rows] == [True, True]
    assert "augment color,translation, ADA target 0.6" in err
    code, _, err = cli("train", "--resume", "--run-dir", run, "--epochs", "3")
    assert code == 0, err
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    assert abs(float(rows[2]["ada_p"]) - float(rows[1]["ada_p"])) <= 2 * 32 / 100_000 + 1e-9  # went on from it
    code, _, err = cli("train", "dcgan", "-d", f"npz:{tiny_npz}", "--ada-target", "0.6", "--run-dir", tmp_path / "x")
    assert code == 2 and err.strip().startswith("error: --ada-target adapts the probability of the --augment policies")
    assert not (tmp_path / "x").exists()
