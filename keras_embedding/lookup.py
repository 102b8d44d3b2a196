"""A table lookup whose gradient holds each row once.

`tf.gather(table, ids)` differentiates to `IndexedSlices(upstream, ids)`: one
slice per id, so a row that occurs k times in the batch occurs k times in the
gradient. Keras 3's optimizers square such a gradient slice by slice, so that
row's second moment grows by the sum of the squares instead of the square of
the sum, and training differs from training on the dense gradient.

`gather` runs the same single `ResourceGather` forward, and its backward sums
the duplicates (a stable sort of the ids, `tf.unique` of the sorted ids, then
`tf.math.segment_sum` over the batch): the table's gradient is an
`IndexedSlices` with unique indices in ascending order, the dense gradient's
non-zero rows exactly. It costs O(batch) and only in the backward pass. Under
tf_keras, whose optimizers all sum duplicates themselves, the backward leaves
that to them.

Under XLA, tensors cannot have data-dependent sizes, so there the gradient
keeps one slice per id, the ids sorted, with each id's sum at its first slice
and zeros at its repeats: the same dense value, and still right for any
optimizer that adds up per-slice terms that vanish at zero, as all of
Keras's do.

The backward also switches the table out of TensorFlow's copy-on-read mode.
The first sparse access (`ResourceGather`, `scatter_*`) puts a resource
variable in that mode, after which every dense read and every dense write
(`assign_sub`, as Keras 3's Adam does to the whole table) first copies the
whole buffer. Switching it off costs a flag under the variable's lock; the
next sparse access switches it on again, also without a copy, so a table
updated densely and one updated sparsely are both written in place.
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from tensorflow.python.eager import record
from tensorflow.python.ops import gen_resource_variable_ops, resource_variable_ops

from keras_embedding import _compat

# Marks a table whose optimizer wants one gradient slice per id.
_EACH_SLICE = "_keras_embedding_each_slice"

# The table gradients `gather` can give.
_PER_ID = "per id"
_SUMMED = "summed"
_SUMMED_AT_FIRST = "summed at first occurrences"


def keep_each_slice(table: Any) -> None:
    """Makes `gather`'s gradient for `table` keep one slice per id, unsummed.

    For an optimizer that transforms each slice before summing them, as Keras
    1's `clipvalue` clipped each id's slice. Only lookups traced after the
    call see it (Keras builds its optimizer before tracing a training step).

    Args:
        table: the `tf.Variable` that `gather` looks rows up in.
    """
    setattr(table, _EACH_SLICE, True)


def gather(table: Any, ids: tf.Tensor | tf.RaggedTensor) -> tf.Tensor | tf.RaggedTensor:
    """Rows of `table` at `ids`, with a duplicate-free gradient for `table`.

    Args:
        table: a 2-D resource `tf.Variable` (or a tf.distribute variable
            that is one per replica), not a Keras 3 `keras.Variable`.
        ids: integer tensor or `RaggedTensor` of row ids, any shape, all in
            `[0, table.shape[0])`.

    Returns:
        `ids.shape + [table.shape[1]]` rows in the table's dtype, like
        `tf.gather(table, ids)`. The gradient with respect to `table` is a
        `tf.IndexedSlices` whose indices are the unique ids, ascending, and
        whose values are the summed upstream gradients of each id's
        positions (under XLA, see the module docstring). Under tf_keras,
        whose optimizers sum repeats themselves, and for a table marked by
        `keep_each_slice`, it keeps one slice per id, as `tf.gather`'s does.
    """
    if isinstance(ids, tf.RaggedTensor):
        return tf.ragged.map_flat_values(lambda flat: gather(table, flat), ids)
    if tf.distribute.in_cross_replica_context():
        # A mirrored table has no single handle outside a replica; Keras calls
        # layers there to build models, never to train them.
        return tf.gather(table, ids)
    # The tape learns of the read here, and of the op below.
    resource_variable_ops.variable_accessed(table)
    if _compat.OPTIMIZERS_SUM_DUPLICATES or getattr(table, _EACH_SLICE, False):
        # Summing here would only double the optimizer's work, or lose what
        # it does to each slice.
        how = _PER_ID
    elif _compat.in_xla_context():
        how = _SUMMED_AT_FIRST
    else:
        how = _SUMMED
    with record.stop_recording():
        rows = gen_resource_variable_ops.resource_gather(
            table.handle, ids, dtype=table.dtype
        )

    # The gradient goes to the tapes only, which drop it when they are done.
    # (`tf.custom_gradient` would also register a new function per trace in
    # TF's global gradient registry, which keeps it, and with it the traced
    # graph and every table that graph captured, for the life of the
    # process. `tf.gradients`, which only reads that registry, gets
    # ResourceGather's own gradient: one slice per id.)
    def backward(upstream: Any) -> list[Any]:
        shape = tf.constant(table.shape.as_list(), dtype=ids.dtype)
        return [_table_gradient(table.handle, ids, upstream, shape, how), None]

    record.record_operation("ResourceGather", [rows], [table.handle, ids], backward)
    return rows


def _table_gradient(
    handle: tf.Tensor, ids: tf.Tensor, upstream: Any, shape: tf.Tensor, how: str
) -> tf.IndexedSlices:
    """The gradient of `ResourceGather(handle, ids)` for the table, as `how` says.

    Args:
        handle: the table's resource handle.
        ids: the forward's ids.
        upstream: the gradient of the gathered rows.
        shape: the table's shape, `[rows, width]`, in `ids`' dtype.
        how: `_PER_ID`, `_SUMMED` or `_SUMMED_AT_FIRST`.
    """
    if not _compat.in_xla_context():
        # XLA has no kernel for the mode switch and keeps variables its own
        # way.
        gen_resource_variable_ops.disable_copy_on_read(handle)
    # Sized explicitly: -1 cannot be inferred for a table of width 0.
    flat_shape = tf.stack([tf.size(ids, out_type=shape.dtype), shape[-1]])
    per_id = tf.IndexedSlices(
        tf.reshape(tf.convert_to_tensor(upstream), flat_shape),
        tf.reshape(ids, [-1]),
        shape,
    )
    if how == _PER_ID:
        return per_id
    if how == _SUMMED_AT_FIRST:
        return _sums_at_first_occurrences(per_id)
    return sum_duplicates(per_id)


def sum_duplicates(slices: tf.IndexedSlices) -> tf.IndexedSlices:
    """The same sparse tensor with each index once, its slices summed.

    Args:
        slices: a `tf.IndexedSlices` of rank-2 values, indices in any order,
            repeats allowed. Under XLA it needs a `dense_shape`.

    Returns:
        A `tf.IndexedSlices` with the same dense value and dense shape.
        Outside XLA its indices are unique, in ascending order.
        Under XLA it has as many slices as `slices`: the unique indices in
        ascending order, then padding slices of zeros whose index is
        `dense_shape[0]`, out of range, so that XLA's gathers clamp it and
        its scatters skip it. Either way O(number of slices); nothing is
        proportional to the dense shape.
    """
    if _compat.in_xla_context():
        return _sorted_sums(slices)
    if _from_unique(slices.indices):
        # Already summed, as `gather`'s gradient is: a second pass would
        # cost as much as the first and change nothing.
        return slices
    # Sorting first lets a sorted segment sum add the repeats: on CPU,
    # argsort + gather + `SegmentSum` over 3200x128 slices took half the time
    # of one `UnsortedSegmentSum` (0.26 ms against 0.47). The stable sort
    # also fixes the order in which each row's slices are added.
    order = tf.argsort(slices.indices, stable=True)
    unique, run = tf.unique(tf.gather(slices.indices, order))
    values = tf.math.segment_sum(tf.gather(slices.values, order), run)
    return tf.IndexedSlices(values, unique, slices.dense_shape)


def _from_unique(indices: tf.Tensor) -> bool:
    """Whether `indices` is a traced `tf.unique` output (so holds no repeats)."""
    # Eager tensors have no op; they are deduplicated as usual.
    op = getattr(indices, "op", None)
    return op is not None and op.type == "Unique" and indices.value_index == 0


def _sorted_runs(
    slices: tf.IndexedSlices,
) -> tuple[tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor]:
    """Runs of equal indices after a stable sort, in static shapes (for XLA).

    Returns:
        `(ordered, starts, run, sums)`: the sorted indices; whether each
        sorted slot starts a run; each slot's run number; and each run's
        summed values, padded with zero rows to the number of slices.
    """
    indices = slices.indices
    count = tf.size(indices)
    order = tf.argsort(indices, stable=True)
    ordered = tf.gather(indices, order)
    slots = tf.range(count)
    starts = tf.logical_or(
        tf.not_equal(ordered, tf.roll(ordered, 1, axis=0)), tf.equal(slots, 0)
    )
    run = tf.cumsum(tf.cast(starts, tf.int32)) - 1
    sums = tf.math.unsorted_segment_sum(tf.gather(slices.values, order), run, count)
    return ordered, starts, run, sums


def _sums_at_first_occurrences(slices: tf.IndexedSlices) -> tf.IndexedSlices:
    """Every index, sorted; each index's sum at its first slice, zeros after."""
    # Unlike `_sorted_sums`, every index stays in range, so any consumer
    # reads and writes only the table's own rows.
    ordered, starts, run, sums = _sorted_runs(slices)
    values = tf.where(starts[:, tf.newaxis], tf.gather(sums, run), tf.zeros_like(sums))
    return tf.IndexedSlices(values, ordered, slices.dense_shape)


def _sorted_sums(slices: tf.IndexedSlices) -> tf.IndexedSlices:
    """`sum_duplicates` in static shapes: sort, then sum runs of equal indices."""
    ordered, starts, run, sums = _sorted_runs(slices)
    count = tf.size(ordered)
    rows = tf.math.unsorted_segment_max(ordered, run, count)
    out_of_range = tf.cast(slices.dense_shape[0], ordered.dtype)
    padding = tf.range(count) >= tf.reduce_sum(tf.cast(starts, tf.int32))
    rows = tf.where(padding, out_of_range, rows)
    return tf.IndexedSlices(sums, rows, slices.dense_shape)
