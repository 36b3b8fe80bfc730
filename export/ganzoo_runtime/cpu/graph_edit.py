"""Replace ONNX nodes one by one: the loop shared by the export's graph rewrites."""

from __future__ import annotations

from collections.abc import Callable

# A replacement: the nodes that compute the old node's outputs, and the initializers they add.
Replacement = tuple[list, list] | None


def replace_nodes(model, op_type: str, replace: Callable[[object], Replacement]) -> int:
    """Replace every ``op_type`` node for which ``replace`` returns nodes, in place; returns how many.

    Initializers that no node reads any more are dropped.
    """
    nodes, replaced = [], 0
    for node in model.graph.node:
        replacement = replace(node) if node.op_type == op_type else None
        if replacement is None:
            nodes.append(node)
            continue
        new_nodes, new_initializers = replacement
        nodes.extend(new_nodes)
        model.graph.initializer.extend(new_initializers)
        replaced += 1
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    used = {name for node in model.graph.node for name in node.input}
    kept = [t for t in model.graph.initializer if t.name in used]
    del model.graph.initializer[:]
    model.graph.initializer.extend(kept)
    return replaced
