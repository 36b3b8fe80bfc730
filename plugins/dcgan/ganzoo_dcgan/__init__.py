"""ganzoo's default plugin: the DCGAN of TensorFlow's MNIST tutorial and its losses.

Registered only through entry points (see the root ``pyproject.toml``), exactly
as a third-party plugin would be.
"""
