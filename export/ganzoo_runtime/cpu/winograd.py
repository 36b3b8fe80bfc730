"""Rewrite stride-1 ONNX Conv nodes into Winograd's minimal-filtering form F(4, r).

F(m, r) computes m outputs of an r-tap correlation from alpha = m + r - 1
inputs with alpha multiplications instead of m * r (Lavin & Gray, "Fast
Algorithms for Convolutional Neural Networks", 2016). Nested in two
dimensions, a 5x5 convolution costs 64 products per 4x4 output tile instead
of 400. Input tiles and output tiles are moved in and out of the transformed
domain by small constant matrices, so the whole rewrite is standard ONNX
(Transpose, Reshape, MatMul, Add) laid out so that every step is one batched
matrix product without any copy in between:

    X [N,C,H,W] -> [H, W, N*C]            Transpose, Reshape
    -> [H, aW*Tw, N*C]                    B_w (tiles along W, padding folded in)
    -> [aH*Th, aW*Tw*N*C]                 B_h (tiles along H)
    -> [aH, Th, aW, Tw*N, C] @ U          U = G w G^T per (aH, aW) point: [aH, 1, aW, C, K]
    -> [Ho, aW*Tw*N*K] -> [Ho, Wo, N*K]   A_h, A_w (back to outputs, cropped)
    -> [N, K, Ho, Wo]                     Reshape, Transpose (+ bias)

U holds (a/r)^2 times as many numbers as the kernel (2.6x for 5x5), so for
a few images, where reading weights dominates, direct convolutions are faster:
the export keeps both graphs and picks by batch size (form.MIN_BATCH,
ganzoo_runtime.cpu.batch_dispatch).

Unlike ganzoo_runtime.cpu.subpixel this is not the same arithmetic: rounding
differs from a direct convolution by about 1e-5 of the output's scale, and
the export's parity check bounds the result like any other.
"""

from __future__ import annotations

import numpy as np
from onnx import helper, numpy_helper, shape_inference

from ganzoo_runtime.cpu.graph_edit import replace_nodes

OUTPUT_TILE = 4
# Interpolation points, in the order that keeps the transforms' entries small;
# F(4, r) uses the first r + 2 of them and the point at infinity.
POINTS = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)
# Chosen, not measured: thinner matrix products, or smaller savings, are unlikely to repay the transforms.
MIN_CHANNELS = 16
MIN_SAVING = 2.0  # direct multiplications / Winograd multiplications


def rewrite_convolutions(model) -> int:
    """Replace every eligible Conv in ``model.graph`` in place; returns how many were replaced."""
    shapes = _static_shapes(model)
    initializers = {t.name: t for t in model.graph.initializer}
    return replace_nodes(model, "Conv", lambda node: _replacement(node, initializers, shapes))


