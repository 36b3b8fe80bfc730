"""MNIST and Fashion-MNIST, read from Keras' own cache without importing TensorFlow.

``mnist`` uses Keras' cached file (``~/.keras/datasets/mnist.npz``, or under
``$KERAS_HOME``), downloads it when missing with a short time-out, and falls
back to the 5,000 images embedded in the package when both fail. Set
``GANZOO_OFFLINE=1`` to skip the download attempt.
"""

from __future__ import annotations

import gzip
import importlib.resources
import logging
import os
import tempfile
import urllib.request
from pathlib import Path

import numpy as np

from ganzoo.datasets import DatasetError
from ganzoo.plugins.interfaces import ArrayDataset

log = logging.getLogger(__name__)

OFFLINE_ENV = "GANZOO_OFFLINE"
KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
DOWNLOAD_TIMEOUT_S = 10
FASHION_FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz")
EMBEDDED_MNIST_SOURCE = "embedded MNIST subset (5,000 images, 500 per digit; MNIST by LeCun, Cortes & Burges, CC BY-SA 3.0)"


def keras_cache_dir() -> Path:
    """Where Keras' dataset loaders keep their files."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    return Path(home) / "datasets"


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() not in ("", "0", "false", "no")


def _fetch(url: str, target: Path) -> None:
    """Download ``url`` to ``target`` atomically; raise OSError on any failure."""
    if _offline():
        raise OSError(f"downloads are off: {OFFLINE_ENV} is set")
    log.info("downloading %s to %s", url, target.parent)
    target.parent.mkdir(parents=True, exist_ok=True)
    with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_S) as response:
        fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := response.read(1 << 20):
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            os.unlink(tmp)
            raise


def _cached_or_downloaded(relative: str) -> Path:
    path = keras_cache_dir() / relative
    if not path.exists():
        _fetch(KERAS_ORIGIN + relative.split("/")[-1], path)
    return path


def mnist_5k() -> ArrayDataset:
    """The 5,000-image MNIST subset embedded in the package (500 per digit)."""
    with importlib.resources.files("ganzoo.datasets").joinpath("data/mnist_5k.npz").open("rb") as f:
        with np.load(f) as data:
            return ArrayDataset("mnist-5k", data["x"], data["y"], source=EMBEDDED_MNIST_SOURCE, num_classes=10)


def mnist() -> ArrayDataset:
    """MNIST's 60,000 training images from Keras' cache or download, else the embedded subset."""
    try:
        path = _cached_or_downloaded("mnist.npz")
        with np.load(path) as data:
            dataset = ArrayDataset("mnist", data["x_train"], data["y_train"],
                                   source=f"MNIST training set, 60,000 images ({path})", num_classes=10)
    except (OSError, ValueError, KeyError) as error:
        log.info("full MNIST unavailable (%s); using the embedded 5,000-image subset", _short(error))
        return mnist_5k()
    log.info("using the full MNIST training set (60,000 images) from %s", path)
    return dataset


def fashion_mnist() -> ArrayDataset:
    """Fashion-MNIST's 60,000 training images from Keras' cache or download."""
    try:
        labels_path, images_path = (_cached_or_downloaded(f"fashion-mnist/{name}") for name in FASHION_FILES)
        with gzip.open(labels_path, "rb") as f:
            labels = np.frombuffer(f.read(), np.uint8, offset=8)
        with gzip.open(images_path, "rb") as f:
            images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(len(labels), 28, 28)
    except (OSError, ValueError) as error:
        raise DatasetError(f"fashion-mnist is not in the Keras cache ({keras_cache_dir() / 'fashion-mnist'}) "
                           f"and could not be downloaded: {_short(error)}") from None
    return ArrayDataset("fashion-mnist", images, labels, source=f"Fashion-MNIST training set ({images_path.parent})",
                        num_classes=10)


def _short(error: BaseException) -> str:
    return str(getattr(error, "reason", None) or error) or type(error).__name__
