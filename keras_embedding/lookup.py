"""A table lookup whose gradient holds each row once.

`tf.gather(table, ids)` differentiates to `IndexedSlices(upstream, ids)`: one
slice per id, so a row that occurs k times in the batch occurs k times in the
gradient. Keras 3's optimizers square such a gradient slice by slice, so that
row's second moment grows by the sum of the squares instead of the square of
the sum, and training differs from training on the dense gradient.

`gather` runs the same single `ResourceGather` forward, and its backward sums
the duplicates (`tf.unique`, then `tf.math.unsorted_segment_sum` over the
batch): the table's gradient is an `IndexedSlices` with unique indices, the
dense gradient's non-zero rows exactly. It costs O(batch) and only in the
backward pass.

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
from tensorflow.python.ops import gen_resource_variable_ops, resource_variable_ops

from keras_embedding import _compat


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
        `tf.IndexedSlices` whose indices are the unique ids, in order of first
        occurrence, and whose values are the summed upstream gradients of
        each id's positions.
    """
    if isinstance(ids, tf.RaggedTensor):
        return tf.ragged.map_flat_values(lambda flat: gather(table, flat), ids)
    # Reading through the handle hides the variable from `custom_gradient`,
    # which would otherwise read the whole table to record it as an input;
    # the tape must still be told the variable was used.
    resource_variable_ops.variable_accessed(table)
    shape = table.shape
    dtype = table.dtype
    # XLA has no kernel for the mode switch and keeps variables its own way.
    release_copy_on_read = not _compat.in_xla_context()

    @tf.custom_gradient
    def _gather(handle: tf.Tensor, ids: tf.Tensor) -> Any:
        rows = gen_resource_variable_ops.resource_gather(handle, ids, dtype=dtype)

        def grad(upstream: Any) -> tuple[tf.IndexedSlices, None]:
            # Sized explicitly: -1 cannot be inferred for a table of width 0.
            flat_shape = tf.stack([tf.size(ids), shape[-1]])
            per_id = tf.IndexedSlices(
                tf.reshape(tf.convert_to_tensor(upstream), flat_shape),
                tf.reshape(ids, [-1]),
                tf.constant(shape.as_list(), dtype=ids.dtype),
            )
            if release_copy_on_read:
                gen_resource_variable_ops.disable_copy_on_read(handle)
            return sum_duplicates(per_id), None

        return rows, grad

    return _gather(table.handle, ids)


def sum_duplicates(slices: tf.IndexedSlices) -> tf.IndexedSlices:
    """The same sparse tensor with each index once, its slices summed.

    Args:
        slices: a `tf.IndexedSlices`, indices in any order, repeats allowed.

    Returns:
        A `tf.IndexedSlices` with the same dense value and dense shape whose
        indices are unique, in order of first occurrence. O(number of
        slices); nothing is proportional to the dense shape.
    """
    unique, position = tf.unique(slices.indices)
    values = tf.math.unsorted_segment_sum(
        slices.values, position, tf.size(unique, out_type=position.dtype)
    )
    return tf.IndexedSlices(values, unique, slices.dense_shape)
