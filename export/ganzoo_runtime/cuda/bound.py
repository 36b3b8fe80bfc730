"""Running a session with its inputs and outputs bound to buffers on the device, one set per batch size.

``session.run`` with numpy arrays allocates the inputs on the GPU, the
outputs, and host copies of every output on each call. Bound buffers are
allocated once per batch size: a call copies the latents in and the one
output it wants out, nothing else. On CUDA each batch size also gets its own
CUDA graph (onnxruntime's ``gpu_graph_id``): onnxruntime captures the run's
kernel launches on the first call and replays them as one launch from then
on, which needs exactly these fixed buffers. Past :data:`MAX_GRAPHS` batch
sizes, a new size runs uncaptured in buffers that are not kept, so memory
stays bounded whatever sizes a caller sends.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort

MAX_GRAPHS = 16
NUMPY_TYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(uint8)": np.uint8,
               "tensor(int64)": np.int64}


@dataclass
class _Buffers:
    binding: ort.IOBinding
    inputs: dict[str, ort.OrtValue]
    outputs: dict[str, ort.OrtValue]
    run_options: ort.RunOptions


class BoundRunner:
    """``run(feeds, output)`` on ``session`` through buffers on ``device`` ("cuda" or "cpu")."""

    def __init__(self, session: ort.InferenceSession, device: str, cuda_graphs: bool):
        self.session, self.device, self.cuda_graphs = session, device, cuda_graphs
        self._outputs = [(o.name, o.shape, NUMPY_TYPES[o.type]) for o in session.get_outputs()]
        self._buffers: dict[tuple, _Buffers] = {}

    def run(self, feeds: dict[str, np.ndarray], output: str) -> np.ndarray:
        """The graph's ``output`` for ``feeds`` (numpy, first dimension the batch), as a new host array."""
        batch = len(next(iter(feeds.values())))
        key = (batch, *sorted(feeds))
        buffers = self._buffers.get(key)
        if buffers is None:
            kept = len(self._buffers) < MAX_GRAPHS
            buffers = self._bind(feeds, batch, captured=kept)
            if kept:
                self._buffers[key] = buffers
        else:
            for name, value in feeds.items():
                buffers.inputs[name].update_inplace(value)
        self.session.run_with_iobinding(buffers.binding, buffers.run_options)
        result = buffers.outputs[output].numpy()
        # A host buffer is handed out as a view of itself: the next run would overwrite the caller's images
        return result.copy() if self.device == "cpu" else result

    def _bind(self, feeds: dict[str, np.ndarray], batch: int, captured: bool) -> _Buffers:
        binding = self.session.io_binding()
        # On the host an OrtValue wraps the numpy array it is made from: it gets a copy, not the caller's
        inputs = {name: ort.OrtValue.ortvalue_from_numpy(value.copy() if self.device == "cpu" else value,
                                                         self.device, 0) for name, value in feeds.items()}
        for name, value in inputs.items():
            binding.bind_ortvalue_input(name, value)
        outputs = {}
        for name, shape, dtype in self._outputs:
            dims = [batch, *shape[1:]]
            if not all(isinstance(d, int) for d in dims):
                raise ValueError(f"output {name} has a dimension other than the batch that is not fixed: {shape}")
            outputs[name] = ort.OrtValue.ortvalue_from_shape_and_type(dims, dtype, self.device, 0)
            binding.bind_ortvalue_output(name, outputs[name])
        run_options = ort.RunOptions()
        if self.cuda_graphs:  # captured on this first run, replayed from the next; -1: run without a graph
            run_options.add_run_config_entry("gpu_graph_id", str(len(self._buffers) + 1 if captured else -1))
        return _Buffers(binding, inputs, outputs, run_options)
