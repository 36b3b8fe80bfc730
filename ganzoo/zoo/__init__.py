"""The shelf: pretrained generators with model cards, sampled offline and without TensorFlow.

An entry is a folder holding ``generator.onnx``, ``card.json`` and
``grid.png``. ganzoo's own entries live in ``ganzoo/zoo/entries/``; a plugin
adds its own through the ``ganzoo.zoo`` entry-point group, whose entries name
a module attribute holding the folder that contains its entry folders.
``zoo:NAME`` is accepted wherever an ``.onnx`` file is.
"""
