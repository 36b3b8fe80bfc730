"""Turning generator output into pictures: grids, single PNGs and animated GIFs."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

from ganzoo_runtime.atomic import atomic_path
from ganzoo_runtime.metadata import GeneratorInfo


def to_uint8(images: np.ndarray, pixel_range: tuple[float, float] = (-1.0, 1.0)) -> np.ndarray:
    """Float images in ``pixel_range`` -> uint8 [0, 255], rounded and clipped."""
    if images.dtype == np.uint8:
        return images
    low, high = pixel_range
    scaled = (np.asarray(images, np.float64) - low) * (255.0 / (high - low))
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def to_display(images: np.ndarray, info: GeneratorInfo) -> np.ndarray:
    """Generator output in any exported form (layout, pixel range) -> uint8 [N, H, W, C]."""
    if info.layout == "nchw":
        images = np.transpose(images, (0, 2, 3, 1))
    return to_uint8(images, tuple(map(float, info.pixel_range)))


def make_grid(images: np.ndarray, columns: int | None = None, padding: int = 2) -> np.ndarray:
    """uint8 [N, H, W, C] -> one uint8 [rows*H, columns*W, C] picture with a padding border."""
    n, h, w, c = images.shape
    columns = columns or math.ceil(math.sqrt(n))
    rows = math.ceil(n / columns)
    grid = np.zeros((rows * (h + padding) + padding, columns * (w + padding) + padding, c), np.uint8)
    for i, image in enumerate(images):
        top, left = padding + (i // columns) * (h + padding), padding + (i % columns) * (w + padding)
        grid[top:top + h, left:left + w] = image
    return grid


def to_pil(image: np.ndarray) -> Image.Image:
    """uint8 [H, W, 1|3] -> a PIL image (grayscale or RGB)."""
    return Image.fromarray(image[..., 0] if image.shape[-1] == 1 else image)


def save_image_atomically(image: Image.Image, path: str | os.PathLike, **save_options) -> None:
    """Write a picture so that a crash never leaves a half-written file at ``path``."""
    with atomic_path(path) as tmp:
        image.save(tmp, format=Image.registered_extensions()[Path(path).suffix.lower()], **save_options)


def save_grid(images: np.ndarray, path: str | os.PathLike, columns: int | None = None,
              scale: int = 1) -> None:
    """Save uint8 images [N, H, W, C] as one grid PNG, optionally enlarged ``scale`` times."""
    picture = to_pil(make_grid(images, columns))
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)
    save_image_atomically(picture, path)


def save_gif(frames: Sequence[Image.Image], path: str | os.PathLike, frame_ms: int = 200,
             last_frame_ms: int = 1500) -> None:
    """Save pictures as a looping GIF that pauses on its last frame."""
    durations = [frame_ms] * (len(frames) - 1) + [last_frame_ms]
    first, *rest = frames
    save_image_atomically(first, path, save_all=True, append_images=rest, duration=durations, loop=0)
