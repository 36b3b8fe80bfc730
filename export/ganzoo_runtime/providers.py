"""Choosing onnxruntime's execution provider: TensorRT, then CUDA, then CPU, each only when it really loads.

onnxruntime-gpu lists GPU providers it cannot load and, asked for one,
silently falls back to the CPU after printing errors. So a GPU provider is
tried only when an NVIDIA driver with a device is present (and, for
TensorRT, its library loads), the attempt's output is captured (on an H100
without TensorRT, onnxruntime printed a page of errors for every session),
and the session's own provider list decides what actually runs.
"""

from __future__ import annotations

import ctypes
import logging
import sys
from pathlib import Path
from typing import Optional

import onnxruntime as ort

from ganzoo_runtime.errors import UserError
from ganzoo_runtime.quiet import captured_output

log = logging.getLogger(__name__)

DEVICES = ("auto", "cpu", "cuda", "tensorrt")
PROVIDERS = {"tensorrt": "TensorrtExecutionProvider", "cuda": "CUDAExecutionProvider", "cpu": "CPUExecutionProvider"}
ERROR_SEVERITY = 3  # onnxruntime: 0 verbose … 3 error, 4 fatal

ort.set_default_logger_severity(ERROR_SEVERITY)


def nvidia_gpu_count() -> int:
    """GPUs the NVIDIA driver reports; 0 without a driver (no CUDA library is loaded for this)."""
    name = "nvcuda.dll" if sys.platform == "win32" else "libcuda.so.1"
    try:
        driver = ctypes.CDLL(name)
        count = ctypes.c_int(0)
        if driver.cuInit(0) != 0 or driver.cuDeviceGetCount(ctypes.byref(count)) != 0:
            return 0
        return count.value
    except (OSError, AttributeError):
        return 0


def tensorrt_loads() -> bool:
    """Whether TensorRT 10's runtime library (which onnxruntime's TensorRT provider needs) can be loaded."""
    if sys.platform == "win32":
        names = ["nvinfer_10.dll"]
    else:
        names = ["libnvinfer.so.10"]
        try:  # the pip wheels (tensorrt-cu13) keep it in the tensorrt_libs package
            import tensorrt_libs
            names += [str(p) for p in Path(tensorrt_libs.__file__).parent.glob("libnvinfer.so.10*")]
        except ImportError:
            pass
    for name in names:
        try:
            ctypes.CDLL(name)
            return True
        except OSError:
            continue
    return False


def gpu_unavailable_reason(device: str) -> Optional[str]:
    """Why ``device`` (cuda or tensorrt) cannot run here, or None if it may."""
    if PROVIDERS[device] not in ort.get_available_providers():
        return f"this onnxruntime build has no {PROVIDERS[device]} (install onnxruntime-gpu)"
    if nvidia_gpu_count() == 0:
        return "no NVIDIA GPU with a working driver was found"
    if device == "tensorrt" and not tensorrt_loads():
        return ("TensorRT 10 (libnvinfer.so.10) was not found: pip install 'tensorrt-cu13<11', or add it to "
                "LD_LIBRARY_PATH")
    return None


def create_session(model: bytes | str, device: str = "auto", options: Optional[ort.SessionOptions] = None,
                   provider_options: Optional[dict[str, str]] = None) -> ort.InferenceSession:
    """An InferenceSession on ``device``; ``auto`` takes the first of TensorRT, CUDA, CPU that really loads.
    ``provider_options`` go to the GPU provider of an explicit ``cuda`` or ``tensorrt`` device.

    Raises UserError when an explicitly requested GPU device cannot run.
    """
    if device not in DEVICES:
        raise UserError(f"unknown device {device!r} (valid: {', '.join(DEVICES)})")
    candidates = ["tensorrt", "cuda", "cpu"] if device == "auto" else [device]
    reasons = []
    for candidate in candidates:
        if candidate != "cpu":
            reason = gpu_unavailable_reason(candidate)
            if reason:
                reasons.append(f"{candidate}: {reason}")
                continue
            _preload_gpu_libraries()
        session = _try_session(model, candidate, options, provider_options if device != "auto" else None)
        if session is not None:
            return session
        missing = "TensorRT 10" if candidate == "tensorrt" else "CUDA 13 / cuDNN 9"
        reasons.append(f"{candidate}: {PROVIDERS[candidate]} did not load ({missing} libraries missing? "
                       "pip install 'ganzoo[gpu]')")
    raise UserError(f"device {device} is not available: {'; '.join(reasons)}")


def _try_session(model, device, options, provider_options=None) -> Optional[ort.InferenceSession]:
    options = options or ort.SessionOptions()
    options.log_severity_level = ERROR_SEVERITY
    first = (PROVIDERS[device], provider_options) if provider_options and device != "cpu" else PROVIDERS[device]
    providers = [first] + ([] if device == "cpu" else [PROVIDERS["cpu"]])
    if device == "cpu":
        return ort.InferenceSession(model, sess_options=options, providers=providers)
    with captured_output() as printed:  # a provider that fails to load prints errors, then falls back
        try:
            session = ort.InferenceSession(model, sess_options=options, providers=providers)
        except Exception as error:  # noqa: BLE001 - onnxruntime raises its own types for a provider that fails
            session, failure = None, error
        else:
            failure = None
        output = printed()
    if session is None or session.get_providers()[0] != PROVIDERS[device]:
        log.debug("%s did not load: %s %s", device, failure or "", output)
        return None
    return session


def _preload_gpu_libraries() -> None:
    """Let onnxruntime find CUDA/cuDNN from the nvidia-* wheels of the `gpu` extra (onnxruntime >= 1.21)."""
    preload = getattr(ort, "preload_dlls", None)
    if preload:
        try:
            preload()
        except Exception as error:  # noqa: BLE001 - best effort; the session check decides
            log.debug("preload_dlls: %s", error)


def device_of(session: ort.InferenceSession) -> str:
    """The device a session runs on: tensorrt, cuda or cpu."""
    first = session.get_providers()[0]
    return next((name for name, provider in PROVIDERS.items() if provider == first), first)
