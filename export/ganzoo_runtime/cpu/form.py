"""The fastest form of a portable generator file for onnxruntime's CPU kernels, verified and cached.

Three rewrites, all standard ONNX, all verified against the portable graph
before use (within :data:`TOLERANCE`, at a batch below and one above the
Winograd threshold):

* float32 (ganzoo_runtime.cpu.float32, float16 files): the file's weights,
  computed in float32 (within the float16 export's bound instead), which the
  CPU kernels run without casting around every operator, and which the
  Winograd rewrite then applies to;
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
versions of onnxruntime and of these rewrites, so a second load reads the
form and checks it on one small batch, not rewrites it; a cached form that
does not draw the file's images is rebuilt, never used.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from typing import Optional

import onnxruntime as ort

from ganzoo_runtime.check import bound_for, cpu_outputs, largest_difference
from ganzoo_runtime.cpu.cache import FormCache
from ganzoo_runtime.metadata import GeneratorInfo

log = logging.getLogger("ganzoo_runtime")

#: Bump when a rewrite changes: cached forms of older rewrites are then not used.
FORM_VERSION = "2"
#: Largest |rewritten - portable| allowed, in the output's units: [-1, 1] images, or gray levels for uint8.
TOLERANCE = {"float": 1e-4, "uint8": 1}
#: Batches from which the Winograd graph runs; below, the direct one. Measured crossover on the default DCGAN
#: (2-core AVX-512 CPU): 2 images slower, 4 faster.
MIN_BATCH = 4
#: A batch below the threshold and one above: each graph of a dispatching form is checked.
CHECK_BATCHES = (1, MIN_BATCH + 1)


@dataclass(frozen=True)
class CpuForm:
    model: bytes  # the graph to run
    description: str  # what was done to it, for the one-line report: "winograd + sub-pixel, cached"


def form_key(data: bytes) -> str:
    versions = f"{FORM_VERSION}-ort{ort.__version__}"
    return hashlib.sha256(data).hexdigest()[:40] + "-" + hashlib.sha256(versions.encode()).hexdigest()[:12]


def cpu_form(data: bytes, info: GeneratorInfo, cache: Optional[FormCache] = None,
             portable: Optional[ort.InferenceSession] = None, dispatch: bool = True) -> CpuForm:
    """The fastest verified form of the portable file ``data`` (cached when ``cache`` is given); ``portable``: a
    CPU session of ``data`` already made, which the checks then reuse. ``dispatch=False``: the Winograd graph for
    every batch, not both graphs chosen by batch size (half the file, for the zoo site's pages, which draw 16
    images at a time)."""
    key = form_key(data) + ("" if dispatch else "-no-dispatch")
    cached = cache.read(key) if cache else None
    if cached is not None:
        payload, description = cached
        if not payload:  # no rewrite applies: the file's own graph, with nothing to check (nor onnx to import)
            return CpuForm(data, f"{description}, cached")
        if _computes_the_same(payload, portable or data, info, _bound(info, description)):
            return CpuForm(payload, f"{description}, cached")
        log.warning("notice: the cached CPU form %s does not draw this file's images; rebuilding it", key)
    form = _best_form(data, info, dispatch)
    if cache:
        cache.write(key, b"" if form.model is data else form.model, form.description)
    return form


def _best_form(data: bytes, info: GeneratorInfo, dispatch: bool = True) -> CpuForm:
    import onnx

    from ganzoo_runtime.cpu import float32
    from ganzoo_runtime.cpu.batch_dispatch import dispatch_by_batch
    from ganzoo_runtime.cpu.subpixel import rewrite_conv_transposes
    from ganzoo_runtime.cpu.winograd import rewrite_convolutions

    portable = onnx.load_from_string(data)
    direct = onnx.load_from_string(data)
    widened = float32.widen_float16(direct) > 0
    steps = ["float32"] if widened else []
    if rewrite_conv_transposes(direct):
        steps.append("sub-pixel")
    candidates = []
    if _float32_convolutions(direct):
        fast = onnx.load_from_string(direct.SerializeToString())
        if rewrite_convolutions(fast):
            candidates.append((" + ".join(steps + ["winograd"]),
                               lambda: dispatch_by_batch(direct, fast, MIN_BATCH) if dispatch else fast))
    if steps:
        candidates.append((" + ".join(steps), lambda: direct))
    if not candidates:
        return CpuForm(data, "portable graph")
    reference = cpu_outputs(portable.SerializeToString(), info, CHECK_BATCHES)
    bound = _bound(info, "float32" if widened else "")
    failures = []
    for name, build in candidates:
        model = build().SerializeToString()
        difference = largest_difference(cpu_outputs(model, info, CHECK_BATCHES), reference)
        if difference <= bound:
            return CpuForm(model, name)
        failures.append(f"{name} differs by {difference:.3g} (allowed {bound:g})")
    log.warning("notice: the CPU rewrites failed their check against the file (%s); running the portable graph",
                "; ".join(failures))
    return CpuForm(data, "portable graph")


def _bound(info: GeneratorInfo, description: str) -> float:
    """How far a form may differ from the file: further for a widened float16 file (it drops the file's float16
    rounding), as its description says ("float32 + winograd")."""
    from ganzoo_runtime.cpu.float32 import TOLERANCE as WIDENED

    return bound_for(info, WIDENED if description.split(" + ")[0] == "float32" else TOLERANCE)


def _computes_the_same(form: bytes, data: bytes | ort.InferenceSession, info: GeneratorInfo, bound: float) -> bool:
    """Whether a cached form draws the portable file's images, on latents drawn afresh for this check.

    The cache key and the entry's own checksum tell a damaged or stale entry, not a forged one: whoever can
    write the cache folder can put any graph under this file's key. Fresh latents (not the fixed check seed)
    keep a forged graph from matching on the check's inputs alone. Costs one small batch of each graph.
    """
    seed = secrets.randbits(32)
    expected = cpu_outputs(data, info, CHECK_BATCHES, seed)
    return bool(expected) and largest_difference(cpu_outputs(form, info, CHECK_BATCHES, seed), expected) <= bound


def _float32_convolutions(model) -> bool:
    """Whether every Conv's weights are float32 initializers (Winograd writes float32 weights)."""
    import onnx

    weights = {t.name: t.data_type for t in model.graph.initializer}
    convolutions = [node for node in model.graph.node if node.op_type == "Conv"]
    return bool(convolutions) and all(weights.get(node.input[1]) == onnx.TensorProto.FLOAT for node in convolutions)

