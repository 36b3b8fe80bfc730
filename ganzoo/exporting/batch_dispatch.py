"""One ONNX model that runs one of two equivalent graphs, chosen by batch size.

The outer graph reads the batch size of its first input and runs ``large``'s
graph for batches of at least ``min_batch``, ``small``'s otherwise, through a
standard ``If``. Each branch keeps its own copy of the initializers it reads:
onnxruntime pre-packs weights (and converts convolutions to its blocked NCHWc
kernels) only for initializers of the graph that uses them, not for values a
subgraph reads from the outer scope.
"""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper

DISPATCH_NODE = "dispatch_if"


def dispatch_by_batch(small, large, min_batch: int):
    """A copy of ``small`` whose graph is ``If(batch >= min_batch, large's graph, small's graph)``.

    Both models must have the same inputs and outputs; ``small``'s declarations,
    metadata and opsets are kept.
    """
    model = type(small)()
    model.CopyFrom(small)
    graph = model.graph
    first = graph.input[0].name
    outputs = [o.name for o in graph.output]
    threshold = numpy_helper.from_array(np.array(min_batch, np.int64), "dispatch_min_batch")
    axis0 = numpy_helper.from_array(np.array(0, np.int64), "dispatch_axis0")
    nodes = [
        helper.make_node("Shape", [first], ["dispatch_shape"], name="dispatch_shape"),
        helper.make_node("Gather", ["dispatch_shape", axis0.name], ["dispatch_batch"], name="dispatch_batch"),
        helper.make_node("GreaterOrEqual", ["dispatch_batch", threshold.name], ["dispatch_large"],
                         name="dispatch_large"),
        helper.make_node("If", ["dispatch_large"], outputs, name=DISPATCH_NODE,
                         then_branch=_branch(large.graph, "large"), else_branch=_branch(small.graph, "small")),
    ]
    del graph.node[:], graph.initializer[:], graph.value_info[:]
    graph.node.extend(nodes)
    graph.initializer.extend([threshold, axis0])
    return model


def _branch(graph, suffix: str):
    """``graph`` as an If branch: no inputs (it reads the outer graph's), outputs renamed apart from the outer ones."""
    renamed = {o.name: f"{o.name}__{suffix}" for o in graph.output}
    nodes = list(graph.node) + [helper.make_node("Identity", [name], [new], name=new) for name, new in renamed.items()]
    outputs = []
    for output in graph.output:
        declared = type(output)()
        declared.CopyFrom(output)
        declared.name = renamed[output.name]
        outputs.append(declared)
    return helper.make_graph(nodes, f"{graph.name}__{suffix}", [], outputs, list(graph.initializer))
