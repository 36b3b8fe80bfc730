"""Compute in float32 what a float16 file (``ganzoo export --precision fp16``) computes in float16.

CPU kernels have no float16 arithmetic to speak of: onnxruntime's CPU kernels (and onnxruntime-web's, in the
browser) run most float16 operators by casting to float32 and back around each, and the Winograd rewrite
needs float32 weights. Widened, the graph skips those casts and takes the faster forms. The weights are the
file's (every float16 value is exact in float32); what changes is only that intermediate values are no longer
rounded to float16, so the result is closer to the trained Keras model than the file's own float16 arithmetic,
and differs from it within the float16 export's bound (export/SPEC.md).
"""

from __future__ import annotations

import numpy as np
from onnx import TensorProto, numpy_helper

#: Largest |widened - file| allowed: the float16 export's own bound against Keras (export/SPEC.md).
TOLERANCE = {"float": 1e-2, "uint8": 3}


def widen_float16(model) -> int:
    """Turn, in place, every float16 initializer and Constant into float32, every Cast to float16 into a Cast to
    float32, and every float16 value type into float32; returns how many tensors and casts changed."""
    changed = 0
    for tensor in model.graph.initializer:
        changed += _widen_tensor(tensor)
    for node in model.graph.node:
        for attribute in node.attribute:
            if node.op_type == "Constant" and attribute.name == "value":
                changed += _widen_tensor(attribute.t)
            elif node.op_type == "Cast" and attribute.name == "to" and attribute.i == TensorProto.FLOAT16:
                attribute.i = TensorProto.FLOAT
                changed += 1
    for value in [*model.graph.value_info, *model.graph.input, *model.graph.output]:
        if value.type.tensor_type.elem_type == TensorProto.FLOAT16:
            value.type.tensor_type.elem_type = TensorProto.FLOAT
    return changed


def _widen_tensor(tensor) -> int:
    if tensor.data_type != TensorProto.FLOAT16:
        return 0
    tensor.CopyFrom(numpy_helper.from_array(numpy_helper.to_array(tensor).astype(np.float32), tensor.name))
    return 1
