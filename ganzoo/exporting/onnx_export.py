"""Export a trained generator to ONNX, verify it, and only then write it.

Conversion goes through ``tf2onnx.convert.from_function`` on a ``tf.function``
with an explicit input signature (``from_keras`` fails on Keras 3 models).
The file is portable (export/SPEC.md): standard operators only, no
device-specific rewrite and no control flow; the sampler turns it into the
fastest form for the device it runs on (ganzoo_runtime.cpu). Transposed
convolutions are written in their sub-pixel form (Conv + DepthToSpace, the
same arithmetic): TensorFlow's "same" padding makes a ConvTranspose with
asymmetric pads, which OpenCV 4's DNN module refuses; their DepthToSpace is in CRD mode and the per-channel
scale and shift after them are folded into their weights (ganzoo.exporting.fold_affine), so that onnx2torch and
onnx2tf convert the file too. Options bake a
layout (NCHW), uint8 pixels, float16 weights or int8 quantization
(ganzoo.exporting.int8) into the graph. Verification:
``onnx.checker`` (full check), standard-domain operators only, and
onnxruntime against the Keras generator on fixed latents at batch 1 and 64,
within :func:`tolerance` (and :func:`mean_tolerance` for int8).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import numpy as np

from ganzoo import __version__
from ganzoo.errors import UserError
from ganzoo.exporting import ExportVerificationError
from ganzoo.exporting.fold_affine import fold_channel_affine
from ganzoo.exporting.int8 import default_opset, quantize_int8
from ganzoo.plugins.generator_inputs import NO_TRUNCATION, TRUNCATION, generator_inputs, takes_truncation
from ganzoo.tf_support.interrupts import deferred_ctrl_c
from ganzoo_runtime.atomic import atomic_path
from ganzoo_runtime.cpu.subpixel import rewrite_conv_transposes
from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.metadata import GeneratorInfo

OPSETS = range(13, 19)  # tf2onnx 1.17 writes opsets up to 18
DEFAULT_OPSET = 18
PRECISIONS = ("fp32", "fp16", "int8")
LAYOUTS = ("nhwc", "nchw")
PIXELS = ("float", "uint8")
# Largest |ONNX - Keras| allowed, in the generator's [-1, 1] units. fp16 rounds
# weights and activations to 11 significant bits: measured ~2e-3 on the DCGAN.
# int8 rounds activations to 256 levels of their calibrated range: measured
# up to 0.36 at single pixels and 0.006 on average on the default DCGAN, so its
# average is bounded too (MEAN_TOLERANCE).
FLOAT_TOLERANCE = {"fp32": 1e-4, "fp16": 1e-2, "int8": 0.5}
MEAN_TOLERANCE = {"int8": 0.03}
PARITY_BATCHES = (1, 64)
PARITY_SEED = 20261126


@dataclass(frozen=True)
class OnnxOptions:
    opset: int = DEFAULT_OPSET  # of the conversion; an int8 file is then raised to opset 19 (ganzoo.exporting.int8)
    precision: str = "fp32"
    layout: str = "nhwc"
    pixels: str = "float"

    def default_filename(self) -> str:
        variant = [v for v in (self.precision, self.layout, self.pixels) if v not in ("fp32", "nhwc", "float")]
        return "-".join(["generator", *variant]) + ".onnx"


@dataclass(frozen=True)
class OnnxExport:
    path: Path
    max_difference: float  # in [-1, 1] units, or gray levels for uint8 pixels
    tolerance: float
    info: GeneratorInfo
    opset: int  # of the file written


def tolerance(options: OnnxOptions) -> float:
    """Parity bound: FLOAT_TOLERANCE, or for uint8 pixels that bound in gray levels plus one for rounding."""
    bound = FLOAT_TOLERANCE[options.precision]
    return float(math.ceil(bound * 127.5) + 1) if options.pixels == "uint8" else bound


def mean_tolerance(options: OnnxOptions) -> float | None:
    """Bound on the average |ONNX - Keras| (int8 only), in the same units as :func:`tolerance`."""
    bound = MEAN_TOLERANCE.get(options.precision)
    if bound is None:
        return None
    return bound * 127.5 if options.pixels == "uint8" else bound


def export_onnx(generator, info: GeneratorInfo, output: Path, options: OnnxOptions = OnnxOptions(), *,
                rebuild: Callable[[], Any] | None = None) -> OnnxExport:
    """Convert a Keras generator, verify it against the model and write it; raises ExportVerificationError
    (writing nothing) when a check fails.

    ``info`` describes the generator (its latent size, image shape and classes; its layout and pixel range
    come from ``options``); ``rebuild`` returns a fresh, untrained copy of the architecture under the current
    Keras dtype policy, which fp16 needs (the weights are copied into it).
    """
    _check_options(options)
    if not output.parent.is_dir():
        raise UserError(f"cannot write {output}: no such directory {output.parent}")
    if options.precision == "fp16" and rebuild is None:
        raise ValueError("an fp16 export needs `rebuild`, to build the generator under a float16 policy")
    info = dataclasses.replace(info, layout=options.layout, pixel_range=(0, 255) if options.pixels == "uint8"
                               else (-1, 1))
    with deferred_ctrl_c():  # Ctrl-C stops the export before anything is written
        model = to_onnx(generator, options, info, rebuild)
        difference = verify(model, generator, options, info)
    try:
        with atomic_path(output) as tmp:
            tmp.write_bytes(model.SerializeToString())
    except OSError as error:
        raise UserError(f"cannot write {output}: {error.strerror or error}") from None
    return OnnxExport(output, difference, tolerance(options), info, default_opset(model))


def _check_options(options: OnnxOptions) -> None:
    for name, value, valid in (("opset", options.opset, OPSETS), ("precision", options.precision, PRECISIONS),
                               ("layout", options.layout, LAYOUTS), ("pixels", options.pixels, PIXELS)):
        if value not in valid:
            shown = f"{valid.start}..{valid.stop - 1}" if isinstance(valid, range) else ", ".join(valid)
            raise UserError(f"unsupported {name} {value!r} (valid: {shown})")


def to_onnx(generator, options: OnnxOptions, info: GeneratorInfo, rebuild=None):
    """The portable ONNX model (a ModelProto) for ``options``, with ganzoo's names and metadata."""
    import tensorflow as tf
    import tf2onnx

    if options.precision == "fp16":
        generator = _float16_copy(generator, rebuild)
    compute_dtype = tf.float16 if options.precision == "fp16" else tf.float32
    truncation = takes_truncation(generator)
    signature = [tf.TensorSpec([None, info.latent_dim], tf.float32, name="z")]
    if info.conditional:
        signature.append(tf.TensorSpec([None], tf.int64, name="label"))
    if truncation:  # one psi for the call, spread over the images inside the graph
        signature.append(tf.TensorSpec([], tf.float32, name=TRUNCATION))

    @tf.function(input_signature=signature)
    def images(*inputs):
        z, label = tf.cast(inputs[0], compute_dtype), inputs[1] if info.conditional else None
        psi = tf.cast(inputs[-1], compute_dtype) if truncation else 1.0
        x = tf.cast(generator(generator_inputs(generator, z, label, psi), training=False), tf.float32)
        if options.pixels == "uint8":
            x = tf.cast(tf.clip_by_value(tf.round((x + 1.0) * 127.5), 0.0, 255.0), tf.uint8)
        if options.layout == "nchw":
            x = tf.transpose(x, [0, 3, 1, 2])
        return {"images": x}

    model, _ = tf2onnx.convert.from_function(images, input_signature=signature, opset=options.opset)
    rewrite_conv_transposes(model)
    fold_channel_affine(model)
    if options.precision == "int8":
        model = quantize_int8(model, info)
    _name_batch_dimension(model)
    if truncation:
        _default_truncation(model)
    _drop_unused_domains(model)
    del model.metadata_props[:]
    for key, value in info.to_props().items():
        model.metadata_props.add(key=key, value=value)
    model.producer_name, model.producer_version = "ganzoo", __version__
    return model


