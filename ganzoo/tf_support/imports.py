"""Import TensorFlow without its start-up chatter on the user's terminal.

TensorFlow's C++ runtime prints notices (oneDNN, missing CUDA drivers) before
its logging can be configured, so ``TF_CPP_MIN_LOG_LEVEL`` cannot silence
them; they are captured at the file-descriptor level during the import and
shown only if the import fails. Set ``GANZOO_TF_VERBOSE=1`` to see them.
"""

from __future__ import annotations

import contextlib
import os
import sys

from ganzoo_runtime.quiet import captured_output


def import_tensorflow(start_runtime: bool = True):
    """Import and return ``tensorflow``, quietly unless GANZOO_TF_VERBOSE is set.

    ``start_runtime=False`` leaves TensorFlow's runtime unstarted, so that devices
    can still be configured (ganzoo.training.distribution); :func:`start_runtime` then starts it.
    """
    with quiet():
        import tensorflow
        if start_runtime:
            tensorflow.constant(0)  # initialises the runtime, which prints the rest of the notices
    return tensorflow


def start_runtime() -> None:
    import_tensorflow(start_runtime=True)


@contextlib.contextmanager
def quiet():
    """Capture file descriptor 2 (where TensorFlow's C++ runtime prints); show it only on failure."""
    if os.environ.get("GANZOO_TF_VERBOSE"):
        yield
        return
    # 3: grappler logs harmless optimizer failures as errors; real ones still raise.
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    shown = ""
    try:
        with captured_output((2,)) as captured:
            try:
                yield
            except BaseException:
                shown = captured()
                raise
    finally:
        sys.stderr.write(shown)  # after the descriptor is restored
