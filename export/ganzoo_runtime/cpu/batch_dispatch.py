"""One ONNX model that runs one of two equivalent graphs, chosen by batch size.

The outer graph reads the batch size of its first input and runs ``large``'s
graph for batches of at least ``min_batch``, ``small``'s otherwise, through a
standard ``If``. Each branch keeps its own copy of the initializers it reads:
onnxruntime pre-packs weights (and converts convolutions to its blocked NCHWc
kernels) only for initializers of the graph that uses them, not for values a
subgraph reads from the outer scope.

Where both graphs begin with the same nodes (a generator's dense layer, before
the convolutions that differ), those nodes run once in the outer graph, with
their weights stored once.
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
    shared, shared_weights = _shared_prefix(small.graph, large.graph)
    threshold = numpy_helper.from_array(np.array(min_batch, np.int64), "dispatch_min_batch")
    axis0 = numpy_helper.from_array(np.array(0, np.int64), "dispatch_axis0")
    nodes = [
        *shared,
        helper.make_node("Shape", [first], ["dispatch_shape"], name="dispatch_shape"),
        helper.make_node("Gather", ["dispatch_shape", axis0.name], ["dispatch_batch"], name="dispatch_batch"),
        helper.make_node("GreaterOrEqual", ["dispatch_batch", threshold.name], ["dispatch_large"],
                         name="dispatch_large"),
        helper.make_node("If", ["dispatch_large"], outputs, name=DISPATCH_NODE,
                         then_branch=_branch(large.graph, len(shared), "large"),
                         else_branch=_branch(small.graph, len(shared), "small")),
    ]
    del graph.node[:], graph.initializer[:], graph.value_info[:]
    graph.node.extend(nodes)
    graph.initializer.extend([*shared_weights, threshold, axis0])
    return model


def _shared_prefix(a, b) -> tuple[list, list]:
    """The nodes both graphs begin with, up to the last of them that reads an initializer, and those initializers.

    The weight-free nodes after it stay in the branches, where onnxruntime can
    fuse them with what follows (a transpose into a convolution's input, say).
    """
    weights_a = {t.name: t for t in a.initializer}
    weights_b = {t.name: t for t in b.initializer}
    same = 0
    for node_a, node_b in zip(a.node, b.node):
        read = [name for name in node_a.input if name in weights_a]
        if node_a != node_b or any(weights_b.get(name) != weights_a[name] for name in read):
            break
        same += 1
    length = max((i + 1 for i, node in enumerate(a.node[:same]) if any(n in weights_a for n in node.input)),
                 default=0)
    prefix = list(a.node[:length])
    read = {name for node in prefix for name in node.input}
    return prefix, [t for name, t in weights_a.items() if name in read]


def _branch(graph, skip: int, suffix: str):
    """``graph`` without its first ``skip`` nodes, as an If branch: no inputs (it reads the outer graph's
    values), only the initializers its nodes read, outputs renamed apart from the outer ones."""
    renamed = {o.name: f"{o.name}__{suffix}" for o in graph.output}
    nodes = list(graph.node[skip:]) + [helper.make_node("Identity", [name], [new], name=new)
                                        for name, new in renamed.items()]
    read = {name for node in nodes for name in node.input}
    outputs = []
    for output in graph.output:
        declared = type(output)()
        declared.CopyFrom(output)
        declared.name = renamed[output.name]
        outputs.append(declared)
    return helper.make_graph(nodes, f"{graph.name}__{suffix}", [], outputs,
                             [t for t in graph.initializer if t.name in read])
