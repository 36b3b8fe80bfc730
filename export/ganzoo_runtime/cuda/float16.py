"""Compute a float32 graph in float16, keeping its float32 inputs and outputs.

Tensor cores run float16 convolutions and matrix products several times
faster than float32, and half the bytes move through memory. The rewrite:
float32 initializers and Constant values become float16, every Cast to
float32 casts to float16 instead, float32 graph inputs are cast to float16
where they enter and float outputs back to float32 where they leave. A few
operator inputs must stay float32 whatever the data type (Resize's scales);
they are cast back. Whether the result is close enough is not decided here:
ganzoo_runtime.cuda.form measures it against the portable graph.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

FLOAT, HALF = TensorProto.FLOAT, TensorProto.FLOAT16
# (operator, input index) that the ONNX standard types as float32 (or any float, read as such by runtimes)
FLOAT32_ONLY = {("Resize", 2), ("Upsample", 1)}


def to_float16(model: onnx.ModelProto) -> int:
    """Rewrite ``model`` in place to compute in float16; returns how many float32 tensors were converted
    (0: nothing computes in float32, and the graph is left as it was)."""
    graph = model.graph
    inputs = {i.name for i in graph.input}
    converted = 0
    for tensor in graph.initializer:
        if tensor.data_type == FLOAT and tensor.name not in inputs:  # an input's default keeps its type
            tensor.CopyFrom(_half(tensor))
            converted += 1
    for node in graph.node:
        converted += _convert_node(node)
    if not converted:
        return 0
    _cast_inputs(graph)
    _cast_outputs(graph)
    _keep_float32_operands(graph)
    del graph.value_info[:]  # the old float32 types of intermediate tensors no longer hold
    return converted


def _half(tensor: TensorProto) -> TensorProto:
    value = numpy_helper.to_array(tensor)
    return numpy_helper.from_array(value.astype(np.float16), tensor.name)


def _convert_node(node) -> int:
    converted = 0
    for attribute in node.attribute:
        if node.op_type == "Cast" and attribute.name == "to" and attribute.i == FLOAT:
            attribute.i = HALF
            converted += 1
        elif attribute.type == onnx.AttributeProto.TENSOR and attribute.t.data_type == FLOAT:
            attribute.t.CopyFrom(_half(attribute.t))  # Constant, ConstantOfShape
            converted += 1
    return converted


def _cast_inputs(graph) -> None:
    """A Cast to float16 after each float32 graph input (one with a default too); its readers read the cast."""
    renamed = {i.name: f"{i.name}__float16" for i in graph.input if i.type.tensor_type.elem_type == FLOAT}
    for node in graph.node:
        node.input[:] = [renamed.get(i, i) for i in node.input]
    nodes = [helper.make_node("Cast", [name], [cast], to=HALF, name=f"{cast}__cast") for name, cast in renamed.items()]
    nodes.extend(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)


def _cast_outputs(graph) -> None:
    """Each float graph output is computed under a new name and cast to float32 under its own."""
    for output in graph.output:
        if output.type.tensor_type.elem_type != FLOAT:
            continue
        inner = f"{output.name}__float16"
        for node in graph.node:
            node.output[:] = [inner if o == output.name else o for o in node.output]
            node.input[:] = [inner if i == output.name else i for i in node.input]
        graph.node.append(helper.make_node("Cast", [inner], [output.name], to=FLOAT, name=f"{output.name}__cast"))


def _keep_float32_operands(graph) -> None:
    nodes = []
    for node in graph.node:
        for op, index in FLOAT32_ONLY:
            if node.op_type == op and len(node.input) > index and node.input[index]:
                name = node.input[index]
                back = f"{name}__float32_for_{node.name or op}"
                nodes.append(helper.make_node("Cast", [name], [back], to=FLOAT, name=f"{back}__cast"))
                node.input[index] = back
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)
