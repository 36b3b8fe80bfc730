"""The PyTorch contender of benchmarks/gpu_sampling.py: an exported ganzoo file's network as a torch module.

Each ONNX node becomes the torch operation that computes it, in graph order, with the file's initializers as
the module's buffers: the same network, weights and arithmetic as the file, run the way a PyTorch user runs
a generator on a GPU (float16, channels_last, captured in a CUDA graph, images copied to the host as
float32). It covers the operators of ganzoo's portable exports (DCGAN, sub-pixel transposed convolutions,
fp16 casts, uint8 pixels) and a few more; any other operator is a ValueError naming it.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

FLOAT_TYPES = {onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16, onnx.TensorProto.DOUBLE}
CASTS = {onnx.TensorProto.UINT8: torch.uint8, onnx.TensorProto.INT64: torch.int64,
         onnx.TensorProto.INT32: torch.int32, onnx.TensorProto.BOOL: torch.bool}


def _conv_padding(x: torch.Tensor, pads) -> tuple[torch.Tensor, tuple]:
    """ONNX pads [top, left, bottom, right] as torch's symmetric padding, padding the input when they differ."""
    top, left, bottom, right = pads or (0, 0, 0, 0)
    if (top, left) == (bottom, right):
        return x, (top, left)
    return F.pad(x, (left, right, top, bottom)), (0, 0)


def _conv(a, x, w, b=None):
    x, padding = _conv_padding(x, a.get("pads"))
    return F.conv2d(x, w, b, a.get("strides", (1, 1)), padding, a.get("dilations", (1, 1)), a.get("group", 1))


