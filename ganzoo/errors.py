"""Errors the user can fix; the CLI prints them as one line and exits 2.

The class lives in the TensorFlow-free runtime so that both sides raise the same one.
"""

from ganzoo_runtime.errors import UserError

__all__ = ["UserError"]
