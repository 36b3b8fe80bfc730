"""Export a trained generator as a TensorFlow SavedModel (``serve`` endpoint), verified before it is moved into place."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ganzoo.errors import UserError
from ganzoo.exporting import ExportVerificationError
from ganzoo.exporting.onnx_export import PARITY_BATCHES, PARITY_SEED
from ganzoo.plugins.generator_inputs import generator_inputs
from ganzoo.tf_support.interrupts import deferred_ctrl_c
from ganzoo.training.restore import TrainedGenerator
from ganzoo_runtime.atomic import staging_folder
from ganzoo_runtime.latents import latent_vectors

TOLERANCE = 1e-5


def export_savedmodel(trained: TrainedGenerator, output: Path) -> float:
    """Write the SavedModel directory ``output``; returns the largest difference from Keras."""
    import tensorflow as tf

    if output.exists():
        raise UserError(f"{output} exists already: choose another --output or remove it")
    if not output.parent.is_dir():
        raise UserError(f"cannot write {output}: no such directory {output.parent}")
    try:
        # Complete or absent: a kill leaves no half-written model, Ctrl-C stops before the rename.
        with staging_folder(output) as staging, deferred_ctrl_c():
            trained.generator.export(str(staging), format="tf_saved_model", verbose=False)
            served = tf.saved_model.load(str(staging))
            largest = 0.0
            for batch in PARITY_BATCHES:
                z = latent_vectors(PARITY_SEED, batch, trained.config.latent_dim)
                inputs = generator_inputs(trained.generator, z)
                got = np.asarray(served.serve(inputs))
                largest = max(largest, float(np.abs(got - np.asarray(trained.generator(inputs, training=False))).max()))
            if largest > TOLERANCE:
                raise ExportVerificationError(f"the SavedModel differs from Keras by {largest:.3g}")
    except OSError as error:
        raise UserError(f"cannot write {output}: {error.strerror or error}") from None
    except (tf.errors.ResourceExhaustedError, tf.errors.PermissionDeniedError) as error:  # TensorFlow's own writes
        reason = "No space left on device" if "No space left" in error.message else error.message.splitlines()[0]
        raise UserError(f"cannot write {output}: {reason}") from None
    return largest
