"""Static int8 quantization of an exported generator (``--precision int8``).

onnxruntime's quantizer in QDQ form: QuantizeLinear/DequantizeLinear pairs
around the float operators, all in the standard ONNX domain, which
onnxruntime fuses into int8 kernels at load time (on x86 with AVX512-VNNI or
AVX-VNNI, u8 activations times s8 weights). Weights are quantized per output
channel; activation ranges are calibrated on seeded latents, so the same run
always gives the same file. Rounding moves single pixels by up to a few
tenths (the bound in export/SPEC.md); the sample quality this costs is
measured with ``ganzoo eval`` (docs/export.md).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
from ganzoo_runtime.latents import latent_vectors
from ganzoo_runtime.metadata import GeneratorInfo

CALIBRATION_SEED = 20261127
#: The opset of an int8 file: QuantizeLinear/DequantizeLinear as of opset 19, which onnx's reference evaluator
#: implements (it has no version 18 of them); the other operators of a generator are the same in 18 and 19.
INT8_OPSET = 19
CALIBRATION_BATCHES, CALIBRATION_BATCH = 16, 64


def quantize_int8(model, info: GeneratorInfo):
    """The int8 (QDQ) version of the float32 ``model`` (a ModelProto); metadata and names are kept."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Latents(CalibrationDataReader):
        def __init__(self):
            z = latent_vectors(CALIBRATION_SEED, CALIBRATION_BATCHES * CALIBRATION_BATCH, info.latent_dim)
            self.feeds = iter(_feeds(batch, info) for batch in np.split(z, CALIBRATION_BATCHES))

        def get_next(self):
            return next(self.feeds, None)

    with tempfile.TemporaryDirectory() as tmp:
        raw, source, target = Path(tmp) / "raw.onnx", Path(tmp) / "float.onnx", Path(tmp) / "int8.onnx"
        onnx.save(model, raw)
        # the quantizer's recommended preparation: shape inference and constant folding (standard operators only)
        quant_pre_process(raw, source, skip_symbolic_shape=True)
        quantize_static(source, target, Latents(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
        quantized = onnx.load(target)
    if default_opset(quantized) < INT8_OPSET:
        from onnx import version_converter
        quantized = version_converter.convert_version(quantized, INT8_OPSET)
    del quantized.metadata_props[:]
    quantized.metadata_props.extend(model.metadata_props)
    return quantized


def default_opset(model) -> int:
    """The version of the standard domain in ``model``'s opset_import (0 if it has none)."""
    return next((entry.version for entry in model.opset_import if entry.domain in ("", "ai.onnx")), 0)


def _feeds(z: np.ndarray, info: GeneratorInfo) -> dict:
    if not info.conditional:
        return {"z": z}
    return {"z": z, "label": np.arange(len(z), dtype=np.int64) % info.num_classes}
