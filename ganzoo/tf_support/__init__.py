"""Living with TensorFlow: importing it quietly, and Ctrl-C around work that would swallow it."""
