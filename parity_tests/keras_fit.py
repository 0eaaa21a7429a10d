"""``model.fit`` with a ``warmup_keras`` schedule, recording the lrs: run by ``test_keras.py`` in
process on Keras's JAX back end and in a subprocess on its torch back end (Keras reads
``KERAS_BACKEND`` once, at its first import, so this module imports no other back end)."""

from __future__ import annotations

from typing import Any

import keras
import numpy as np

import warmup_keras

FIT_CFG = {"schedule": "warmup_cosine_decay", "peak_value": 0.1, "warmup_steps": 3, "total_steps": 10,
           "end_value": 0.01}


def fit_lrs(cfg: dict[str, Any]) -> dict[str, list[float]]:
    """``model.fit`` (12 updates: 2 epochs of 6 batches) of ``Dense(1)`` with SGD on our schedule:
    the lr the optimizer reports before each update and the lr the update used (the bias moved
    by ``lr * grad``, the gradient computed here from the batch)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=warmup_keras.schedule_from_config(cfg)), loss="mse")
    x = np.linspace(-1.0, 1.0, 24, dtype="float32").reshape(12, 2)
    y = np.full((12, 1), 5.0, "float32")
    out: dict[str, list[float]] = {"iteration": [], "reported": []}
    weights: list[tuple[np.ndarray, float]] = []

    def params() -> tuple[np.ndarray, float]:
        w, b = model.layers[0].get_weights()
        return w.astype(np.float64), float(b[0])

    class Record(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            opt = self.model.optimizer
            out["iteration"].append(int(keras.ops.convert_to_numpy(opt.iterations)))
            out["reported"].append(float(keras.ops.convert_to_numpy(opt.learning_rate)))
            weights.append(params())

    model.fit(x, y, batch_size=2, epochs=2, shuffle=False, verbose=0, callbacks=[Record()])
    weights.append(params())
    out["used"] = []
    for k, ((w, b), (_, b_next)) in enumerate(zip(weights, weights[1:])):
        xb = x[2 * (k % 6): 2 * (k % 6) + 2].astype(np.float64)
        grad_b = 2.0 * float(np.mean(xb @ w[:, 0] + b - y[:2, 0]))  # d mse / d bias
        out["used"].append((b - b_next) / grad_b)
    return out
