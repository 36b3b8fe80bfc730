"""Every dataset kind, offline, including bad inputs."""

from __future__ import annotations

import gzip
import logging
import re

import numpy as np
import pytest
from PIL import Image

from conftest import REPO
from ganzoo.datasets import DatasetError, as_arrays, open_dataset
from ganzoo.plugins.discovery import UnknownPluginError
from ganzoo.plugins.interfaces import ImageSpec


@pytest.fixture
def keras_home(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras" / "datasets"


def test_mnist_offline_falls_back_to_the_embedded_subset_with_a_notice(keras_home, caplog):
    with caplog.at_level(logging.INFO, logger="ganzoo"):
        data = open_dataset("mnist")
    assert data.info.size == 5000 and data.info.spec == ImageSpec(28, 28, 1, 10)
    assert "embedded 5,000-image subset" in caplog.text
    assert np.bincount(data.labels).tolist() == [500] * 10
    assert data.images.dtype == np.uint8 and data.images.max() == 255 and data.images.min() == 0


def test_mnist_uses_the_keras_cache_when_present(keras_home, caplog):
    keras_home.mkdir(parents=True)
    x = np.random.default_rng(0).integers(0, 256, (120, 28, 28), dtype=np.uint8)
    np.savez(keras_home / "mnist.npz", x_train=x, y_train=np.arange(120) % 10, x_test=x[:10], y_test=np.zeros(10))
    with caplog.at_level(logging.INFO, logger="ganzoo"):
        data = open_dataset("mnist")
    assert data.info.size == 120 and np.array_equal(data.images[..., 0], x)
    assert "full MNIST" in caplog.text


def test_mnist_5k_is_the_embedded_subset():
    data = open_dataset("mnist-5k")
    assert data.info.name == "mnist-5k" and data.images.shape == (5000, 28, 28, 1)


def test_fashion_mnist_offline_and_absent_is_a_clear_error(keras_home):
    with pytest.raises(DatasetError, match="fashion-mnist is not in the Keras cache .* could not be downloaded"):
        open_dataset("fashion-mnist")


def test_fashion_mnist_reads_the_keras_cache(keras_home):
    folder = keras_home / "fashion-mnist"
    folder.mkdir(parents=True)
    images = np.random.default_rng(1).integers(0, 256, (30, 28, 28), dtype=np.uint8)
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as f:
        f.write(b"\0" * 16 + images.tobytes())
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as f:
        f.write(b"\0" * 8 + bytes(range(30)))
    data = open_dataset("fashion-mnist")
    assert data.info.size == 30 and np.array_equal(data.images[..., 0], images)


def _png(path, size=(20, 16), mode="L", value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode == "L" else (value, 0, 0)).save(path)


def test_folder_finds_png_and_jpeg_recursively_and_names_skipped_files(tmp_path, caplog):
    _png(tmp_path / "a.png")
    _png(tmp_path / "sub" / "deeper" / "b.JPG", value=200)
    (tmp_path / "sub" / "broken.png").write_bytes(b"not a png")
    (tmp_path / "notes.txt").write_text("ignored")
    with caplog.at_level(logging.WARNING, logger="ganzoo"):
        data = as_arrays(open_dataset(f"folder:{tmp_path}"))
    assert data.images.shape == (2, 16, 20, 1)  # size of the first image, grayscale
    assert "skipped" in caplog.text and "broken.png" in caplog.text


def test_folder_converts_to_the_requested_size_and_channels(tmp_path):
    _png(tmp_path / "a.png", size=(50, 40))
    _png(tmp_path / "b.png", size=(10, 10), mode="RGB")
    data = as_arrays(open_dataset(f"folder:{tmp_path}", size=32, channels=3))
    assert data.images.shape == (2, 32, 32, 3) and data.images.dtype == np.uint8
    assert open_dataset(f"folder:{tmp_path}").info.spec.channels == 3  # a colour image present: RGB


@pytest.mark.parametrize("setup, message", [
    (lambda p: None, "contains no readable PNG or JPEG images"),
    (lambda p: (p / "x.png").write_bytes(b"junk"), "contains no readable PNG or JPEG images"),
])
def test_folder_without_readable_images_is_an_error(tmp_path, setup, message):
    setup(tmp_path)
    with pytest.raises(DatasetError, match=message):
        open_dataset(f"folder:{tmp_path}")


def test_folder_missing_is_an_error(tmp_path):
    with pytest.raises(DatasetError, match="no such folder"):
        open_dataset(f"folder:{tmp_path / 'nope'}")


def test_npz_with_and_without_labels(tmp_path):
    x = np.zeros((5, 8, 8, 3), np.uint8)
    np.savez(tmp_path / "a.npz", x=x, y=np.array([0, 1, 2, 1, 0]))
    np.savez(tmp_path / "b.npz", x=x[..., 0])
    a, b = open_dataset(f"npz:{tmp_path / 'a.npz'}"), open_dataset(f"npz:{tmp_path / 'b.npz'}")
    assert a.info.spec == ImageSpec(8, 8, 3, 3) and b.info.spec == ImageSpec(8, 8, 1, None)


@pytest.mark.parametrize("arrays, message", [
    ({"images": np.zeros((2, 8, 8), np.uint8)}, "has no array 'x'"),
    ({"x": np.zeros((2, 8, 8), np.float32)}, "'x' must be uint8"),
    ({"x": np.zeros((2, 8), np.uint8)}, "'x' must be uint8"),
    ({"x": np.zeros((2, 8, 8), np.uint8), "y": np.array([1])}, "'y' must be 2 non-negative integers"),
    ({"x": np.zeros((2, 8, 8), np.uint8), "y": np.array([0.5, 1])}, "'y' must be"),
])
def test_npz_bad_contents(tmp_path, arrays, message):
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(DatasetError, match=message):
        open_dataset(f"npz:{tmp_path / 'bad.npz'}")


def test_npz_missing_or_not_npz(tmp_path):
    with pytest.raises(DatasetError, match="no such file"):
        open_dataset(f"npz:{tmp_path / 'missing.npz'}")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(DatasetError, match="not a readable .npz"):
        open_dataset(f"npz:{tmp_path / 'text.npz'}")


def test_dataset_argument_errors():
    with pytest.raises(UnknownPluginError, match=r"unknown dataset 'imagenet' \(valid: fashion-mnist, folder, mnist"):
        open_dataset("imagenet")
    with pytest.raises(DatasetError, match="needs a path: use folder:PATH"):
        open_dataset("folder")
    with pytest.raises(DatasetError, match="takes no path"):
        open_dataset("mnist:/tmp")
    with pytest.raises(DatasetError, match=re.escape("dataset 'mnist-5k' does not take --image-size (it takes: "
                                                    "nothing)")):
        open_dataset("mnist-5k", size=32)


def test_a_factory_whose_path_is_optional_is_not_asked_for_one(fake_site):
    """A third party's dataset that makes its images when no path is given, and takes no --channels."""
    from conftest import make_distribution
    make_distribution(fake_site, "blobplug", "1.0", {"ganzoo.datasets": {"blobs": "blob_mod:blobs"}}, {"blob_mod": """
        import numpy as np
        from ganzoo import ArrayDataset
        def blobs(path=None, size=16):
            images = np.random.default_rng(0).integers(0, 256, (10, size, size, 1), dtype=np.uint8)
            return ArrayDataset("blobs", images)
        """})
    assert open_dataset("blobs", size=8).info.spec.shape == (8, 8, 1)
    with pytest.raises(DatasetError, match=re.escape("dataset 'blobs' does not take --channels (it takes: a path "
                                                    "(NAME:PATH), --image-size)")):
        open_dataset("blobs", size=8, channels=3)


def test_datasets_are_read_without_tensorflow(tmp_path):
    import subprocess
    import sys
    np.savez(tmp_path / "d.npz", x=np.zeros((3, 8, 8), np.uint8))
    code = (f"import sys; from ganzoo.datasets import open_dataset; open_dataset('mnist-5k'); "
            f"open_dataset('npz:{tmp_path / 'd.npz'}'); open_dataset('folder:{REPO / 'docs' / 'images'}'); "
            "assert 'tensorflow' not in sys.modules and 'keras' not in sys.modules")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
