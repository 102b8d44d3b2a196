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
    cluster: only starts the in-process cluster (tests the port handling).
    mirrored_activity: an activity regularizer under MirroredStrategy.

The test picks the ports (`TF_CONFIG`, or `DISTRIBUTE_PORTS` for the
in-process cluster). Nothing can hold a port for a TF server until the server
binds it, so another process may take it in between; a server that cannot
bind makes the script exit with `PORT_TAKEN`, and the test starts every
process of the scenario again on new ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import tempfile
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
# Exit status of a run whose TF server could not bind its port (EX_TEMPFAIL).
PORT_TAKEN = 75
# Comma-separated ports for the in-process cluster: workers first, then PS.
PORTS_ENV = "DISTRIBUTE_PORTS"


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


def build_model(dropout: float, activity_regularizer: Any = None) -> Any:
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
        VOCAB,
        DIM,
        init=constant(table),
        mask_zero=True,
        dropout=dropout,
        seed=SEED,
        activity_regularizer=activity_regularizer,
        name="table",
    )
    hidden = keras.layers.GlobalAveragePooling1D()(embedding(inputs))
    dense = keras.layers.Dense(
        1,
        kernel_initializer=constant(kernel),
        bias_initializer=constant(bias),
        name="head",
    )
    model = keras.Model(inputs, dense(hidden))
    model.compile(
        optimizer=keras.optimizers.SGD(LEARNING_RATE),
        loss=keras.losses.MeanSquaredError(),
    )
    return model


def trained_weights(model: Any) -> list[np.ndarray]:
    """Table, kernel and bias as whole arrays, however they are distributed."""
    table, head = model.get_layer("table"), model.get_layer("head")
    variables = (table.embeddings, head.kernel, head.bias)
    # Reading a sharded variable as a tensor joins its shards.
    return [np.asarray(tf.convert_to_tensor(v)) for v in variables]


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


def mirrored_activity(out: dict[str, Any]) -> None:
    """An activity penalty (a sum over each replica's share of the batch)
    under MirroredStrategy over 2 logical CPUs, against one device."""
    cpu = tf.config.list_physical_devices("CPU")[0]
    tf.config.set_logical_device_configuration(
        cpu, [tf.config.LogicalDeviceConfiguration()] * 2
    )
    strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    ids, targets = global_batches()
    single_data = tf.data.Dataset.from_tensor_slices((ids, targets))
    single_data = single_data.batch(GLOBAL_BATCH)
    single = build_model(0.5, "l2")
    with strategy.scope():
        replicated = build_model(0.5, "l2")
    unregularized = build_model(0.5)
    data = strategy.distribute_datasets_from_function(replica_dataset)
    # Before training: the loss of the same batches, the penalty included.
    out["evaluate"] = {
        "single": single.evaluate(single_data, verbose=0),
        "replicated": replicated.evaluate(data, steps=STEPS, verbose=0),
        "unregularized": unregularized.evaluate(single_data, verbose=0),
    }
    for model in (single, unregularized):
        model.fit(single_data, epochs=1, verbose=0)
    replicated.fit(data, epochs=1, steps_per_epoch=STEPS, verbose=0)
    out["max_abs_diff"] = max_abs_diff(
        trained_weights(replicated), trained_weights(single)
    )
    out["penalty_mattered"] = (
        max_abs_diff(trained_weights(unregularized), trained_weights(single)) > 1e-3
    )


def mwms(out: dict[str, Any]) -> None:
    """One worker of a 2-process MultiWorkerMirroredStrategy (see TF_CONFIG)."""
    compare_with_single_device(tf.distribute.MultiWorkerMirroredStrategy(), out)


def in_process_cluster(
    workers: int, parameter_servers: int
) -> tf.distribute.cluster_resolver.ClusterResolver:
    """Starts worker and PS servers in this process, on the `PORTS_ENV` ports.

    This process is the coordinator. The servers live as long as the process
    (TF cannot stop an in-process server), which is why this runs in a
    throwaway process.
    """
    ports = iter(int(port) for port in os.environ[PORTS_ENV].split(","))
    spec = {
        "worker": [f"127.0.0.1:{next(ports)}" for _ in range(workers)],
        "ps": [f"127.0.0.1:{next(ports)}" for _ in range(parameter_servers)],
    }
    cluster = tf.train.ClusterSpec(spec)
    # A worker with fewer inter-op threads than the cluster has workers + 1
    # can deadlock on its own closures (see tf_keras's multi_worker tests).
    config = tf.compat.v1.ConfigProto(inter_op_parallelism_threads=workers + 1)
    for job, addresses in spec.items():
        for index in range(len(addresses)):
            _SERVERS.append(
                tf.distribute.Server(
                    cluster, job_name=job, task_index=index, config=config
                )
            )
    return tf.distribute.cluster_resolver.SimpleClusterResolver(
        cluster, rpc_layer="grpc"
    )


_SERVERS: list[tf.distribute.Server] = []


def ps_strategy(
    resolver: tf.distribute.cluster_resolver.ClusterResolver, shards: int
) -> tf.distribute.Strategy:
    partitioner = tf.distribute.experimental.partitioners.FixedShardsPartitioner(shards)
    return tf.distribute.experimental.ParameterServerStrategy(
        resolver, variable_partitioner=partitioner
    )


