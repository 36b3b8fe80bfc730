"""The plugin contract and its machinery: the records a plugin provides (interfaces, architecture), finding them
through entry points behind the allow-list (discovery), loading and building a run's plugins (run_plugins,
models), how a generator takes its inputs (generator_inputs), and checking installed plugins (check).

Plugin authors import the public names from ``ganzoo`` itself (``from ganzoo import Architecture``), and test
with ``ganzoo.testing``; the modules here are ganzoo's own.
"""
