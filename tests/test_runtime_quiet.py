"""Native libraries' prints (onnxruntime's GPU provider errors) are kept off the terminal, and handed back."""

from __future__ import annotations

import subprocess
import sys

SCRIPT = """
import os
from ganzoo_runtime.quiet import captured_output
with captured_output() as text:
    os.write(1, b"native stdout\\n")
    os.write(2, b"native stderr\\n")
    print("python print")
    seen = text()
print("visible")
print("captured:", repr(seen))
"""


def test_captured_output_hides_native_and_python_prints_and_returns_the_native_ones():
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == "visible"  # "python print" went to the capture, not the terminal
    assert "native stdout" in lines[1] and "native stderr" in lines[1]

