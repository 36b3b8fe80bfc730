"""What the CUDA form (ganzoo_runtime.cuda.form) may use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CudaSettings:
    """Each defaults to on; benchmarks/gpu_sampling.py turns them off one at a time to show what each pays."""

    float16: bool = True  # compute in float16 where the check allows
    cuda_graph: bool = True  # one captured CUDA graph per batch size
    nhwc: bool = True  # cuDNN's channels-last convolutions (onnxruntime's prefer_nhwc)
