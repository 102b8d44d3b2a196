"""Runs one distributed scenario in a fresh process and writes its findings.

    python tests/_distribute_worker.py SCENARIO OUT_JSON

`tests/test_distribute.py` starts this script because every scenario changes
process-wide TensorFlow state that cannot be undone: logical CPU devices must
be declared before TF initialises its devices, MultiWorkerMirroredStrategy
and ParameterServerStrategy connect the eager context to a cluster. The script
only measures; the test process makes the assertions, so a failure message
shows the numbers.

Scenarios:
    mirrored: MirroredStrategy over 2 logical CPUs.
    mwms: one worker of a MultiWorkerMirroredStrategy cluster (TF_CONFIG).
    ps: ParameterServerStrategy on an in-process loopback cluster.
"""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np
import tensorflow as tf

VOCAB = 24
DIM = 4
LENGTH = 5
GLOBAL_BATCH = 8
STEPS = 6
SEED = 11
LEARNING_RATE = 0.5


def global_batches() -> tuple[np.ndarray, np.ndarray]:
    """Ids (about a third of them padding zeros) and targets for every step."""
    rng = np.random.RandomState(0)
    ids = rng.randint(1, VOCAB, size=(STEPS * GLOBAL_BATCH, LENGTH))
    ids[rng.rand(*ids.shape) < 0.3] = 0
    targets = rng.randn(STEPS * GLOBAL_BATCH, 1).astype("float32")
    return ids.astype("int32"), targets


def initial_weights() -> list[np.ndarray]:
    """Starting weights shared by every model, so runs are comparable."""
    rng = np.random.RandomState(1)
    return [
        rng.uniform(-0.5, 0.5, size=(VOCAB, DIM)).astype("float32"),
        rng.uniform(-0.5, 0.5, size=(DIM, 1)).astype("float32"),
        np.zeros(1, "float32"),
    ]


def build_model(dropout: float) -> Any:
    """Embedding(mask_zero) -> masked average -> Dense, compiled with SGD.

    Plain SGD updates the table sparsely on both Keras flavours, and the
    masked average makes `mask_zero` part of what the comparison checks. The
    starting weights come in through initializers, which every strategy
    honours on every replica and shard.
    """
    from keras_embedding import Embedding
    from keras_embedding._compat import keras

    table, kernel, bias = initial_weights()
    constant = keras.initializers.Constant
    inputs = keras.Input((LENGTH,), dtype="int32")
    embedding = Embedding(
        VOCAB, DIM, init=constant(table), mask_zero=True, dropout=dropout, seed=SEED
    )
    hidden = keras.layers.GlobalAveragePooling1D()(embedding(inputs))
    dense = keras.layers.Dense(
        1, kernel_initializer=constant(kernel), bias_initializer=constant(bias)
    )
    model = keras.Model(inputs, dense(hidden))
    model.compile(
        optimizer=keras.optimizers.SGD(LEARNING_RATE),
        loss=keras.losses.MeanSquaredError(),
    )
    return model


def trained_weights(model: Any) -> list[np.ndarray]:
    """The model's trainable weights (the table first) as numpy arrays."""
    return [np.asarray(v.numpy()) for v in model.trainable_weights]


def single_device_weights(dropout: float) -> list[np.ndarray]:
    """The truth: plain training on the same global batches, in order."""
    ids, targets = global_batches()
    model = build_model(dropout)
    data = tf.data.Dataset.from_tensor_slices((ids, targets)).batch(GLOBAL_BATCH)
    model.fit(data, epochs=1, verbose=0)
    return trained_weights(model)


