"""Runs one lazy-optimizer scenario in a fresh process and writes its findings.

    python tests/_optimizers_worker.py SCENARIO OUT_JSON

Started by `tests/test_optimizers.py`, for the reason given in
`tests/_distribute_worker.py`, whose data, cluster and comparison helpers it
reuses: logical devices and cluster connections are process-wide.

Scenarios:
    mirrored: each lazy optimizer under MirroredStrategy over 2 logical CPUs
        against one device, on the same global batches.
    ps: LazyAdam on a table sharded over 2 parameter servers (tf_keras).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import tensorflow as tf
from _distribute_worker import (
    DIM,
    GLOBAL_BATCH,
    LENGTH,
    STEPS,
    VOCAB,
    global_batches,
    in_process_cluster,
    initial_weights,
    max_abs_diff,
    ps_strategy,
    replica_dataset,
    trained_weights,
)

# Lazy optimizer name -> its arguments: every update formula with state.
OPTIMIZERS = {
    "LazyAdam": {"learning_rate": 0.1, "amsgrad": True},
    "LazyAdagrad": {"learning_rate": 0.5},
    "LazyRMSprop": {"learning_rate": 0.05, "momentum": 0.5, "centered": True},
    "LazySGD": {"learning_rate": 0.5, "momentum": 0.9, "nesterov": True},
}


def build_model(optimizer_name: str) -> Any:
    """Embedding(mask_zero) -> masked average -> Dense, with a lazy optimizer."""
    from keras_embedding import Embedding, optimizers
    from keras_embedding._compat import keras

    table, kernel, bias = initial_weights()
    constant = keras.initializers.Constant
    inputs = keras.Input((LENGTH,), dtype="int32")
    embedding = Embedding(
        VOCAB, DIM, init=constant(table), mask_zero=True, name="table"
    )
    hidden = keras.layers.GlobalAveragePooling1D()(embedding(inputs))
    dense = keras.layers.Dense(
        1,
        kernel_initializer=constant(kernel),
        bias_initializer=constant(bias),
        name="head",
    )
    model = keras.Model(inputs, dense(hidden))
    optimizer = getattr(optimizers, optimizer_name)(**OPTIMIZERS[optimizer_name])
    model.compile(optimizer=optimizer, loss=keras.losses.MeanSquaredError())
    return model


def single_device_weights(optimizer_name: str) -> list[np.ndarray]:
    ids, targets = global_batches()
    model = build_model(optimizer_name)
    data = tf.data.Dataset.from_tensor_slices((ids, targets)).batch(GLOBAL_BATCH)
    model.fit(data, epochs=1, verbose=0)
    return trained_weights(model)


def shared_rows(replicas: int) -> int:
    """Rows that more than one replica looks up in the same step."""
    ids = global_batches()[0].reshape(STEPS, replicas, -1)
    count = 0
    for step in ids:
        seen = [set(part.tolist()) for part in step]
        count += len(set.intersection(*seen))
    return count


def mirrored(out: dict[str, Any]) -> None:
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    out["replicas"] = strategy.num_replicas_in_sync
    out["optimizers"] = {}
    for name in OPTIMIZERS:
        with strategy.scope():
            model = build_model(name)
        data = strategy.distribute_datasets_from_function(replica_dataset)
        model.fit(data, epochs=1, steps_per_epoch=STEPS, verbose=0)
        weights = trained_weights(model)
        out["optimizers"][name] = {
            "max_abs_diff": max_abs_diff(weights, single_device_weights(name)),
            "table_trained": bool(np.any(weights[0] != initial_weights()[0])),
            "shared_rows": shared_rows(strategy.num_replicas_in_sync),
        }


def shard_step_graph(strategy: tf.distribute.Strategy, vocab: int) -> dict[str, Any]:
    """Types of the per-shard gradients, and shard-sized tensors in a step."""
    from keras_embedding import Embedding, optimizers

    with strategy.scope():
        layer = Embedding(vocab, 2)
        layer.build((None, LENGTH))
        optimizer = optimizers.LazyAdam()
        shards = layer.embeddings.variables
        optimizer.build(shards)
    found: dict[str, Any] = {}

    @tf.function(input_signature=[tf.TensorSpec((None, LENGTH), tf.int32)])
    def step(ids: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(ids, training=True))
        gradients = tape.gradient(loss, shards)
        found["gradient_types"] = [type(g).__name__ for g in gradients]
        optimizer.apply_gradients(zip(gradients, shards, strict=True))

    graph = step.get_concrete_function().graph
    sizes = {shard.shape[0] for shard in shards}
    found["shard_sized_ops"] = sorted(
        {
            op.type
            for op in graph.get_operations()
            for t in (*op.inputs, *op.outputs)
            if t.dtype != tf.resource
            and t.shape.rank
            and sizes & set(t.shape.as_list())
        }
    )
    return found


def ps(out: dict[str, Any]) -> None:
    from keras_embedding._compat import keras

    strategy = ps_strategy(in_process_cluster(workers=1, parameter_servers=2), 2)
    ids, targets = global_batches()

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        data = tf.data.Dataset.from_tensor_slices((ids, targets))
        return data.batch(GLOBAL_BATCH).repeat()

    with strategy.scope():
        model = build_model("LazyAdam")
    out["shards"] = len(model.get_layer("table").embeddings.variables)
    creator = keras.utils.experimental.DatasetCreator(dataset_fn)
    model.fit(creator, epochs=1, steps_per_epoch=STEPS, verbose=0)
    weights = trained_weights(model)
    out["max_abs_diff"] = max_abs_diff(weights, single_device_weights("LazyAdam"))
    out["table_trained"] = bool(np.any(weights[0] != initial_weights()[0]))
    out.update(shard_step_graph(strategy, vocab=200_003))


SCENARIOS: dict[str, Callable[[dict[str, Any]], None]] = {
    "mirrored": mirrored,
    "ps": ps,
}


def main(scenario: str, out_path: str) -> None:
    out: dict[str, Any] = {}
    SCENARIOS[scenario](out)
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
