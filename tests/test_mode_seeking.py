"""MSGAN's mode-seeking term: large for a generator that ignores z, over same-label pairs only, and
--mode-seeking puts it in the generator's loss."""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf
from ganzoo_dcgan.losses import NonSaturatingLoss
from ganzoo_dcgan.models import build_discriminator, build_generator

from ganzoo.plugins.interfaces import ImageSpec
from ganzoo.training.gan import GAN
from ganzoo.training.mode_seeking import EPSILON, mode_seeking_term

RNG = np.random.default_rng(0)
Z = RNG.normal(size=(6, 4)).astype(np.float32)


def _term(images, labels=None):
    labels = None if labels is None else tf.constant(labels)
    return float(tf.function(mode_seeking_term)(tf.constant(images, tf.float32), tf.constant(Z), labels))


def _l1(a, b):
    return np.abs(a - b).mean()


def test_the_term_is_one_over_the_image_to_latent_distance_ratio():
    images = RNG.uniform(-1, 1, (6, 5, 5, 1))
    pairs = [(i, j) for i in range(6) for j in range(6) if i != j]
    ratio = sum(_l1(images[i], images[j]) for i, j in pairs) / sum(_l1(Z[i], Z[j]) for i, j in pairs)
    assert _term(images) == pytest.approx(1 / (ratio + EPSILON), rel=1e-5)


def test_a_generator_that_ignores_z_gets_a_large_term():
    same = np.repeat(RNG.uniform(-1, 1, (1, 5, 5, 3)), 6, axis=0)
    assert _term(same) == pytest.approx(1 / EPSILON)
    assert _term(RNG.uniform(-1, 1, (6, 5, 5, 3))) < 10


def test_only_pairs_that_share_a_label_count():
    digits = RNG.uniform(-1, 1, (3, 5, 5, 1))
    images = np.concatenate([digits, digits])  # image i and i + 3 are the same, all others differ
    same_pairs, mixed_pairs = [0, 1, 2, 0, 1, 2], [0, 0, 1, 1, 2, 2]
    assert _term(images, same_pairs) == pytest.approx(1 / EPSILON)  # each class collapsed onto one image
    assert _term(images, mixed_pairs) < 10  # its classes vary; the twins are in different ones
    assert _term(images) < 10  # without labels every pair counts
    assert _term(images, np.arange(6)) == 0  # no pair shares a label


def test_the_term_reaches_the_generators_loss_and_only_it():
    spec = ImageSpec(28, 28, 1)
    images = RNG.uniform(-1, 1, (8, 28, 28, 1)).astype(np.float32)
    losses = {}
    for weight in (0.0, 1000.0):
        keras.utils.set_random_seed(0)
        gan = GAN(build_generator(spec, latent_dim=8, width=8), build_discriminator(spec, width=8),
                  NonSaturatingLoss(), 8, seed=0, mode_seeking=weight)
        gan.compile(d_optimizer=keras.optimizers.Adam(1e-4), g_optimizer=keras.optimizers.Adam(1e-4))
        losses[weight] = {k: float(v) for k, v in gan.train_step(images).items()}
    # images in [-1, 1] are at most 2 apart and N(0, 1) latents about 1.1: the term is at least about 0.5
    assert losses[1000.0]["g_loss"] > losses[0.0]["g_loss"] + 400
    assert losses[1000.0]["d_loss"] == pytest.approx(losses[0.0]["d_loss"], rel=1e-5)


def test_a_negative_weight_is_a_one_line_error_before_anything_is_written(tiny_npz, tmp_path, cli):
    # recorded in config.json and fixed on --resume: tests/test_augment.py's tiny run trains with it
    code, _, err = cli("train", "dcgan", "--dataset", f"npz:{tiny_npz}", "--mode-seeking", "-1", "--run-dir",
                       tmp_path / "bad")
    assert code == 2 and "--mode-seeking': -1.0 is not in the range x>=0" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "bad").exists()


@pytest.mark.parametrize("value, ok", [("0.3", True), ("-0.1", False), ('"nan"', False)])
def test_a_recipe_sets_mode_seeking_as_the_option_would(tmp_path, value, ok):
    from ganzoo.errors import UserError
    from ganzoo.recipes import load_recipe
    path = tmp_path / "ms.toml"
    path.write_text(f'[recipe]\nname = "ms"\n\n[train]\ngenerator = "dcgan"\nmode_seeking = {value}\n')
    if ok:
        assert load_recipe(str(path)).train["mode_seeking"] == 0.3
    else:
        with pytest.raises(UserError, match="mode_seeking"):
            load_recipe(str(path))
