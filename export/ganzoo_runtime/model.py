"""A generator exported to ONNX: its session, its metadata, and images from latents."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path
from typing import Callable, Optional

import numpy as np

from ganzoo_runtime.cpu.cache import FormCache
from ganzoo_runtime.cpu.form import cpu_form
from ganzoo_runtime.cuda.settings import CudaSettings
from ganzoo_runtime.errors import NotOnnxError, UserError, no_truncation_input
from ganzoo_runtime.images import to_display
from ganzoo_runtime.metadata import TRUNCATION, GeneratorInfo
from ganzoo_runtime.providers import create_session, device_of


class OnnxGenerator:
    """Load an exported generator and run it on the best available device, in the fastest form verified for
    that device: on the CPU ganzoo_runtime.cpu (cached on disk unless ``cache`` is False), on CUDA
    ganzoo_runtime.cuda (``cuda`` settings)."""

    def __init__(self, path: str | os.PathLike, device: str = "auto", cache: bool = True,
                 cuda: Optional[CudaSettings] = None, name: Optional[str] = None):
        """``name``: the file as the user named it, for messages (``zoo:NAME`` rather than the shelf's own path)."""
        path = Path(path)
        self.name = name or path.name
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        try:
            data = path.read_bytes()
        except OSError as error:
            raise UserError(f"cannot read {path}: {error.strerror or error}") from None
        try:
            self.session = create_session(data, device)
        except UserError:
            raise
        except Exception as error:  # onnxruntime's own exception types
            raise NotOnnxError(f"{path} is not a loadable ONNX model: {_reason(error)}") from None
        self.path = path
        self.device = device_of(self.session)
        self.info = _read_info(self.session, path)
        self.form = "portable graph"
        self._runner, self._pixels = None, None  # bound GPU buffers, and the name of an output of uint8 pixels
        if self.device == "cpu":
            form = cpu_form(data, self.info, FormCache() if cache else None, portable=self.session)
            if form.model is not data:
                self.session = create_session(form.model, "cpu")
            self.form = form.description
        elif self.device == "cuda":
            from ganzoo_runtime.cuda.form import cuda_form

            try:
                form = cuda_form(data, self.info, cuda or CudaSettings())
            except Exception as error:  # noqa: BLE001 - onnxruntime's own types, from the file's own graph
                raise UserError(f"{path} does not run on CUDA: {_reason(error)}") from None
            self.session, self.form = form.session, form.description
            self._runner, self._pixels = form.runner, form.pixels
        self._input_names = [i.name for i in self.session.get_inputs()]
        self._output_name = self.session.get_outputs()[0].name
        # An input with a default is an "overridable initializer" to onnxruntime, not one of get_inputs()
        self.takes_truncation = TRUNCATION in {i.name for i in self.session.get_overridable_initializers()}

    @property
    def description(self) -> str:
        """What runs, for the one-line report: ``onnxruntime on cpu (winograd + sub-pixel, cached)``."""
        return f"onnxruntime on {self.device} ({self.form})"

    def sampler(self, truncation: Optional[float] = None) -> Callable[[np.ndarray, Optional[np.ndarray]], np.ndarray]:
        """``generate`` with the truncation psi fixed (None: the file's default, 1); a file without the input
        refuses a psi here, before anything runs."""
        if truncation is not None and not self.takes_truncation:
            raise no_truncation_input(self.name)
        return functools.partial(self.generate, truncation=truncation)

    def pixel_sampler(self, truncation: Optional[float] = None) -> Callable[..., np.ndarray]:
        """``pixels`` with the truncation psi fixed, refused like ``sampler``'s."""
        self.sampler(truncation)
        return functools.partial(self.pixels, truncation=truncation)

    def generate(self, z: np.ndarray, labels: Optional[np.ndarray] = None,
                 truncation: Optional[float] = None) -> np.ndarray:
        """Run the graph on latents ``z`` (and ``labels``, and psi ``truncation`` for a file that takes it);
        returns its output as it is (layout, dtype)."""
        return self._run(self._output_name, z, labels, truncation)

    def pixels(self, z: np.ndarray, labels: Optional[np.ndarray] = None,
               truncation: Optional[float] = None) -> np.ndarray:
        """``generate``'s images as uint8 [N, H, W, C] pixels: converted on the GPU where the form can (a
        quarter of the bytes to copy back), else on the host."""
        if self._pixels:
            return self._run(self._pixels, z, labels, truncation)
        return to_display(self.generate(z, labels, truncation), self.info)

    def _run(self, output: str, z: np.ndarray, labels: Optional[np.ndarray],
             truncation: Optional[float]) -> np.ndarray:
        feeds = {self._input_names[0]: np.ascontiguousarray(z, np.float32)}
        if truncation is not None:
            feeds[TRUNCATION] = np.asarray(truncation, np.float32)
        if self.info.conditional:
            if labels is None:
                raise UserError(f"{self.name} is conditional: give --label (0..{self.info.num_classes - 1})")
            feeds[self._input_names[1]] = np.asarray(labels, np.int64)
        elif labels is not None:
            raise UserError(f"{self.name} is not a conditional generator: it takes no --label")
        if self._runner:
            return self._runner.run(feeds, output)
        return self.session.run([output], feeds)[0]


def _read_info(session, path: Path) -> GeneratorInfo:
    props = session.get_modelmeta().custom_metadata_map
    inputs = [(i.name, i.shape, i.type) for i in session.get_inputs()]
    output = session.get_outputs()[0]
    try:
        if not any(key.startswith("ganzoo.") for key in props):
            return GeneratorInfo.from_shapes(inputs, (output.shape, output.type))
        info = GeneratorInfo.from_props(props)
        info.check_graph(inputs, (output.shape, output.type))
        return info
    except ValueError as error:
        raise UserError(f"{path} is not a ganzoo generator: {error}") from None


def _reason(error: Exception) -> str:
    """onnxruntime's message without its source location and C++ signature."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    text = re.sub(r"^\[ONNXRuntimeError\] : \d+ : \w+ : ", "", text)
    return re.sub(r"^\S+\.(cc|h):\d+ .*?\) ", "", text)[:300]
