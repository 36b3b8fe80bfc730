"""A one-line progress report on a terminal for long sampling runs (silent when stderr is not a terminal)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_INTERVAL_S = 0.5


class ProgressLine:
    """Call with the number of images done so far; rewrites one line with the count, rate and time left."""

    def __init__(self, total: int, stream: TextIO | None = None):
        self.total, self.stream = total, stream or sys.stderr
        self.enabled = self.stream.isatty()
        self.started = self.shown = time.perf_counter()

    def __call__(self, done: int) -> None:
        now = time.perf_counter()
        if not self.enabled or (now - self.shown < MIN_INTERVAL_S and done < self.total):
            return
        self.shown = now
        rate = done / max(now - self.started, 1e-9)
        left = (self.total - done) / rate if rate else 0
        end = "\n" if done >= self.total else ""
        self.stream.write(f"\r{done:,}/{self.total:,} images, {rate:,.0f} images/s, {left:.0f} s left  {end}")
        self.stream.flush()
