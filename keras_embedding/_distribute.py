"""Tables under tf.distribute: sharded tables and unsupported strategies.

Under `tf.distribute.experimental.ParameterServerStrategy` with a
`variable_partitioner`, tf_keras creates the table as a `ShardedVariable`:
one variable per parameter server, split along the vocabulary. tf_keras then
lists one weight per shard, so `set_weights([table])` and `get_weights()`
would speak in shards while Keras 1 code speaks in whole tables. These
helpers let the layer keep the one-table contract; the lookup itself stays
shard by shard (`tf.nn.embedding_lookup` dispatches per shard), so the shards
are never concatenated in a training step.

Keras 3 has no parameter-server support at all (keras-team/keras#18624), so
there the layer refuses the strategy with an error that says what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding import _compat
from keras_embedding.keras1.specs import check_weights


def is_sharded(variable: Any) -> bool:
    """Whether `variable` is a table split into shards (a `ShardedVariable`)."""
    return isinstance(variable, tf.__internal__.distribute.ShardedVariable)


def check_strategy(layer_name: str) -> None:
    """Raises if the current strategy cannot hold this layer's table.

    Keras 3 would create a `ShardedVariable` behind a `keras.Variable` and then
    concatenate every shard on each lookup, and its trainer and optimizers do
    not run under a `ClusterCoordinator`; failing at build time is clearer
    than failing (or silently gathering the whole table) later.
    """
    strategy = tf.distribute.get_strategy()
    if _compat.IS_KERAS3 and isinstance(
        strategy, tf.distribute.experimental.ParameterServerStrategy
    ):
        raise NotImplementedError(
            f"Embedding layer '{layer_name}': ParameterServerStrategy is not "
            "supported with Keras 3, which has no parameter-server training "
            "(keras-team/keras#18624). Use tf_keras: `pip install tf_keras` "
            "and set the environment variable TF_USE_LEGACY_KERAS=1 before "
            "importing TensorFlow; keras_embedding then builds on tf_keras, "
            "where sharded tables work. On Keras 3, use MirroredStrategy or "
            "MultiWorkerMirroredStrategy instead."
        )


def replicas_sharing_the_batch() -> int:
    """How many replicas split the global batch of the current replica call.

    Keras scales every loss a layer adds by 1 / num_replicas_in_sync before
    the replicas' gradients are summed: right for a penalty on the weights,
    which each replica computes whole, but a penalty summed over the
    replica's share of the batch must be multiplied back to come out as the
    global batch's sum. Outside a replica call (eager code, or cross-replica
    context) the batch is not split: 1.
    """
    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def get_table(table: tf.__internal__.distribute.ShardedVariable) -> list[np.ndarray]:
    """`get_weights()` of a sharded table: the whole table, as one array."""
    return [np.concatenate([shard.numpy() for shard in table.variables], axis=0)]


def set_table(
    table: tf.__internal__.distribute.ShardedVariable,
    weights: Sequence[Any],
    layer_name: str,
) -> None:
    """`set_weights([array])` on a sharded table: each shard gets its rows.

    Raises:
        ValueError: unless `weights` holds exactly one array of the table's
            full shape.
    """
    owner = (
        f"Embedding layer '{layer_name}' (its table is split over "
        f"{len(table.variables)} parameter-server shards for you)"
    )
    (array,) = check_weights(owner, weights, [tuple(table.shape.as_list())])
    start = 0
    for shard in table.variables:
        rows = shard.shape[0]
        shard.assign(array[start : start + rows].astype(shard.dtype.as_numpy_dtype))
        start += rows
