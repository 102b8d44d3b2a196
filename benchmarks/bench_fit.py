"""Benchmark (d): `model.fit` steps/s, keras_embedding vs the Keras Embedding.

The model is a small text classifier, ids -> Embedding -> GlobalAveragePooling1D
-> Dense(1), trained with the active Keras's own optimizers on synthetic data.
For each optimizer, one model per embedding layer is built and compiled, both
get a warm-up fit (tracing), then short fits alternate between the two. A
sample is the steps/s between the end of the first step and the end of the
last step of one fit call, so neither iterator set-up nor the first step
(which may still warm caches) is counted.
"""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass, field
from typing import Any

import tensorflow as tf
from bench_cases import SEED, Shape

from keras_embedding import Embedding
from keras_embedding._compat import keras

OPTIMIZERS = ("sgd", "adagrad", "rmsprop", "adam")
LAYERS = ("keras", "keras_embedding")
# Distinct batches the dataset cycles through.
DATA_BATCHES = 8
# One short epoch per call; the dataset is a repeated cache, so there is
# nothing to shuffle (and Keras warns when asked to).
_FIT_ARGS: dict[str, Any] = {"epochs": 1, "verbose": 0, "shuffle": False}


@dataclass
class FitTiming:
    """Steps/s samples of one (optimizer, layer) pair, one per round."""

    steps_per_s: list[float] = field(default_factory=list)
    steps_per_sample: int = 0
    jit_compile: Any = None

    @property
    def median(self) -> float:
        """Median steps/s over the rounds."""
        return statistics.median(self.steps_per_s)


class _StepClock(keras.callbacks.Callback):
    """Records the wall time at the end of every training step.

    Overriding `on_train_batch_end` also makes Keras run the batch hooks
    synchronously, so each stamp is taken after the step's results exist.
    """

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[float] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        self.stamps = []

    def on_train_batch_end(
        self, batch: int, logs: dict[str, Any] | None = None
    ) -> None:
        self.stamps.append(time.perf_counter())

    def steps_per_s(self) -> float:
        """Steps/s from the first to the last recorded step."""
        return (len(self.stamps) - 1) / (self.stamps[-1] - self.stamps[0])


def _dataset(shape: Shape) -> tf.data.Dataset:
    rng = tf.random.Generator.from_seed(SEED)
    rows = shape.batch * DATA_BATCHES
    ids = rng.uniform((rows, shape.seq_len), 0, shape.vocab, dtype=tf.int32)
    targets = rng.normal((rows, 1))
    return (
        tf.data.Dataset.from_tensor_slices((ids, targets))
        .batch(shape.batch, drop_remainder=True)
        .cache()
        .repeat()
    )


def _model(layer_name: str, optimizer: str, shape: Shape) -> Any:
    if layer_name == "keras":
        embedding = keras.layers.Embedding(shape.vocab, shape.dim)
    else:
        embedding = Embedding(shape.vocab, shape.dim)
    inputs = keras.Input(shape=(shape.seq_len,), dtype="int32")
    pooled = keras.layers.GlobalAveragePooling1D()(embedding(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1)(pooled))
    model.compile(
        optimizer=keras.optimizers.get(optimizer),
        loss=keras.losses.MeanSquaredError(),
    )
    return model


def fit_benchmark(
    shape: Shape,
    optimizer: str,
    device: str,
    rounds: int,
    min_sample_s: float,
    max_steps: int,
) -> dict[str, FitTiming]:
    """Steps/s of both layers under `optimizer`, interleaved over `rounds`.

    Args:
        shape: table and batch sizes.
        optimizer: a Keras optimizer name (defaults of the active Keras).
        device: TF device the models are built and trained on.
        rounds: samples per layer.
        min_sample_s: aim for fits of at least this long.
        max_steps: but never more steps than this per fit (and at least 3).

    Returns:
        Layer name -> `FitTiming`.
    """
    clock = _StepClock()
    timings = {name: FitTiming() for name in LAYERS}
    with tf.device(device):
        data = _dataset(shape)
        models = {name: _model(name, optimizer, shape) for name in LAYERS}
        for name, model in models.items():
            model.fit(data, steps_per_epoch=3, **_FIT_ARGS, callbacks=[clock])
            step_s = 1.0 / clock.steps_per_s()
            steps = min(max_steps, max(3, math.ceil(min_sample_s / step_s) + 1))
            timings[name].steps_per_sample = steps
            timings[name].jit_compile = _resolved_jit(model)
        for r in range(rounds):
            order = LAYERS if r % 2 == 0 else LAYERS[::-1]
            for name in order:
                models[name].fit(
                    data,
                    steps_per_epoch=timings[name].steps_per_sample,
                    **_FIT_ARGS,
                    callbacks=[clock],
                )
                timings[name].steps_per_s.append(clock.steps_per_s())
    return timings


def _resolved_jit(model: Any) -> Any:
    """Whether fit compiled the step with XLA (Keras 3 decides "auto" itself)."""
    return getattr(model, "jit_compile", getattr(model, "_jit_compile", None))
