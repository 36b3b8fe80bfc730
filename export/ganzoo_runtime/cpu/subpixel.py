"""Rewrite ONNX ConvTranspose nodes into an exactly equivalent Conv (+ DepthToSpace).

A transposed convolution with stride s computes each of the s x s output
phases as an ordinary convolution of the input with a subset of its kernel
taps ("sub-pixel convolution"). One Conv with s*s times the output channels
computes all phases at once and DepthToSpace interleaves them. onnxruntime's
CPU Conv kernels (MLAS, NCHWc) are much faster than its ConvTranspose, while
the arithmetic is the same sums of the same products, so export parity is
unchanged (and still verified).
"""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

from ganzoo_runtime.cpu.graph_edit import replace_nodes


def rewrite_conv_transposes(model) -> int:
    """Replace every eligible ConvTranspose in ``model.graph`` in place; returns how many were replaced."""
    initializers = {t.name: t for t in model.graph.initializer}
    return replace_nodes(model, "ConvTranspose", lambda node: _replacement(node, initializers))


def _replacement(node, initializers):
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    weight = initializers.get(node.input[1])
    bias = initializers.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
    kernel = numpy_helper.to_array(weight) if weight is not None else None
    if (kernel is None or kernel.ndim != 4 or attrs.get("group", 1) != 1 or "output_shape" in attrs
            or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET")
            or any(d != 1 for d in attrs.get("dilations", [1, 1]))
            or (len(node.input) > 2 and node.input[2] and bias is None)):
        return None
    k_h, k_w = kernel.shape[2:]
    s_h, s_w = attrs.get("strides", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    out_pad = attrs.get("output_padding", [0, 0])
    if s_h != s_w:
        return None
    # The output must be exactly s times the input in each dimension.
    if out_pad[0] + k_h - pads[0] - pads[2] != s_h or out_pad[1] + k_w - pads[1] - pads[3] != s_w:
        return None
    s = s_h
    c_in, c_out = kernel.shape[:2]
    # Tap i of the kernel feeds output phase r from input offset d = (r + pad_begin - i) / s, when whole.
    taps = [(r_h, r_w, i, j, (r_h + pads[0] - i) // s, (r_w + pads[1] - j) // s)
            for r_h in range(s) for r_w in range(s) for i in range(k_h) for j in range(k_w)
            if (r_h + pads[0] - i) % s == 0 and (r_w + pads[1] - j) % s == 0]
    d_h = [t[4] for t in taps]
    d_w = [t[5] for t in taps]
    lo_h, hi_h, lo_w, hi_w = min(d_h), max(d_h), min(d_w), max(d_w)
    if lo_h > 0 or hi_h < 0 or lo_w > 0 or hi_w < 0:
        return None
    conv = np.zeros((s * s * c_out, c_in, hi_h - lo_h + 1, hi_w - lo_w + 1), kernel.dtype)
    for r_h, r_w, i, j, dh, dw in taps:
        # DepthToSpace "CRD" reads phase (r_h, r_w) of channel c from channel c * s * s + r_h * s + r_w. CRD, not
        # ONNX's default DCR: converters (onnx2torch: PixelShuffle) implement CRD only
        conv[r_h * s + r_w::s * s, :, dh - lo_h, dw - lo_w] = kernel[:, :, i, j].T
    name = node.output[0]
    conv_weight = numpy_helper.from_array(conv, f"{name}__subpixel_weight")
    new_initializers = [conv_weight]
    inputs = [node.input[0], conv_weight.name]
    if bias is not None:
        conv_bias = numpy_helper.from_array(np.repeat(numpy_helper.to_array(bias), s * s), f"{name}__subpixel_bias")
        new_initializers.append(conv_bias)
        inputs.append(conv_bias.name)
    conv_output = name if s == 1 else f"{name}__subpixel_phases"
    nodes = [helper.make_node("Conv", inputs, [conv_output], name=f"{node.name}__subpixel_conv",
                              kernel_shape=[hi_h - lo_h + 1, hi_w - lo_w + 1], pads=[-lo_h, -lo_w, hi_h, hi_w],
                              strides=[1, 1])]
    if s > 1:
        nodes.append(helper.make_node("DepthToSpace", [conv_output], [name], name=f"{node.name}__subpixel_d2s",
                                      blocksize=s, mode="CRD"))
    return nodes, new_initializers

