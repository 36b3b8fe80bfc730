"""``folder:PATH``: every PNG/JPEG under a folder, searched recursively.

Images are converted to one size and channel count: given by the ``size`` and
``channels`` options, or else taken from the first readable image (channels:
1 when every image is grayscale, else 3). Files whose header cannot be read
are skipped, each named in a warning.

Opening the folder reads only the files' headers: the pixels are decoded when
they are needed, so the trainer can either decode every image once into
memory (in parallel) or, for a folder larger than its memory budget, stream
the images from disk in each epoch (ganzoo.training.pipeline).
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from ganzoo.datasets import DatasetError
from ganzoo.plugins.interfaces import DatasetInfo, ImageSpec

log = logging.getLogger(__name__)

SUFFIXES = {".png", ".jpg", ".jpeg"}
GRAYSCALE_MODES = ("1", "L", "I;16", "I")
UNREADABLE = (OSError, UnidentifiedImageError, ValueError, Image.DecompressionBombError)


def folder(path: str, size: int | None = None, channels: int | None = None) -> FolderDataset:
    """All images under ``path``, resized to ``size``x``size`` with ``channels`` (1 or 3) channels."""
    root = Path(path)
    if not root.is_dir():
        raise DatasetError(f"folder:{path}: no such folder")
    if channels not in (None, 1, 3):
        raise DatasetError(f"folder:{path}: channels must be 1 or 3, got {channels}")
    if size is not None and size < 1:
        raise DatasetError(f"folder:{path}: size must be positive, got {size}")
    files, modes, first_size = [], [], None
    for file in sorted(p for p in root.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file()):
        try:
            with _open(file) as image:  # reads the header only
                modes.append(image.mode)
                first_size = first_size or image.size
            files.append(file)
        except UNREADABLE as error:
            log.warning("skipped %s: %s", file, error)
    if not files:
        raise DatasetError(f"folder:{path} contains no readable PNG or JPEG images")
    if channels is None:
        channels = 1 if all(mode in GRAYSCALE_MODES for mode in modes) else 3
    width, height = (size, size) if size else first_size
    return FolderDataset(root, files, ImageSpec(height, width, channels))


class FolderDataset:
    """Image files read on demand: :meth:`read` decodes one, :meth:`batches` all of them in order."""

    def __init__(self, root: Path, files: list[Path], spec: ImageSpec):
        self.files = files
        self.info = DatasetInfo("folder", spec, len(files), f"folder:{root} ({len(files)} images)")

    @property
    def decoded_bytes(self) -> int:
        """Memory that the decoded images would take."""
        spec = self.info.spec
        return len(self.files) * spec.height * spec.width * spec.channels

    def read(self, index: int) -> np.ndarray:
        """Image ``index`` as uint8 [H, W, C]."""
        file = self.files[index]
        try:
            with _open(file) as image:
                return _convert(image, self.info.spec)
        except UNREADABLE as error:
            raise DatasetError(f"cannot decode {file}: {error}") from None

    def batches(self, batch_size: int) -> Iterator[tuple[np.ndarray, None]]:
        """All images in path order, decoded by a pool of threads (Pillow's decoders release the GIL)."""
        with ThreadPoolExecutor() as pool:
            for start in range(0, len(self.files), batch_size):
                indices = range(start, min(start + batch_size, len(self.files)))
                yield np.stack(list(pool.map(self.read, indices))), None


def _open(file: Path) -> Image.Image:
    """Open an image; one larger than Pillow's MAX_IMAGE_PIXELS (a decompression bomb, or no training
    image) raises instead of warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            return Image.open(file)
        except Image.DecompressionBombWarning as warning:
            raise Image.DecompressionBombError(str(warning)) from None


def _convert(image: Image.Image, spec: ImageSpec) -> np.ndarray:
    if image.mode in ("I;16", "I"):  # 16-bit grayscale: scale to 8 bits before converting
        image = Image.fromarray((np.asarray(image, np.float64) / 256).clip(0, 255).astype(np.uint8))
    if image.mode in ("RGBA", "LA", "P"):
        image = image.convert("RGBA")
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, image)
    image = image.convert("L" if spec.channels == 1 else "RGB")
    if image.size != (spec.width, spec.height):
        image = image.resize((spec.width, spec.height), Image.Resampling.BICUBIC)
    array = np.asarray(image, np.uint8)
    return array[..., None] if array.ndim == 2 else array
