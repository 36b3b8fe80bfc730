"""Silencing native libraries that print straight to the terminal.

onnxruntime (a GPU provider that fails to load) and TensorFlow (start-up
notices) write to file descriptors 1 and 2 from C++, below Python's
``sys.stdout``/``sys.stderr``, so only redirecting the descriptors keeps such
text off a user's terminal. What was captured is handed back to the caller,
who shows or logs it when it matters.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Callable, Iterator


@contextlib.contextmanager
def captured_output(descriptors: tuple[int, ...] = (1, 2)) -> Iterator[Callable[[], str]]:
    """Redirect ``descriptors`` to a temporary file for the block; yields a function that returns the text."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = {fd: os.dup(fd) for fd in descriptors}
    with tempfile.TemporaryFile() as capture:
        for fd in descriptors:
            os.dup2(capture.fileno(), fd)

        def text() -> str:
            capture.seek(0)
            return capture.read().decode(errors="replace")

        try:
            yield text
        finally:
            sys.stdout.flush()  # Python-level prints made in the block go to the capture too
            sys.stderr.flush()
            for fd, original in saved.items():
                os.dup2(original, fd)
                os.close(original)
