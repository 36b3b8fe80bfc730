"""The shelf: pretrained generators with model cards, sampled offline and without TensorFlow.

An entry is a folder holding ``generator.onnx``, ``card.json`` and
``grid.png``. ganzoo's own entries live in ``ganzoo/zoo/entries/``; a plugin
adds its own through the ``ganzoo.zoo`` entry-point group (one of discovery's
GROUPS, behind the same allow-list), whose entries name the folder holding
its entry folders, written like a module (``package.folder``) and found from
the package's location without importing it.
``zoo:NAME`` is accepted wherever an ``.onnx`` file is.
"""
