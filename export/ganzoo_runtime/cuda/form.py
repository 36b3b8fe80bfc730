"""The fastest form of a portable generator file on CUDA, verified on the device before use.

What it does to the file and the session, each switch measured to pay on an
H200 (docs/export.md):

* float16 compute (ganzoo_runtime.cuda.float16), kept only if its images are
  within :data:`TOLERANCE` of the portable graph on onnxruntime's CPU
  kernels; else true float32 (no TF32, cuDNN's default algorithms: see
  :data:`SEARCH`);
* a ``pixels`` output (ganzoo_runtime.cuda.pixels): uint8 images made on the
  GPU for callers that want pictures;
* cuDNN's channels-last convolutions (``prefer_nhwc``) and, in float16, an
  exhaustive search for the fastest convolution algorithm of each shape;
* inputs and outputs bound to GPU buffers, with a CUDA graph per batch size
  (ganzoo_runtime.cuda.bound); a graph that onnxruntime cannot capture (some
  operator runs on the CPU) means running without one.

Each candidate that fails is named in a one-line notice and the next one is
tried; the last is the file as it is, with bound buffers and no CUDA graph,
which runs whatever its difference (it is what onnxruntime makes of the file).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import numpy as np
import onnx
import onnxruntime as ort

from ganzoo_runtime.check import bound_for, check_feeds, cpu_outputs, largest_difference
from ganzoo_runtime.cuda.bound import BoundRunner
from ganzoo_runtime.cuda.float16 import to_float16
from ganzoo_runtime.cuda.pixels import PIXELS, add_pixel_output
from ganzoo_runtime.cuda.settings import CudaSettings
from ganzoo_runtime.images import to_display
from ganzoo_runtime.metadata import GeneratorInfo
from ganzoo_runtime.providers import create_session

log = logging.getLogger("ganzoo_runtime")

#: Largest |form - portable graph on the CPU| allowed on the check's latents, in the output's units ([-1, 1],
#: or gray levels for uint8): the export's bound for an fp16 file against Keras. Measured on an H200: the
#: default DCGAN 5e-3 in float16 and 3e-3 in float32; the style-based shelf entry 1.6e-2 in float16 (so it
#: runs in float32) and under 1e-4 in float32.
TOLERANCE = {"float": 1e-2, "uint8": 2}
CHECK_BATCHES = (1, 8)
#: cuDNN's choice of convolution algorithms: float16 takes the fastest for each shape. float32, there for
#: generators that float16 cannot hold, takes cuDNN's default (implicit GEMM) without TF32: with TF32 and the
#: fastest algorithms the style-based entry was off by 1.4e-2, no closer than in float16.
SEARCH = {"fp16": {"cudnn_conv_algo_search": "EXHAUSTIVE"},
          "fp32": {"cudnn_conv_algo_search": "DEFAULT", "use_tf32": "0"}}
SEARCH["portable"] = SEARCH["fp32"]


@dataclass
class CudaForm:
    session: ort.InferenceSession
    runner: BoundRunner
    description: str  # for the one-line report: "fp16, cuda graph"
    pixels: Optional[str]  # the name of the uint8 NHWC output, if the form has one


def cuda_form(data: bytes, info: GeneratorInfo, settings: CudaSettings = CudaSettings()) -> CudaForm:
    """The first candidate form of ``data`` that passes its check on CUDA; else the file as it is."""
    reference = cpu_outputs(data, info, CHECK_BATCHES)
    failures = []
    for precision, model in _candidates(data, info, settings):
        form, failure = _try(model, precision, info, settings, reference)
        if failure is None:
            if failures:  # float16 not precise enough for this generator is a choice, not a failure
                level = logging.INFO if precision == "fp32" else logging.WARNING
                log.log(level, "notice: %s; running %s", "; ".join(failures), form.description)
            return form
        failures.append(failure)
    if form is None:  # the file itself does not load on CUDA: the caller reports it
        raise RuntimeError("; ".join(failures))
    log.warning("notice: %s; running the file as it is", "; ".join(failures))
    return form


def _candidates(data: bytes, info: GeneratorInfo, settings: CudaSettings):
    """(precision, model bytes) to try, fastest first; the portable graph itself last."""
    quantized = any(n.op_type == "DequantizeLinear" for n in onnx.load_from_string(data).graph.node)
    if settings.float16 and not quantized:
        model = onnx.load_from_string(data)
        if to_float16(model):
            add_pixel_output(model, info)
            yield "fp16", model.SerializeToString()
    model = onnx.load_from_string(data)
    add_pixel_output(model, info)
    yield "fp32", model.SerializeToString()
    yield "portable", data


def _try(model: bytes, precision: str, info: GeneratorInfo, settings: CudaSettings, reference):
    """(CudaForm, None) if ``model`` runs on CUDA within its bound, else (CudaForm or None, why not)."""
    graph = settings.cuda_graph and precision != "portable"
    options = {"prefer_nhwc": "1" if settings.nhwc else "0", **SEARCH[precision]}
    try:
        session = create_session(model, "cuda", provider_options={**options, "enable_cuda_graph": "1"}
                                 if graph else options)
    except Exception as error:  # noqa: BLE001 - a graph onnxruntime cannot capture refuses to load with it
        if not graph:
            return None, f"{precision} does not load on CUDA ({error})"
        log.debug("no CUDA graph for %s: %s", precision, error)
        session, graph = create_session(model, "cuda", provider_options=options), False
    runner = BoundRunner(session, "cuda", graph)
    names = [i.name for i in session.get_inputs()]
    images = session.get_outputs()[0].name
    pixels = PIXELS if PIXELS in {o.name for o in session.get_outputs()} else None
    description = ("portable graph" if precision == "portable" else precision) + (", cuda graph" if graph else "")
    form = CudaForm(session, runner, description, pixels)
    got = [runner.run(check_feeds(info, batch, names), images) for batch in CHECK_BATCHES]
    bound = bound_for(info, TOLERANCE)
    difference = largest_difference(got, reference)
    if difference > bound:
        return form, f"{precision} on CUDA differs from the file by {difference:.3g} (allowed {bound:g})"
    if pixels and not _pixels_agree(runner, info, names, images, pixels):
        return form, f"{precision} on CUDA makes pixels that differ from its images"
    return form, None


def _pixels_agree(runner: BoundRunner, info: GeneratorInfo, names, images: str, pixels: str) -> bool:
    """Whether the GPU's pixels are the host's conversion of the GPU's images, within one level."""
    feeds = check_feeds(info, CHECK_BATCHES[-1], names)
    expected = to_display(runner.run(feeds, images), info)
    got = runner.run(feeds, pixels)
    return got.shape == expected.shape and int(np.abs(got.astype(int) - expected.astype(int)).max()) <= 1
