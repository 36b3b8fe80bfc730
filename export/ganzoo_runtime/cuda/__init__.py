"""Making a portable generator file fast on CUDA (see ganzoo_runtime.cuda.form)."""
