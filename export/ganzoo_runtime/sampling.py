"""Images for a seed, written in the form the output path asks for.

Works with any ``generate(z, labels) -> array`` function, so the ONNX
runtime and the Keras path share it (and so the same latents). The output's
suffix picks the form: ``.png`` a grid, ``.npy`` the array as the generator
emits it, ``.gif`` a latent-space interpolation, anything else (a folder)
one PNG per image.
"""

from __future__ import annotations

import itertools
import math
import os
import shutil
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Optional

import numpy as np
from PIL import Image

from ganzoo_runtime.atomic import atomic_path, staging_folder
from ganzoo_runtime.errors import UserError
from ganzoo_runtime.images import make_grid, save_gif, save_grid, to_display, to_pil
from ganzoo_runtime.latents import latent_batches, latent_vectors
from ganzoo_runtime.metadata import GeneratorInfo

Generate = Callable[[np.ndarray, Optional[np.ndarray]], np.ndarray]

MAX_GRID = 10_000  # images in one grid PNG; more is for an .npy file or a folder
MAX_GIF = 256  # images in an interpolation GIF (each of its 48 frames is a grid of them)
GIF_KEYFRAMES = 4
GIF_STEPS = 12  # frames between two keyframes


def generate_in_batches(generate: Generate, z: np.ndarray, labels: Optional[np.ndarray],
                        batch_size: int) -> np.ndarray:
    """Run ``generate`` over ``z`` in batches and concatenate the outputs."""
    parts = [generate(z[i:i + batch_size], None if labels is None else labels[i:i + batch_size])
             for i in range(0, len(z), batch_size)]
    return np.concatenate(parts)


def balanced_images(generate: Generate, info: GeneratorInfo, n: int, seed: int, batch_size: int,
                    pixels: Optional[Generate] = None) -> np.ndarray:
    """``n`` images for ``seed`` as uint8 [n, H, W, C], every class in turn for a conditional generator
    (what evaluation scores). ``pixels``: the same images as uint8 [N, H, W, C], if the generator makes them
    itself (ganzoo_runtime.model.OnnxGenerator.pixels)."""
    z = latent_vectors(seed, n, info.latent_dim)
    return generate_in_batches(pixels or _host_pixels(generate, info), z, labels_for(None, n, info), batch_size)


def _host_pixels(generate: Generate, info: GeneratorInfo) -> Generate:
    return lambda z, labels: to_display(generate(z, labels), info)


def labels_for(label: Optional[int], n: int, info: GeneratorInfo, start: int = 0) -> Optional[np.ndarray]:
    """Labels for images ``start .. start + n``: copies of ``label``, checked against the generator; for a
    conditional generator without a label, every class in turn (a grid then shows one class per column)."""
    if label is None:
        return (np.arange(start, start + n, dtype=np.int64) % info.num_classes) if info.conditional else None
    if info.conditional and not 0 <= label < info.num_classes:
        raise UserError(f"--label {label} is out of range: this generator has classes 0..{info.num_classes - 1}")
    return np.full(n, label, np.int64)


def sample_to_path(generate: Generate, info: GeneratorInfo, output: str | os.PathLike, *, n: int, seed: int,
                   batch_size: int, label: Optional[int] = None,
                   on_progress: Optional[Callable[[int], None]] = None, pixels: Optional[Generate] = None) -> str:
    """Generate ``n`` images for ``seed`` and write them to ``output``; returns what was written, in words.

    Arrays and folders are written batch by batch (memory stays bounded whatever ``n``) into a temporary
    file or folder that is renamed into place at the end: a failure leaves nothing behind. ``on_progress``
    is called with the number of images written so far. ``pixels`` makes the pictures (grid, folder, GIF)
    where the generator can (see ``balanced_images``).
    """
    if n < 1 or batch_size < 1:
        raise UserError("-n and --batch-size must be at least 1")
    output = Path(output)
    suffix = output.suffix.lower()
    if suffix not in ("", ".png", ".npy", ".gif"):
        raise UserError(f"unsupported output {output}: use .png (grid), .npy (array), .gif (interpolation) "
                        "or a folder (one PNG per image)")
    labels_for(label, 1, info)  # an out-of-range label is refused before anything runs
    limit = {".png": MAX_GRID, ".gif": MAX_GIF}.get(suffix)
    if limit and n > limit:
        raise UserError(f"-n {n:,} is too many for one {suffix} (at most {limit:,}): write them to an .npy file "
                        "or a folder instead")
    if not suffix and output.exists() and (not output.is_dir() or any(output.iterdir())):
        raise UserError(f"{output} exists already and is not an empty folder: choose another --output or "
                        "remove it")
    pixels = pixels or _host_pixels(generate, info)
    timing = _Timing()
    batches = _batches(generate if suffix == ".npy" else pixels, info, n, seed, batch_size, label,
                       on_progress or (lambda done: None), timing)
    try:
        if suffix == ".gif":
            return _interpolation_gif(pixels, info, output, n, seed, batch_size, labels_for(label, n, info))
        if suffix == ".png":
            per_row = info.num_classes if info.conditional and label is None else math.ceil(math.sqrt(n))
            save_grid(np.concatenate(list(batches)), output, columns=per_row)
            return f"a grid of {n} images"
        what = _write_npy(batches, n, output) if suffix == ".npy" else _write_folder(batches, n, output)
        return f"{what} ({timing.rates(n)})"
    except OSError as error:
        raise UserError(f"cannot write {output}: {error.strerror or error}; nothing was written") from None