def replica_dataset(context: tf.distribute.InputContext) -> tf.data.Dataset:
    """This input pipeline's share of every global batch, one per local replica.

    Each global batch is split evenly over the replicas, so the replicas'
    mean losses, scaled by 1 / num_replicas and summed, are the mean loss of
    the global batch: single-device training sees exactly the same gradient.
    """
    ids, targets = global_batches()
    per_replica = context.get_per_replica_batch_size(GLOBAL_BATCH)
    local = context.num_replicas_in_sync // context.num_input_pipelines
    first = context.input_pipeline_id * local
    xs, ys = [], []
    for step in range(STEPS):
        for replica in range(first, first + local):
            start = step * GLOBAL_BATCH + replica * per_replica
            xs.append(ids[start : start + per_replica])
            ys.append(targets[start : start + per_replica])
    # Consecutive elements go to consecutive local replicas.
    return tf.data.Dataset.from_tensor_slices((np.stack(xs), np.stack(ys)))


def fit_works(strategy: tf.distribute.Strategy) -> bool:
    """Whether Keras's own `model.fit` runs under `strategy`.

    Keras 3's `fit` fails before the first step under
    MultiWorkerMirroredStrategy: it reduces the first (x, y) batch across
    workers to learn its shapes, which that strategy cannot do for a tuple
    (keras-team/keras#20585). tf_keras's `fit` works.
    """
    from keras_embedding._compat import IS_KERAS3

    multi_worker = isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
    return not (IS_KERAS3 and multi_worker)


