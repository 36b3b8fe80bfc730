"""The fastest form of a portable generator file for onnxruntime's CPU kernels, verified and cached.

Two rewrites, both standard ONNX, both verified against the portable graph
before use (within :data:`TOLERANCE`, at a batch below and one above the
Winograd threshold):

* sub-pixel (ganzoo_runtime.cpu.subpixel): each ConvTranspose becomes a Conv
  plus DepthToSpace, the same sums of the same products, which onnxruntime's
  CPU kernels run much faster;
* Winograd (ganzoo_runtime.cpu.winograd, float32 graphs): stride-1
  convolutions in Winograd's F(4, r) form, chosen by batch size
  (ganzoo_runtime.cpu.batch_dispatch), since for a few images reading its
  larger weights costs more than it saves.

If a rewrite fails its check, the next simpler form is tried, and the
portable graph runs when none passes, with a one-line notice. Results are
cached on disk (ganzoo_runtime.cpu.cache) by the file's sha256 and the
versions of onnxruntime and of these rewrites, so a second load only reads.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import Optional

import onnxruntime as ort

from ganzoo_runtime.check import bound_for, cpu_outputs, largest_difference
from ganzoo_runtime.cpu.cache import FormCache
from ganzoo_runtime.metadata import GeneratorInfo

log = logging.getLogger("ganzoo_runtime")

#: Bump when a rewrite changes: cached forms of older rewrites are then not used.
FORM_VERSION = "1"
#: Largest |rewritten - portable| allowed, in the output's units: [-1, 1] images, or gray levels for uint8.
TOLERANCE = {"float": 1e-4, "uint8": 1}


@dataclass(frozen=True)
class CpuForm:
    model: bytes  # the graph to run
    description: str  # what was done to it, for the one-line report: "winograd + sub-pixel, cached"


def form_key(data: bytes) -> str:
    versions = f"{FORM_VERSION}-ort{ort.__version__}"
    return hashlib.sha256(data).hexdigest()[:40] + "-" + hashlib.sha256(versions.encode()).hexdigest()[:12]


def cpu_form(data: bytes, info: GeneratorInfo, cache: Optional[FormCache] = None) -> CpuForm:
    """The fastest verified form of the portable file ``data`` (cached when ``cache`` is given)."""
    key = form_key(data)
    cached = cache.read(key) if cache else None
    if cached is not None:
        return CpuForm(cached[0], f"{cached[1]}, cached")
    form = _best_form(data, info)
    if cache and form.model is not data:
        cache.write(key, form.model, form.description)
    return form


def _best_form(data: bytes, info: GeneratorInfo) -> CpuForm:
    import onnx

    from ganzoo_runtime.cpu.batch_dispatch import dispatch_by_batch
    from ganzoo_runtime.cpu.subpixel import rewrite_conv_transposes
    from ganzoo_runtime.cpu.winograd import MIN_BATCH, rewrite_convolutions

    portable = onnx.load_from_string(data)
    direct = onnx.load_from_string(data)
    subpixel = rewrite_conv_transposes(direct) > 0
    candidates = []
    if _float32_convolutions(direct):
        fast = onnx.load_from_string(direct.SerializeToString())
        if rewrite_convolutions(fast):
            name = "winograd + sub-pixel" if subpixel else "winograd"
            candidates.append((name, lambda: dispatch_by_batch(direct, fast, MIN_BATCH)))
    if subpixel:
        candidates.append(("sub-pixel", lambda: direct))
    if not candidates:
        return CpuForm(data, "portable graph")
    batches = (1, MIN_BATCH + 1)  # a batch below the Winograd threshold and one above
    reference = cpu_outputs(portable.SerializeToString(), info, batches)
    bound = bound_for(info, TOLERANCE)
    failures = []
    for name, build in candidates:
        model = build().SerializeToString()
        difference = largest_difference(cpu_outputs(model, info, batches), reference)
        if difference <= bound:
            return CpuForm(model, name)
        failures.append(f"{name} differs by {difference:.3g} (allowed {bound:g})")
    log.warning("notice: the CPU rewrites failed their check against the file (%s); running the portable graph",
                "; ".join(failures))
    return CpuForm(data, "portable graph")


def _float32_convolutions(model) -> bool:
    """Whether every Conv's weights are float32 initializers (Winograd writes float32 weights)."""
    import onnx

    weights = {t.name: t.data_type for t in model.graph.initializer}
    convolutions = [node for node in model.graph.node if node.op_type == "Conv"]
    return bool(convolutions) and all(weights.get(node.input[1]) == onnx.TensorProto.FLOAT for node in convolutions)

