"""Train the MNIST classifier whose features ganzoo's metrics use, and write it as ONNX.

    python -m ganzoo.metrics.train_feature_network [--output-dir ganzoo/metrics/data]

Data: the 5,000 MNIST images embedded in ganzoo (500 per digit). 100 images of
each digit, chosen with seed 0 (``heldout_split``), are held out; the network
trains on the other 4,000 with seed 0 and deterministic ops, and its accuracy
on the 1,000 held-out images is recorded in ``mnist_classifier.json`` next to
the weights, with the file's sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from pathlib import Path

import numpy as np

from ganzoo.metrics.feature_network import FEATURE_SHAPE, SPLIT_SEED, heldout_split, to_network_input

EPOCHS = 25
BATCH_SIZE = 64
FEATURES = 128


def build_classifier():
    import keras
    from keras import layers
    inputs = keras.Input(FEATURE_SHAPE, name="images")
    x = layers.RandomTranslation(0.08, 0.08, fill_mode="constant", fill_value=-1.0)(inputs)
    x = layers.Conv2D(32, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(64, 3, activation="relu")(x)
    x = layers.MaxPooling2D()(x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.4)(x)
    features = layers.Dense(FEATURES, activation="relu", name="features")(x)
    logits = layers.Dense(10, name="logits")(layers.Dropout(0.4)(features))
    # Trained on its logits; exported with both outputs (the layers are shared).
    return keras.Model(inputs, logits), keras.Model(inputs, [features, logits])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", type=Path, default=Path(__file__).parent / "data")
    args = parser.parse_args()

    from ganzoo.tf_support.imports import import_tensorflow
    tf = import_tensorflow()
    import keras
    import onnx
    import tf2onnx

    from ganzoo.datasets.keras_datasets import mnist_5k
    from ganzoo_runtime.providers import create_session

    keras.utils.set_random_seed(SPLIT_SEED)
    tf.config.experimental.enable_op_determinism()
    data = mnist_5k()
    train, heldout = heldout_split(data.labels)
    x = to_network_input(data.images)
    classifier, model = build_classifier()
    classifier.compile(optimizer=keras.optimizers.Adam(1e-3),
                       loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    classifier.fit(x[train], data.labels[train], epochs=EPOCHS, batch_size=BATCH_SIZE, verbose=2)

    signature = [tf.TensorSpec([None, *FEATURE_SHAPE], tf.float32, name="images")]

    @tf.function(input_signature=signature)
    def network(images):
        features, logits = model(images, training=False)
        return {"features": features, "logits": logits}

    onnx_model, _ = tf2onnx.convert.from_function(network, input_signature=signature, opset=17)
    onnx.checker.check_model(onnx_model, full_check=True)
    data_bytes = onnx_model.SerializeToString()
    session = create_session(data_bytes, "cpu")
    logits = session.run(["logits"], {"images": x[heldout]})[0]
    accuracy = float(np.mean(logits.argmax(axis=1) == data.labels[heldout]))
    keras_logits = np.asarray(classifier(x[heldout], training=False))
    args.output_dir.mkdir(parents=True, exist_ok=True)
    (args.output_dir / "mnist_classifier.onnx").write_bytes(data_bytes)
    record = {
        "data": "the embedded MNIST subset (ganzoo/datasets/data/mnist_5k.npz)",
        "split": f"heldout_split(labels, seed={SPLIT_SEED}): 100 images per digit held out (1,000), 4,000 for training",
        "train_images": int(len(train)), "heldout_images": int(len(heldout)),
        "seed": SPLIT_SEED, "epochs": EPOCHS, "batch_size": BATCH_SIZE, "features": FEATURES,
        "heldout_accuracy": accuracy,
        "onnx_vs_keras_max_logit_difference": float(np.abs(logits - keras_logits).max()),
        "tensorflow": tf.__version__, "keras": keras.__version__,
        "sha256": hashlib.sha256(data_bytes).hexdigest(),
    }
    (args.output_dir / "mnist_classifier.json").write_text(json.dumps(record, indent=2) + "\n")
    print(f"held-out accuracy {accuracy:.4f}; wrote {args.output_dir / 'mnist_classifier.onnx'}")


if __name__ == "__main__":
    main()
