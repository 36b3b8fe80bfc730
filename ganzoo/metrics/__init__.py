"""Sample-quality metrics in the feature space of a small MNIST classifier that ganzoo ships as ONNX.

Everything here runs on numpy and onnxruntime: evaluating an ``.onnx``
generator never imports TensorFlow.
"""
