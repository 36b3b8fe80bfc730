"""``folder:PATH``: every PNG/JPEG under a folder, searched recursively.

Images are converted to one size and channel count: given by the ``size`` and
``channels`` options, or else taken from the first readable image (channels:
1 when every image is grayscale, else 3). Unreadable files are skipped, each
named in a warning.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ganzoo.datasets import DatasetError
from ganzoo.interfaces import ArrayDataset

log = logging.getLogger(__name__)

SUFFIXES = {".png", ".jpg", ".jpeg"}


def folder(path: str, size: int | None = None, channels: int | None = None) -> ArrayDataset:
    """All images under ``path``, resized to ``size``x``size`` with ``channels`` (1 or 3) channels."""
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"folder:{path}: no such folder")
    if channels not in (None, 1, 3):
        raise DatasetError(f"folder:{path}: channels must be 1 or 3, got {channels}")
    if size is not None and size < 1:
        raise DatasetError(f"folder:{path}: size must be positive, got {size}")
    files = sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())
    images = []
    for file in files:
        try:
            with Image.open(file) as image:
                image.load()
                images.append(image.copy())
        except (OSError, UnidentifiedImageError, ValueError) as error:
            log.warning("skipped %s: %s", file, error)
    if not images:
        raise DatasetError(f"folder:{path} contains no readable PNG or JPEG images")
    if channels is None:
        channels = 1 if all(image.mode in ("1", "L", "I;16", "I") for image in images) else 3
    height, width = (size, size) if size else (images[0].height, images[0].width)
    mode = "L" if channels == 1 else "RGB"
    array = np.stack([_convert(image, mode, width, height) for image in images])
    return ArrayDataset("folder", array, source=f"folder:{root} ({len(images)} images)")


def _convert(image: Image.Image, mode: str, width: int, height: int) -> np.ndarray:
    if image.mode in ("I;16", "I"):  # 16-bit grayscale: scale to 8 bits before converting
        image = Image.fromarray((np.asarray(image, np.float64) / 256).clip(0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    image = image.convert(mode)
    if image.size != (width, height):
        image = image.resize((width, height), Image.Resampling.BICUBIC)
    array = np.asarray(image, np.uint8)
    return array[..., None] if array.ndim == 2 else array
