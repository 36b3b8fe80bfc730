"""An exponential moving average of the generator's weights (``--ema DECAY``).

The average lives in a second instance of the generator, so it can sample,
be evaluated and be checkpointed like the trained one. After every generator
update each of its variables moves towards the trained one's:
``average = decay * average + (1 - decay) * value``. BatchNorm's moving
statistics are averaged too: they are weights of the averaged network.
"""

from __future__ import annotations

import keras


class GeneratorEMA:
    """The averaged generator (``generator``) and the rule that updates it."""

    def __init__(self, average: keras.Model, trained: keras.Model, decay: float):
        if not 0 < decay < 1:
            raise ValueError(f"EMA decay must be between 0 and 1, got {decay}")
        self.generator = average
        self.decay = decay
        for target, value in zip(self.variables, trained.variables):
            target.assign(value)  # start from the trained weights (a checkpoint may overwrite both)

    @property
    def variables(self) -> list:
        return self.generator.variables

    def update(self, trained: keras.Model) -> None:
        """Inside a training step: move every variable towards ``trained``'s."""
        for average, value in zip(self.variables, trained.variables):
            average.assign(self.decay * average + (1 - self.decay) * value)
