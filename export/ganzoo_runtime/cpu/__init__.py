"""The CPU form of a portable generator file: graph rewrites that onnxruntime's CPU kernels run faster, verified and cached."""