def _float16_copy(generator, rebuild: Callable[[], Any]):
    """The same generator built under Keras' float16 dtype policy, with the trained weights."""
    from ganzoo.training.precision import policy

    with policy("float16"):
        copy = rebuild()
    copy.set_weights(generator.get_weights())
    return copy


def _name_batch_dimension(model) -> None:
    for value in [*model.graph.input, *model.graph.output]:
        dims = value.type.tensor_type.shape.dim
        if dims and not dims[0].HasField("dim_value"):
            dims[0].dim_param = "batch"


def _default_truncation(model) -> None:
    """Give the ``truncation`` input the default 1 (an initializer of the same name): a consumer that does not
    know the input runs the file untruncated, one that does feeds psi (SPEC.md, format 1.1)."""
    from onnx import numpy_helper
    model.graph.initializer.append(numpy_helper.from_array(np.array(1.0, np.float32), TRUNCATION))


def _drop_unused_domains(model) -> None:
    used = {node.domain for node in model.graph.node} | {""}
    kept = [entry for entry in model.opset_import if entry.domain in used]
    del model.opset_import[:]
    model.opset_import.extend(kept)


def verify(model, generator, options: OnnxOptions, info: GeneratorInfo) -> float:
    """Check the model and compare onnxruntime with Keras; returns the largest difference."""
    import onnx

    from ganzoo_runtime.providers import create_session

    try:
        onnx.checker.check_model(model, full_check=True)
    except Exception as error:  # onnx raises its own ValidationError / InferenceError
        raise ExportVerificationError(f"onnx.checker rejected the model: {error}") from None
    foreign = sorted({node.domain for node in model.graph.node} - {"", "ai.onnx"})
    if foreign:
        raise ExportVerificationError(f"the model uses non-standard operator domains: {', '.join(foreign)}")
    names = [i.name for i in model.graph.input]
    truncation = takes_truncation(generator)
    wanted = ["z", *(["label"] if info.conditional else []), *([TRUNCATION] if truncation else [])]
    if names != wanted or [o.name for o in model.graph.output] != ["images"]:
        raise ExportVerificationError(f"unexpected inputs/outputs: {names} -> {[o.name for o in model.graph.output]}")
    session = create_session(model.SerializeToString(), "cpu")
    largest, mean = 0.0, 0.0
    checks = [(batch, None) for batch in PARITY_BATCHES]  # psi None: the input left at its default (1)
    if truncation:
        checks.append((PARITY_BATCHES[-1], 0.5))  # fed, to check the truncation itself
    for batch, psi in checks:
        z = latent_vectors(PARITY_SEED, batch, info.latent_dim)
        labels = np.arange(batch, dtype=np.int64) % info.num_classes if info.conditional else None
        feeds = {"z": z} if labels is None else {"z": z, "label": labels}
        if psi is not None:
            feeds[TRUNCATION] = np.array(psi, np.float32)
        got = session.run(["images"], feeds)[0]
        expected = expected_output(generator, z, labels, options, NO_TRUNCATION if psi is None else psi)
        if got.shape != expected.shape or got.dtype != expected.dtype:
            raise ExportVerificationError(f"onnxruntime output {got.dtype} {got.shape} differs from the expected "
                                          f"{expected.dtype} {expected.shape}")
        difference = np.abs(got.astype(np.float64) - expected.astype(np.float64))
        largest, mean = max(largest, float(difference.max())), max(mean, float(difference.mean()))
    if not largest <= tolerance(options):
        raise ExportVerificationError(f"onnxruntime differs from Keras by {largest:.3g} (allowed: "
                                      f"{tolerance(options):.3g}); nothing was written")
    mean_bound = mean_tolerance(options)
    if mean_bound is not None and not mean <= mean_bound:
        raise ExportVerificationError(f"onnxruntime differs from Keras by {mean:.3g} on average (allowed: "
                                      f"{mean_bound:.3g}); nothing was written")
    return largest


def expected_output(generator, z: np.ndarray, labels: Optional[np.ndarray], options: OnnxOptions,
                    truncation: float = NO_TRUNCATION) -> np.ndarray:
    """What the exported graph must compute, from the float32 Keras generator."""
    x = np.asarray(generator(generator_inputs(generator, z, labels, truncation), training=False), np.float32)
    if options.pixels == "uint8":
        x = np.clip(np.round((x + 1.0) * 127.5), 0, 255).astype(np.uint8)
    if options.layout == "nchw":
        x = np.transpose(x, (0, 3, 1, 2))
    return x
