"""The one error type for bad user input, shared by ganzoo and its runtime."""


class UserError(Exception):
    """Bad input from the user (a name, a value, a path); shown as one line, exit code 2."""


class NotOnnxError(UserError):
    """The file is no ONNX model that onnxruntime can load (an image, a damaged or truncated file)."""


def no_truncation_input(what: str) -> UserError:
    """``--truncation`` given for a generator (an .onnx file or a run) without the input."""
    return UserError(f"{what} has no truncation input: --truncation applies to style-based generators (such as "
                     "stylegan)")
