"""The ``ganzoo`` command line (click). TensorFlow is imported only by commands that train."""
