"""Fold the per-channel scale and shift that follow a convolution into its weights and bias.

tf2onnx writes a batch normalisation that follows a transposed convolution as Mul and Add by [1, C, 1, 1]
constants, after the Conv (and, in the sub-pixel form, after its DepthToSpace). Folded, the graph is shorter
and every consumer reads it: onnx2tf's layout conversion otherwise transposes those constants wrongly and
fails ("Dimensions must be equal, but are 7 and 128" in its Mul). The arithmetic is the same products,
rounded once more or less, so export parity (checked after) is unchanged.
"""

from __future__ import annotations

import numpy as np
from onnx import numpy_helper


def fold_channel_affine(model) -> int:
    """Fold, in place, each Mul or Add by a per-channel constant whose other input is a Conv's output (directly
    or through a CRD DepthToSpace) read by nothing else; returns how many were folded."""
    folded = 0
    while _fold_one(model.graph):
        folded += 1
    if folded:
        used = {name for node in model.graph.node for name in node.input}
        kept = [t for t in model.graph.initializer if t.name in used]
        del model.graph.initializer[:]
        model.graph.initializer.extend(kept)
    return folded


def _fold_one(graph) -> bool:
    initializers = {t.name: t for t in graph.initializer}
    producer = {out: node for node in graph.node for out in node.output}
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    outputs = {o.name for o in graph.output}
    private = lambda name: readers.get(name) == 1 and name not in outputs  # noqa: E731

    for node in graph.node:
        if node.op_type not in ("Mul", "Add") or len(node.input) != 2:
            continue
        constant_at = next((i for i, name in enumerate(node.input) if name in initializers), None)
        if constant_at is None:
            continue
        values = numpy_helper.to_array(initializers[node.input[constant_at]])
        x = node.input[1 - constant_at]
        if values.ndim not in (3, 4) or values.shape[-2:] != (1, 1) or (values.ndim == 4 and values.shape[0] != 1):
            continue
        chain = [producer.get(x)]
        if chain[0] is not None and chain[0].op_type == "DepthToSpace" and private(x):
            attributes = {a.name: a for a in chain[0].attribute}
            if attributes.get("mode") is None or attributes["mode"].s != b"CRD" or not private(chain[0].input[0]):
                continue
            chain.insert(0, producer.get(chain[0].input[0]))
        conv = chain[0]
        if conv is None or conv.op_type != "Conv" or not private(x) or conv.input[1] not in initializers:
            continue
        weight = numpy_helper.to_array(initializers[conv.input[1]])
        has_bias = len(conv.input) > 2 and conv.input[2]
        if has_bias and conv.input[2] not in initializers:
            continue
        per_channel = values.reshape(-1)
        if weight.shape[0] % per_channel.size or values.dtype != weight.dtype:
            continue
        # CRD: output channel c is made of the block of s * s consecutive Conv channels starting at c * s * s
        per_output = np.repeat(per_channel.astype(np.float64), weight.shape[0] // per_channel.size)
        bias = (numpy_helper.to_array(initializers[conv.input[2]]).astype(np.float64) if has_bias
                else np.zeros(weight.shape[0]))
        if node.op_type == "Mul":
            weight = weight.astype(np.float64) * per_output[:, None, None, None]
            bias = bias * per_output
        else:
            bias = bias + per_output
        stem = node.output[0]
        graph.initializer.extend([numpy_helper.from_array(weight.astype(values.dtype), f"{stem}__folded_weight"),
                                  numpy_helper.from_array(bias.astype(values.dtype), f"{stem}__folded_bias")])
        del conv.input[1:]
        conv.input.extend([f"{stem}__folded_weight", f"{stem}__folded_bias"])
        # the chain now writes what the Mul/Add wrote; the intermediate name had no other reader
        dropped = chain[-1].output[0]
        chain[-1].output[0] = stem
        graph.node.remove(node)
        for info in [v for v in graph.value_info if v.name == dropped]:
            graph.value_info.remove(info)
        return True
    return False
