"""Exporting a trained generator: ONNX (verified before it is written) and SavedModel."""


class ExportVerificationError(Exception):
    """The exported model failed its checks; nothing was written."""
