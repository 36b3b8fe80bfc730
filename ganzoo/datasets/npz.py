"""``npz:PATH``: arrays ``x`` (N, H, W[, C], uint8) and optional ``y`` (N,) integer labels."""

from __future__ import annotations

import zipfile

import numpy as np

from ganzoo.datasets import DatasetError
from ganzoo.plugins.interfaces import ArrayDataset


def npz(path: str) -> ArrayDataset:
    """Images and optional labels from a numpy ``.npz`` file."""
    try:
        data = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise DatasetError(f"npz:{path}: no such file") from None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise DatasetError(f"npz:{path} is not a readable .npz file: {str(error) or 'it is empty'}") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise DatasetError(f"npz:{path} holds a single array, not an .npz archive: save the images with "
                           "numpy.savez(PATH, x=images[, y=labels])")
    try:
        with data:
            if "x" not in data:
                raise DatasetError(f"npz:{path} has no array 'x' (it has: {', '.join(data.files) or 'none'})")
            x = data["x"]
            y = data["y"] if "y" in data else None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as error:
        raise DatasetError(f"npz:{path} is damaged: {error}") from None
    if x.dtype != np.uint8 or x.ndim not in (3, 4) or (x.ndim == 4 and x.shape[-1] not in (1, 3)):
        raise DatasetError(f"npz:{path}: 'x' must be uint8 (N, H, W) or (N, H, W, 1|3), got {x.dtype} {x.shape}")
    if y is not None and (y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or (len(y) and y.min() < 0)):
        raise DatasetError(f"npz:{path}: 'y' must be {len(x)} non-negative integers, got {y.dtype} {y.shape}")
    return ArrayDataset("npz", x, y, source=f"npz:{path}")
