"""Ctrl-C around TensorFlow work that would swallow it.

A KeyboardInterrupt raised while TensorFlow traces a function can come out as
an unrelated error (seen: a TypeError from ``make_tensor_proto`` during a
SavedModel export), so the CLI could not tell Ctrl-C from a failure. Inside
:func:`deferred_ctrl_c` the first Ctrl-C is only recorded and raised when the
block ends, before anything is committed; a second one raises at once.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator


@contextlib.contextmanager
def deferred_ctrl_c() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():  # only the main thread receives signals
        yield
        return
    requested = []

    def record(signum, frame):
        if requested:
            raise KeyboardInterrupt
        requested.append(signum)

    previous = signal.signal(signal.SIGINT, record)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if requested:
        raise KeyboardInterrupt