class _Timing:
    """Wall time of a streamed write, and the part of it spent in the generator."""

    def __init__(self):
        self.started, self.generating = time.perf_counter(), 0.0

    def rates(self, n: int) -> str:
        total = time.perf_counter() - self.started
        return (f"{n / max(total, 1e-9):,.0f} images/s written; the generator alone "
                f"{n / max(self.generating, 1e-9):,.0f} images/s")


def _batches(generate: Generate, info: GeneratorInfo, n: int, seed: int, batch_size: int, label: Optional[int],
             on_progress: Callable[[int], None], timing: _Timing) -> Iterator[np.ndarray]:
    """The generator's output for images 0..n-1 of ``seed``, a batch at a time."""
    done = 0
    for z in latent_batches(seed, n, info.latent_dim, batch_size):
        started = time.perf_counter()
        images = generate(z, labels_for(label, len(z), info, start=done))
        timing.generating += time.perf_counter() - started
        yield images
        done += len(z)
        on_progress(done)


def _check_room(folder: Path, needed: float) -> None:
    free = shutil.disk_usage(folder).free
    if needed > free:
        raise UserError(f"not enough disk space in {folder}: this needs about {needed / 1e9:.2f} GB, "
                        f"{free / 1e9:.2f} GB are free")


def _write_npy(batches: Iterator[np.ndarray], n: int, output: Path) -> str:
    """The array as the generator emits it, header first, then each batch as it comes."""
    first = next(batches)
    _check_room(output.parent, n * first[0].nbytes)
    header = np.lib.format.header_data_from_array_1_0(first)
    header["shape"] = (n, *first.shape[1:])
    with atomic_path(output) as tmp, open(tmp, "wb") as f:
        np.lib.format.write_array_header_1_0(f, header)
        for batch in itertools.chain([first], batches):
            f.write(np.ascontiguousarray(batch).tobytes())
    return f"an array {first.dtype} {list(header['shape'])}"


def _write_folder(batches: Iterator[np.ndarray], n: int, output: Path) -> str:
    """One PNG per image into a staging folder, a batch at a time by one thread while the next batch is
    generated. Pillow spends a small image's encoding mostly under the GIL: a thread per core was slower than
    one (2,300 against 3,300 files/s on 2 cores), and worker processes were no faster on 16 cores."""
    def write(start: int, images: np.ndarray) -> list[int]:
        sizes = []
        for index, image in enumerate(images, start):
            path = staging / f"{index:0{digits}d}.png"
            to_pil(image).save(path, format="PNG")
            sizes.append(path.stat().st_size)
        return sizes

    digits = max(5, len(str(n - 1)))
    with staging_folder(output) as staging, ThreadPoolExecutor(1) as writer:
        written, previous = 0, None
        for images in batches:
            current = writer.submit(write, written, images)
            if previous:  # the batch before is written (or its error raised): two batches in memory at most
                previous.result()
            else:  # the first batch's files tell how much room the rest will take
                sizes = current.result()
                _check_room(output.parent, (n - len(images)) * sum(sizes) / len(sizes))
            previous = current
            written += len(images)
        previous.result()
    return f"{n} PNG files"


def _interpolation_gif(pixels, info, output, n, seed, batch_size, labels) -> str:
    """Each of ``n`` images walks through GIF_KEYFRAMES latents and back, as a looping grid."""
    keys = latent_vectors(seed, GIF_KEYFRAMES * n, info.latent_dim).reshape(GIF_KEYFRAMES, n, info.latent_dim)
    frames = []
    for k in range(GIF_KEYFRAMES):
        start, end = keys[k], keys[(k + 1) % GIF_KEYFRAMES]
        for t in np.linspace(0, 1, GIF_STEPS, endpoint=False):
            z = slerp(start, end, float(t))
            images = generate_in_batches(pixels, z, labels, batch_size)
            frames.append(_enlarged(to_pil(make_grid(images, math.ceil(math.sqrt(n))))))
    save_gif(frames, output, frame_ms=80, last_frame_ms=80)
    return f"an interpolation of {len(frames)} frames"


def _enlarged(picture: Image.Image, min_side: int = 256) -> Image.Image:
    scale = max(1, min_side // max(picture.size))
    return picture.resize((picture.width * scale, picture.height * scale), Image.Resampling.NEAREST)


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Spherical interpolation between rows of ``a`` and ``b`` (Gaussian latents keep their norm)."""
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    cos = np.sum(a64 * b64, axis=1) / (np.linalg.norm(a64, axis=1) * np.linalg.norm(b64, axis=1))
    omega = np.arccos(np.clip(cos, -1, 1))[:, None]
    sin = np.sin(omega)
    safe = np.where(sin < 1e-6, 1.0, sin)
    mixed = np.where(sin < 1e-6, (1 - t) * a64 + t * b64,
                     (np.sin((1 - t) * omega) * a64 + np.sin(t * omega) * b64) / safe)
    return mixed.astype(np.float32)