def transforms(m: int, r: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(A^T [m, a], G [a, r], B^T [a, a]) of F(m, r) with a = m + r - 1, such that
    A^T ((G g) * (B^T d)) is the correlation of d (a inputs) with g (r taps)."""
    a = m + r - 1
    points = POINTS[:a - 1]
    if len(points) != a - 1:
        raise ValueError(f"F({m}, {r}) needs {a - 1} interpolation points; {len(POINTS)} are defined")
    at, g = np.zeros((m, a)), np.zeros((a, r))
    for j, p in enumerate(points):
        at[:, j] = [p ** i for i in range(m)]
        g[j] = [p ** k / np.prod([p - q for q in points if q != p]) for k in range(r)]
    at[m - 1, a - 1] = g[a - 1, r - 1] = 1.0  # the point at infinity
    # B^T is what makes the identity hold: sum_j AT[i,j] G[j,k] BT[j,l] = [l == i + k].
    system = np.einsum("ij,jk,jJ,lL->iklJL", at, g, np.eye(a), np.eye(a)).reshape(m * r * a, a * a)
    target = np.array([[[float(l == i + k) for l in range(a)] for k in range(r)] for i in range(m)]).ravel()
    bt = np.linalg.lstsq(system, target, rcond=None)[0].reshape(a, a)
    assert np.abs(system @ bt.ravel() - target).max() < 1e-9, f"no exact F({m}, {r})"
    return at, g, bt


def _static_shapes(model) -> dict[str, list]:
    inferred = shape_inference.infer_shapes(model)
    shapes = {}
    for value in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]:
        dims = value.type.tensor_type.shape.dim
        shapes[value.name] = [d.dim_value if d.HasField("dim_value") else None for d in dims]
    return shapes


def _replacement(node, initializers, shapes):
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    weight = initializers.get(node.input[1])
    has_bias = len(node.input) > 2 and bool(node.input[2])
    bias = initializers.get(node.input[2]) if has_bias else None
    shape = shapes.get(node.input[0])
    if (weight is None or (has_bias and bias is None) or shape is None or len(shape) != 4
            or None in shape[1:] or attrs.get("group", 1) != 1
            or attrs.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET")
            or any(s != 1 for s in attrs.get("strides", [1, 1]))
            or any(d != 1 for d in attrs.get("dilations", [1, 1]))):
        return None
    kernel = numpy_helper.to_array(weight).astype(np.float64)
    k_out, c_in, r_h, r_w = kernel.shape
    _, _, height, width = shape
    pads = attrs.get("pads", [0, 0, 0, 0])
    out_h, out_w = height + pads[0] + pads[2] - r_h + 1, width + pads[1] + pads[3] - r_w + 1
    if (min(c_in, k_out) < MIN_CHANNELS or not 2 <= min(r_h, r_w) or max(r_h, r_w) + OUTPUT_TILE - 2 > len(POINTS)
            or out_h < OUTPUT_TILE or out_w < OUTPUT_TILE):
        return None
    m = OUTPUT_TILE
    (at_h, g_h, bt_h), (at_w, g_w, bt_w) = transforms(m, r_h), transforms(m, r_w)
    a_h, a_w = m + r_h - 1, m + r_w - 1
    tiles_h, tiles_w = -(-out_h // m), -(-out_w // m)
    if out_h * out_w * r_h * r_w < MIN_SAVING * tiles_h * tiles_w * a_h * a_w:
        return None

    name = node.output[0]
    prefix = f"{name}__winograd"
    u = np.einsum("ai,kcij,bj->abck", g_h, kernel, g_w).reshape(a_h, 1, a_w, c_in, k_out)
    constants = {
        "in_w": _tile_inputs(bt_w, width, tiles_w, m, pads[1]),
        "in_h": _tile_inputs(bt_h, height, tiles_h, m, pads[0]),
        "u": u,
        "out_h": _tile_outputs(at_h, out_h, tiles_h),
        "out_w": _tile_outputs(at_w, out_w, tiles_w),
    }
    new_initializers = [numpy_helper.from_array(np.ascontiguousarray(v, np.float32), f"{prefix}_{k}")
                        for k, v in constants.items()]
    reshapes = {
        "hw_nc": [height, width, -1],
        "h_rest": [height, -1],
        "points": [a_h, tiles_h, a_w, -1, c_in],
        "tiles_h_rest": [a_h * tiles_h, -1],
        "ho_tiles_w_nk": [out_h, a_w * tiles_w, -1],
        "ho_wo_n_k": [out_h, out_w, -1, k_out],
    }
    new_initializers += [numpy_helper.from_array(np.array(v, np.int64), f"{prefix}_{k}")
                         for k, v in reshapes.items()]

    def step(op, inputs, **attributes):
        output = f"{prefix}_{len(steps)}"
        steps.append(helper.make_node(op, inputs, [output], name=output, **attributes))
        return output

    steps: list = []
    x = step("Transpose", [node.input[0]], perm=[2, 3, 0, 1])
    x = step("Reshape", [x, f"{prefix}_hw_nc"])
    x = step("MatMul", [f"{prefix}_in_w", x])
    x = step("Reshape", [x, f"{prefix}_h_rest"])
    x = step("MatMul", [f"{prefix}_in_h", x])
    x = step("Reshape", [x, f"{prefix}_points"])
    x = step("MatMul", [x, f"{prefix}_u"])
    x = step("Reshape", [x, f"{prefix}_tiles_h_rest"])
    x = step("MatMul", [f"{prefix}_out_h", x])
    x = step("Reshape", [x, f"{prefix}_ho_tiles_w_nk"])
    x = step("MatMul", [f"{prefix}_out_w", x])
    x = step("Reshape", [x, f"{prefix}_ho_wo_n_k"])
    x = step("Transpose", [x], perm=[2, 3, 0, 1])
    if bias is not None:
        bias_per_channel = numpy_helper.to_array(bias).reshape(k_out, 1, 1)
        new_initializers.append(numpy_helper.from_array(bias_per_channel, f"{prefix}_bias"))
        x = step("Add", [x, f"{prefix}_bias"])
    steps[-1].output[0] = name
    return steps, new_initializers


def _tile_inputs(bt: np.ndarray, size: int, tiles: int, m: int, pad_begin: int) -> np.ndarray:
    """[a * tiles, size]: row (point, tile) applies B^T to the window at tile * m - pad_begin (zeros outside)."""
    a = bt.shape[0]
    matrix = np.zeros((a * tiles, size))
    for tile in range(tiles):
        for k in range(a):
            source = tile * m - pad_begin + k
            if 0 <= source < size:
                matrix[np.arange(a) * tiles + tile, source] = bt[:, k]
    return matrix


def _tile_outputs(at: np.ndarray, size: int, tiles: int) -> np.ndarray:
    """[size, a * tiles]: output position tile * m + i sums A^T[i] over its tile's points; cropped to ``size``."""
    m, a = at.shape
    matrix = np.zeros((size, a * tiles))
    for tile in range(tiles):
        for i in range(m):
            if tile * m + i < size:
                matrix[tile * m + i, np.arange(a) * tiles + tile] = at[i]
    return matrix