def lookup_graph(layer: Any) -> dict[str, Any]:
    """What a training call and its gradient do to the shards, in the graph."""
    table = layer.embeddings
    found: dict[str, Any] = {}

    @tf.function(input_signature=[tf.TensorSpec((None, LENGTH), tf.int32)])
    def forward_backward(ids: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(ids, training=True))
        gradients = tape.gradient(loss, table.variables)
        found["gradient_types"] = [type(g).__name__ for g in gradients]
        return loss

    graph = forward_backward.get_concrete_function().graph
    ops = graph.get_operations()
    found["gathers"] = sum(op.type == "ResourceGather" for op in ops)
    # Concatenating the shards needs a full read of each shard first.
    found["full_reads"] = [
        op.name
        for op in ops
        if op.type == "ReadVariableOp" and op.get_attr("dtype") == table.dtype
    ]
    return found


def sharded_layer_api(strategy: tf.distribute.Strategy) -> dict[str, Any]:
    """`weights=`, `get_weights`, `set_weights` and `layer.W` on a sharded table."""
    from keras_embedding import Embedding

    table = initial_weights()[0]
    with strategy.scope():
        layer = Embedding(VOCAB, DIM, weights=[table], dropout=0.5, seed=SEED)
        layer.build((None, LENGTH))
    found: dict[str, Any] = {
        "type": type(layer.W).__name__,
        "W_is_embeddings": layer.W is layer.embeddings,
        "shards": [
            [list(v.shape), v.device] for v in getattr(layer.W, "variables", [])
        ],
        "weights_arg": max_abs_diff(layer.get_weights(), [table]),
    }
    replacement = table[::-1].copy()
    layer.set_weights([replacement])
    found["set_get"] = max_abs_diff(layer.get_weights(), [replacement])
    found["W_numpy"] = max_abs_diff([layer.W.numpy()], [replacement])
    try:
        layer.set_weights([replacement[:-1]])
        found["bad_shape_error"] = None
    except ValueError as error:
        found["bad_shape_error"] = str(error)
    found.update(lookup_graph(layer))
    return found


def ps_fit(strategy: tf.distribute.Strategy, dropout: float) -> Any:
    """`model.fit` through the strategy's ClusterCoordinator (tf_keras)."""
    from keras_embedding._compat import keras

    ids, targets = global_batches()

    def dataset_fn(context: tf.distribute.InputContext) -> tf.data.Dataset:
        # One worker: it runs the scheduled steps in order, on these batches.
        data = tf.data.Dataset.from_tensor_slices((ids, targets))
        return data.batch(GLOBAL_BATCH).repeat()

    with strategy.scope():
        model = build_model(dropout)
    creator = keras.utils.experimental.DatasetCreator(dataset_fn)
    model.fit(creator, epochs=1, steps_per_epoch=STEPS, verbose=0)
    return model


def restored_weights(path: str, strategy: tf.distribute.Strategy | None) -> Any:
    """Weights of a fresh model (under `strategy`, if any) restored from `path`."""
    scope = strategy.scope() if strategy is not None else contextlib.nullcontext()
    with scope:
        model = build_model(0.5)
    tf.train.Checkpoint(model=model).restore(path).assert_existing_objects_matched()
    shards = getattr(model.get_layer("table").embeddings, "variables", [None])
    return trained_weights(model), len(shards)


def ps(out: dict[str, Any]) -> None:
    """ParameterServerStrategy: 2 PS and 1 worker, all in this process."""
    from keras_embedding import Embedding
    from keras_embedding._compat import IS_KERAS3

    resolver = in_process_cluster(workers=1, parameter_servers=2)
    strategy = ps_strategy(resolver, shards=2)
    if IS_KERAS3:
        try:
            with strategy.scope():
                Embedding(VOCAB, DIM).build((None, LENGTH))
            out["keras3_error"] = None
        except NotImplementedError as error:
            out["keras3_error"] = str(error)
        return
    out["api"] = sharded_layer_api(strategy)
    model = ps_fit(strategy, dropout=0.5)
    weights = trained_weights(model)
    out["fit_max_abs_diff"] = max_abs_diff(weights, single_device_weights(0.5))
    out["dropout_mattered"] = max_abs_diff(weights, single_device_weights(0.0)) > 1e-3
    path = tf.train.Checkpoint(model=model).save(tempfile.mkdtemp() + "/ckpt")
    out["restore"] = {}
    for name, target in (("3_shards", ps_strategy(resolver, 3)), ("1_device", None)):
        restored, shards = restored_weights(path, target)
        out["restore"][name] = {
            "shards": shards,
            "max_abs_diff": max_abs_diff(restored, weights),
        }


def cluster(out: dict[str, Any]) -> None:
    """Starts the in-process cluster of `ps` and reports its addresses."""
    resolver = in_process_cluster(workers=1, parameter_servers=2)
    out["cluster"] = resolver.cluster_spec().as_dict()


SCENARIOS: dict[str, Callable[[dict[str, Any]], None]] = {
    "mirrored": mirrored,
    "mwms": mwms,
    "ps": ps,
    "cluster": cluster,
    "mirrored_activity": mirrored_activity,
}


def free_ports(count: int) -> list[int]:
    """Ports on 127.0.0.1 that nothing listens on right now.

    Only a hint: they are free when this returns, and another process may
    bind one before the TF server that is meant to (see `PORT_TAKEN`).
    """
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
    try:
        SCENARIOS[scenario](out)
    except tf.errors.UnknownError as error:
        # What TF raises when a server's port is taken (it binds without
        # SO_REUSEPORT, so a taken port always fails here, never shares).
        if "Could not start gRPC server" not in str(error):
            raise
        print(f"port taken, exiting with {PORT_TAKEN}: {error}", file=sys.stderr)
        sys.exit(PORT_TAKEN)
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(*sys.argv[1:])