def train_in_custom_loop(
    strategy: tf.distribute.Strategy, model: Any, data: Any
) -> None:
    """The training loop Keras's documentation gives for `fit`-less training.

    Each replica's loss is its examples' squared errors over the global batch
    size, so the summed replica gradients are those of the global mean, as in
    `fit`; `apply_gradients` does the cross-replica reduction.
    """
    iterator = iter(data)

    def replica_step(ids: tf.Tensor, targets: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            errors = tf.square(model(ids, training=True) - targets)
            loss = tf.nn.compute_average_loss(
                tf.reduce_mean(errors, axis=-1), global_batch_size=GLOBAL_BATCH
            )
        variables = model.trainable_variables
        gradients = tape.gradient(loss, variables)
        model.optimizer.apply_gradients(zip(gradients, variables, strict=True))

    @tf.function
    def step() -> None:
        strategy.run(replica_step, args=next(iterator))

    for _ in range(STEPS):
        step()


def distributed_weights(
    strategy: tf.distribute.Strategy, dropout: float
) -> tuple[list[np.ndarray], list[str]]:
    """Trains under `strategy`; returns the weights and the reduced grad types."""
    with strategy.scope():
        model = build_model(dropout)
    data = strategy.distribute_datasets_from_function(replica_dataset)
    with recorded_reductions() as seen:
        if fit_works(strategy):
            model.fit(data, epochs=1, steps_per_epoch=STEPS, verbose=0)
        else:
            train_in_custom_loop(strategy, model, data)
    return trained_weights(model), seen


def _table_like(value: Any) -> bool:
    if isinstance(value, tf.distribute.DistributedValues):
        value = value.values[0]
    shape = value.dense_shape if isinstance(value, tf.IndexedSlices) else None
    if shape is not None:
        return tf.get_static_value(shape) is not None and tuple(
            tf.get_static_value(shape)
        ) == (VOCAB, DIM)
    return tuple(getattr(value, "shape", ())) == (VOCAB, DIM)


def _type_name(value: Any) -> str:
    if isinstance(value, tf.distribute.DistributedValues):
        value = value.values[0]
    return type(value).__name__


@contextmanager
def recorded_reductions() -> Iterator[list[str]]:
    """Records the type of every table-shaped value handed to a reduction.

    Keras reduces gradients through `ReplicaContext.all_reduce`, which either
    calls `StrategyExtended.batch_reduce_to` from a merge call or reduces
    directly (MultiWorkerMirroredStrategy); tf_keras may also call
    `batch_reduce_to` itself. Wrapping both public entry points sees every
    path. Tracing runs the Python, so the types are those inside `fit`.
    """
    seen: list[str] = []
    context_cls = tf.distribute.ReplicaContext
    extended_cls = tf.distribute.StrategyExtended
    all_reduce, batch_reduce_to = context_cls.all_reduce, extended_cls.batch_reduce_to

    def record(values: list[Any]) -> None:
        seen.extend(_type_name(v) for v in values if _table_like(v))

    def all_reduce_recorded(self: Any, reduce_op: Any, value: Any, *a: Any, **k: Any):
        record(tf.nest.flatten(value, expand_composites=False))
        return all_reduce(self, reduce_op, value, *a, **k)

    def batch_reduce_recorded(self: Any, reduce_op: Any, pairs: Any, *a: Any, **k: Any):
        pairs = list(pairs)
        record([value for value, _ in pairs])
        return batch_reduce_to(self, reduce_op, pairs, *a, **k)

    context_cls.all_reduce = all_reduce_recorded
    extended_cls.batch_reduce_to = batch_reduce_recorded
    try:
        yield seen
    finally:
        context_cls.all_reduce = all_reduce
        extended_cls.batch_reduce_to = batch_reduce_to


def max_abs_diff(a: list[np.ndarray], b: list[np.ndarray]) -> float:
    return float(max(np.max(np.abs(x - y)) for x, y in zip(a, b, strict=True)))


def replica_masks(strategy: tf.distribute.Strategy, steps: int) -> list[list[list]]:
    """For each step, each replica's kept rows (a training call on every id)."""
    from keras_embedding import Embedding
    from keras_embedding._compat import keras

    with strategy.scope():
        # A table of ones: a dropped row reads 0, a kept one 1 / (1 - rate).
        init = keras.initializers.Ones()
        layer = Embedding(VOCAB, DIM, init=init, dropout=0.5, seed=SEED)

    @tf.function
    def step() -> Any:
        def kept() -> tf.Tensor:
            rows = layer(tf.range(VOCAB)[tf.newaxis], training=True)[0]
            return tf.reduce_all(rows > 0, axis=-1)

        return strategy.run(kept)

    masks = []
    for _ in range(steps):
        local = strategy.experimental_local_results(step())
        masks.append([np.asarray(m).astype(int).tolist() for m in local])
    return masks


def compare_with_single_device(
    strategy: tf.distribute.Strategy, out: dict[str, Any]
) -> None:
    """Trains under `strategy` with dropout off and on, against one device."""
    out["replicas"] = strategy.num_replicas_in_sync
    out["trained_with"] = "fit" if fit_works(strategy) else "custom loop"
    trained = {}
    for dropout in (0.0, 0.5):
        weights, seen = distributed_weights(strategy, dropout)
        trained[dropout] = weights
        out[f"dropout_{dropout}"] = {
            "max_abs_diff": max_abs_diff(weights, single_device_weights(dropout)),
            "reduced_types": seen,
        }
    # Both runs must have trained, and dropout must have changed the result,
    # or the comparisons above prove nothing.
    out["table_trained"] = bool(np.any(trained[0.0][0] != initial_weights()[0]))
    out["dropout_mattered"] = max_abs_diff(trained[0.0], trained[0.5]) > 1e-3


def mirrored(out: dict[str, Any]) -> None:
    """MirroredStrategy over 2 logical CPUs of this process."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    compare_with_single_device(strategy, out)
    out["masks"] = replica_masks(strategy, steps=4)


def mwms(out: dict[str, Any]) -> None:
    """One worker of a 2-process MultiWorkerMirroredStrategy (see TF_CONFIG)."""
    compare_with_single_device(tf.distribute.MultiWorkerMirroredStrategy(), out)


SCENARIOS: dict[str, Callable[[dict[str, Any]], None]] = {
    "mirrored": mirrored,
    "mwms": mwms,
}


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that nothing listens on right now."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def main(scenario: str, out_path: str) -> None:
    out: dict[str, Any] = {}
    SCENARIOS[scenario](out)
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
