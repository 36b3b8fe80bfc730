"""A training loop over ``strategy.run``, for ``MultiWorkerMirroredStrategy``.

Keras 3's ``fit()`` fails under that strategy (keras-team/keras#20585,
tensorflow/tensorflow#72388), so multi-worker runs are driven here: the same
``GAN.train_step`` and the same callbacks as ``fit()`` would run, one epoch
of ``steps_per_epoch`` global batches at a time.
"""

from __future__ import annotations

import keras
import tensorflow as tf


def fit_with_strategy(gan, strategy, batches: tf.data.Dataset, *, epochs: int, initial_epoch: int,
                      steps_per_epoch: int, callbacks: list, verbose: int) -> None:
    iterator = iter(strategy.experimental_distribute_dataset(batches))

    @tf.function
    def step(iterator):
        per_replica = strategy.run(gan.train_step, args=(next(iterator),))
        return {name: strategy.reduce(tf.distribute.ReduceOp.MEAN, value, axis=None)
                for name, value in per_replica.items()}

    callback_list = keras.callbacks.CallbackList(callbacks, add_progbar=verbose != 0, verbose=verbose,
                                                 epochs=epochs, steps=steps_per_epoch, model=gan)
    gan.stop_training = False
    logs: dict = {}
    callback_list.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        gan.reset_metrics()
        callback_list.on_epoch_begin(epoch)
        for batch in range(steps_per_epoch):
            callback_list.on_train_batch_begin(batch)
            logs = {name: float(value) for name, value in step(iterator).items()}
            callback_list.on_train_batch_end(batch, logs)
            if gan.stop_training:
                break
        callback_list.on_epoch_end(epoch, dict(logs))
        if gan.stop_training:
            break
    callback_list.on_train_end(logs)
