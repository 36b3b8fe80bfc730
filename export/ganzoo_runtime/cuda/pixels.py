"""A second graph output, ``pixels``: the images as uint8 [N, H, W, C], computed where the graph runs.

A caller that wants pictures (a grid, PNG files, evaluation) then copies a
quarter of the bytes off the GPU. The arithmetic is ganzoo_runtime.images'
``to_uint8`` (scale the pixel range to 0..255, round half to even, clip),
done in float32 on the float output, so the pixels are those the host would
compute from the same floats, give or take one level where float32 and
numpy's float64 round a value near .5 differently.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from ganzoo_runtime.metadata import GeneratorInfo

PIXELS = "ganzoo_pixels"


def add_pixel_output(model: onnx.ModelProto, info: GeneratorInfo) -> None:
    """Append the ``pixels`` output to ``model`` (in place), after its first output."""
    graph = model.graph
    images = graph.output[0].name
    nodes, current = [], images

    def step(op: str, *operands, **attributes) -> None:
        nonlocal current
        name = f"{PIXELS}__{len(nodes)}"
        nodes.append(helper.make_node(op, [current, *operands], [name], name=name, **attributes))
        current = name

    if info.layout == "nchw":
        step("Transpose", perm=[0, 2, 3, 1])
    if info.pixel_range != (0, 255):
        low, high = map(float, info.pixel_range)
        graph.initializer.extend([_scalar(f"{PIXELS}__low", low), _scalar(f"{PIXELS}__scale", 255.0 / (high - low)),
                                  _scalar(f"{PIXELS}__zero", 0.0), _scalar(f"{PIXELS}__top", 255.0)])
        step("Sub", f"{PIXELS}__low")
        step("Mul", f"{PIXELS}__scale")
        step("Round")
        step("Clip", f"{PIXELS}__zero", f"{PIXELS}__top")
        step("Cast", to=TensorProto.UINT8)
    if not nodes:  # already uint8 NHWC: the pixels are the images
        step("Identity")
    nodes[-1].output[0] = PIXELS
    graph.node.extend(nodes)
    height, width, channels = info.image_shape
    graph.output.append(helper.make_tensor_value_info(PIXELS, TensorProto.UINT8,
                                                      ["batch", height, width, channels]))


def _scalar(name: str, value: float) -> TensorProto:
    return numpy_helper.from_array(np.array(value, np.float32), name)