def _depth_to_space(a, x):
    block = a["blocksize"]
    if a.get("mode", "DCR") == "CRD":
        return F.pixel_shuffle(x, block)
    n, c, h, w = x.shape
    x = x.reshape(n, block, block, c // block ** 2, h, w).permute(0, 3, 4, 1, 5, 2)
    return x.reshape(n, c // block ** 2, h * block, w * block)


def _reshape(a, x, shape):
    shape = [x.shape[i] if d == 0 and not a.get("allowzero") else d for i, d in enumerate(shape.tolist())]
    return x.reshape(shape)


def _slice(a, x, starts, ends, axes=None, steps=None):
    axes = range(len(starts)) if axes is None else axes.tolist()
    steps = [1] * len(starts) if steps is None else steps.tolist()
    index = [slice(None)] * x.dim()
    for start, end, axis, step in zip(starts.tolist(), ends.tolist(), axes, steps):
        index[axis] = slice(start, min(end, x.shape[axis]), step)
    return x[tuple(index)]


def _reduce_mean(a, x, axes=None):
    axes = a.get("axes") if axes is None else axes.tolist()
    return x.mean(dim=tuple(axes), keepdim=bool(a.get("keepdims", 1)))


OPS: dict[str, Callable] = {
    "MatMul": lambda a, x, y: torch.matmul(x, y),
    "Gemm": lambda a, x, y, c=None: a.get("alpha", 1.0) * torch.matmul(x.T if a.get("transA") else x,
                                                                       y.T if a.get("transB") else y)
    + (0 if c is None else a.get("beta", 1.0) * c),
    "Add": lambda a, x, y: x + y, "Sub": lambda a, x, y: x - y, "Mul": lambda a, x, y: x * y,
    "Div": lambda a, x, y: x / y, "Pow": lambda a, x, y: x ** y,
    "Max": lambda a, x, y: torch.maximum(x, y), "Min": lambda a, x, y: torch.minimum(x, y),
    "LeakyRelu": lambda a, x: F.leaky_relu(x, a.get("alpha", 0.01)), "Relu": lambda a, x: F.relu(x),
    "Tanh": lambda a, x: torch.tanh(x), "Sigmoid": lambda a, x: torch.sigmoid(x),
    "Sqrt": lambda a, x: torch.sqrt(x), "Reciprocal": lambda a, x: torch.reciprocal(x),
    "Round": lambda a, x: torch.round(x), "Identity": lambda a, x: x, "Neg": lambda a, x: -x,
    "Exp": lambda a, x: torch.exp(x), "Abs": lambda a, x: torch.abs(x),
    "Less": lambda a, x, y: x < y, "Greater": lambda a, x, y: x > y, "Equal": lambda a, x, y: x == y,
    "Not": lambda a, x: ~x, "Where": lambda a, c, x, y: torch.where(c, x, y),
    "Clip": lambda a, x, low=None, high=None: torch.clamp(x, low, high),
    "Reshape": _reshape, "Transpose": lambda a, x: x.permute(a["perm"]),
    "Conv": _conv, "DepthToSpace": _depth_to_space,
    "Concat": lambda a, *xs: torch.cat(xs, a["axis"]), "Slice": _slice,
    "Unsqueeze": lambda a, x, axes: x.reshape(_unsqueezed(x.shape, axes.tolist())),
    "Squeeze": lambda a, x, axes=None: x.squeeze() if axes is None else x.squeeze(tuple(axes.tolist())),
    "Softmax": lambda a, x: torch.softmax(x, a.get("axis", -1)), "ReduceMean": _reduce_mean,
    "Gather": lambda a, x, i: torch.index_select(x, a.get("axis", 0), i.reshape(-1).to(x.device)).reshape(
        *x.shape[:a.get("axis", 0)], *i.shape, *x.shape[a.get("axis", 0) + 1:]),
}


def _unsqueezed(shape, axes):
    shape = list(shape)
    for axis in sorted(a % (len(shape) + len(axes)) for a in axes):
        shape.insert(axis, 1)
    return shape


class OnnxAsTorch(torch.nn.Module):
    """``forward(z[, label])`` computes what the ONNX file computes; float tensors in ``dtype``."""

    def __init__(self, model: onnx.ModelProto, dtype: torch.dtype = torch.float32):
        super().__init__()
        unknown = sorted({n.op_type for n in model.graph.node} - set(OPS) - {"Cast"})
        if unknown:
            raise ValueError(f"no torch equivalent for ONNX operator(s) {', '.join(unknown)}")
        self.dtype = dtype
        self.names = {}
        self.host_constants = {}  # shapes, axes, indices: read by value, so kept off the GPU (and out of its graph)
        for index, tensor in enumerate(model.graph.initializer):
            value = torch.from_numpy(np.array(numpy_helper.to_array(tensor)))
            if value.is_floating_point():
                self.register_buffer(f"constant_{index}", value.to(dtype))
                self.names[tensor.name] = f"constant_{index}"
            else:
                self.host_constants[tensor.name] = value
        constants = set(self.names) | set(self.host_constants)
        self.inputs = [i.name for i in model.graph.input if i.name not in constants]
        self.output = model.graph.output[0].name
        self.nodes = [(n.op_type, list(n.input), n.output[0],
                       {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}) for n in model.graph.node]

    def forward(self, *inputs: torch.Tensor) -> torch.Tensor:
        values = {name: getattr(self, buffer) for name, buffer in self.names.items()} | self.host_constants
        values.update((name, x.to(self.dtype) if x.is_floating_point() else x) for name, x in zip(self.inputs, inputs))
        for op, names, output, attributes in self.nodes:
            args = [values[name] if name else None for name in names]
            if op == "Cast":  # every float type computes in the module's dtype
                to = attributes["to"]
                values[output] = args[0].to(self.dtype if to in FLOAT_TYPES else CASTS[to])
            else:
                values[output] = OPS[op](attributes, *args)
        return values[self.output]


class TorchSampler:
    """The contender as a sampler: numpy latents in, float32 numpy images out, like ``OnnxGenerator.generate``;
    with ``pixels``, uint8 [N, H, W, C] images made on the device, like ``OnnxGenerator.pixels``.

    On CUDA: float16 buffers, channels_last convolution weights and one CUDA graph per batch size (captured on
    its first call), latents copied into the graph's input and images copied back. Without CUDA: float32,
    eager, on the CPU.
    """

    def __init__(self, path: str, pixels: bool = False):
        self.cuda = torch.cuda.is_available()
        self.device = ("torch-cuda" if self.cuda else "torch-cpu") + ("-pixels" if pixels else "")
        model = onnx.load(path)
        self.pixels = _pixel_conversion(model) if pixels else None
        module = OnnxAsTorch(model, torch.float16 if self.cuda else torch.float32)
        if self.cuda:
            module = module.to("cuda").to(memory_format=torch.channels_last)
        self.module = module.eval()
        self.graphs: dict = {}

    def generate(self, z: np.ndarray) -> np.ndarray:
        if not self.cuda:
            with torch.no_grad():
                return self._images(torch.from_numpy(z)).numpy()
        if len(z) not in self.graphs:
            self.graphs[len(z)] = self._capture(z.shape)
        latents, graph, images = self.graphs[len(z)]
        latents.copy_(torch.from_numpy(z))
        graph.replay()
        return images.cpu().numpy()

    def _capture(self, shape):
        latents = torch.zeros(shape, device="cuda")
        side = torch.cuda.Stream()
        side.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(side), torch.no_grad():
            for _ in range(3):  # warm-up outside the graph, as torch.cuda.graphs asks
                self.module(latents)
        torch.cuda.current_stream().wait_stream(side)
        graph = torch.cuda.CUDAGraph()
        with torch.cuda.graph(graph), torch.no_grad():
            images = self._images(latents)
        return latents, graph, images

    def _images(self, latents: torch.Tensor) -> torch.Tensor:
        images = self.module(latents).float()
        return images if self.pixels is None else self.pixels(images)


def _pixel_conversion(model: onnx.ModelProto) -> Callable[[torch.Tensor], torch.Tensor]:
    """ganzoo_runtime.images.to_display in torch, for the file's layout and pixel range."""
    props = {p.key: p.value for p in model.metadata_props}
    nchw = props.get("ganzoo.layout") == "nchw"
    low, high = (float(v) for v in props.get("ganzoo.pixel_range", "-1,1").split(","))

    def convert(images: torch.Tensor) -> torch.Tensor:
        if nchw:
            images = images.permute(0, 2, 3, 1)
        return torch.clamp(torch.round((images - low) * (255.0 / (high - low))), 0, 255).to(torch.uint8)
    return convert
