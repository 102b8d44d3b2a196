"""Lazy optimizers: O(batch) training steps for large embedding tables.

Keras's Adam, RMSprop and SGD with momentum update every row of a table on
every step, even when only a few rows were looked up: their moments decay for
all rows. At a million rows that is most of the step. The optimizers here
subclass the active Keras's optimizer of the same name, take the same
arguments and have the same config, and change one thing: a sparse
(`tf.IndexedSlices`) gradient updates only the rows it names.

For such a gradient they:

- sum duplicate rows first (also across replicas), so the update is that of
  the dense gradient's non-zero rows;
- read and write only those rows of the weights and of each slot (moments,
  accumulators), with the parent's formula for those rows;
- leave every other row, and its slots, untouched. This is the "lazy"
  semantics of TF1's `LazyAdamOptimizer`, TF Addons' `LazyAdam` and
  PyTorch's `SparseAdam`: a row's moments decay only on the steps that touch
  it. `LazyAdagrad` is exactly Adagrad (whose untouched rows do not change
  anyway); the others equal their parent whenever every row is touched.

A dense gradient (any other weight, or a table whose gradient a
`W_regularizer` made dense) gets the parent's update unchanged.

Options that would touch the whole table each step are handled so:

- `weight_decay` decays the rows a sparse gradient touches, when it touches
  them (dense gradients: the parent's decay);
- `clipnorm`, `global_clipnorm` and `clipvalue` work on the summed slices,
  so the norms are those of the dense gradient;
- `use_ema`, Keras 3's `gradient_accumulation_steps` and Keras 3's
  `loss_scale_factor` raise a `ValueError`: each would need a whole-table
  pass per step. For loss scaling, wrap the optimizer in `LossScaleOptimizer`
  (below), which `compile` also does by itself under "mixed_float16".
"""

from __future__ import annotations

from typing import Any

import tensorflow as tf
from tensorflow.python.ops import gen_resource_variable_ops

from keras_embedding import _compat, lookup
from keras_embedding._compat import keras

# Constructor options whose update is a pass over every row of every weight;
# they are refused when set to anything but their default.
_WHOLE_TABLE_OPTIONS = {
    "use_ema": "averages every row of every weight each step",
    "gradient_accumulation_steps": (
        "accumulates each gradient into a dense copy of the table"
    ),
    "loss_scale_factor": (
        "divides gradients with `/`, which Keras 3 cannot do to a sparse "
        "gradient; wrap the optimizer in "
        "`keras_embedding.optimizers.LossScaleOptimizer` instead"
    ),
}


def _rows(variable: Any, rows: tf.Tensor) -> tf.Tensor:
    """`rows` of a model or slot variable, on this replica.

    A mirrored slot has no `sparse_read` of its own (`tf.gather` would fall
    back to reading the whole table); inside the strategy's update its
    handle is this replica's.
    """
    return gen_resource_variable_ops.resource_gather(
        variable.handle, rows, dtype=variable.dtype
    )


class _Lazy(_compat.LazyOptimizerHooks):
    """What the four lazy optimizers share; mixed in before the parent."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for option, reason in _WHOLE_TABLE_OPTIONS.items():
            # The Keras 3-only options are absent from tf_keras optimizers.
            value = getattr(self, option, None)
            if value:
                raise ValueError(
                    f"{type(self).__name__} does not support `{option}`: it "
                    f"{reason}, which would undo the lazy update's O(batch) "
                    f"cost. Received: {option}={value!r}"
                )

    def update_step(self, gradient: Any, variable: Any, *learning_rate: Any) -> Any:
        """Updates `variable`, lazily if `gradient` is a `tf.IndexedSlices`.

        Keras 3 passes the step's learning rate; tf_keras does not, and the
        parent then reads `self.learning_rate`, as done here.
        """
        rate = learning_rate[0] if learning_rate else self.learning_rate
        if not isinstance(gradient, tf.IndexedSlices):
            self._decay(variable, rate)
            return super().update_step(gradient, variable, *learning_rate)
        gradient = lookup.sum_duplicates(gradient)
        rows = gradient.indices
        values = tf.cast(gradient.values, variable.dtype)
        rate = tf.cast(rate, variable.dtype)
        delta = self._lazy_delta(values, rows, variable, rate)
        decay = self._decay(variable, rate, rows=rows)
        if decay is not None:
            delta = delta + decay
        return variable.scatter_sub(tf.IndexedSlices(delta, rows))

    def _lazy_delta(
        self, gradient: tf.Tensor, rows: tf.Tensor, variable: Any, rate: tf.Tensor
    ) -> tf.Tensor:
        """Updates the slots' `rows`; returns what to subtract from those rows.

        Args:
            gradient: the summed gradient of each row, `rows`-major.
            rows: unique row indices.
            variable: the model variable (a `tf.Variable`).
            rate: the learning rate, in the variable's dtype.
        """
        raise NotImplementedError

    def _slot(self, slots: list[Any], variable: Any) -> Any:
        return _compat.optimizer_slot(self, slots, variable)

    def _apply_weight_decay(self, variables: Any) -> None:
        # The parent decays every weight before `update_step`; the decay
        # happens in `update_step` instead, where the gradient tells whether
        # the whole weight or only some rows are being updated.
        del variables

    def _decay(
        self, variable: Any, rate: Any, rows: tf.Tensor | None = None
    ) -> tf.Tensor | None:
        """Decoupled weight decay of `variable`, or of its `rows` only.

        Returns:
            With `rows`, the decay to subtract from them (folded into the
            update's scatter); without, None: the whole variable is decayed
            here, as the parent does.
        """
        if self.weight_decay is None or not self._use_weight_decay(variable):
            return None
        decay = tf.cast(self.weight_decay, variable.dtype) * tf.cast(
            rate, variable.dtype
        )
        if rows is None:
            variable.assign_sub(variable * decay)
            return None
        return _rows(variable, rows) * decay

    def _clip_gradients(self, grads: list[Any]) -> list[Any]:
        sparse = any(isinstance(g, tf.IndexedSlices) for g in grads)
        if not sparse or not (self.clipnorm or self.global_clipnorm or self.clipvalue):
            return super()._clip_gradients(grads)
        # A norm or a per-entry clip of the dense gradient is one of the
        # summed rows, not of each repeated slice.
        grads = [
            lookup.sum_duplicates(g) if isinstance(g, tf.IndexedSlices) else g
            for g in grads
        ]
        if self.global_clipnorm:
            # Keras 3's global norm densifies sparse gradients; TF's (which
            # tf_keras uses) works on their values, with the same formula.
            return tf.clip_by_global_norm(grads, self.global_clipnorm)[0]
        return super()._clip_gradients(grads)


@_compat.register_serializable
class LazyAdam(_Lazy, keras.optimizers.Adam):
    """Adam that updates only the table rows a sparse gradient touches.

    Takes exactly the arguments of the active Keras's `Adam` (`learning_rate`,
    `beta_1`, `beta_2`, `epsilon`, `amsgrad`, `weight_decay`, clipping, ...)
    and computes Adam's update for the rows in a `tf.IndexedSlices`
    gradient, leaving the other rows and their moments as they are (the
    moments of a row decay only on the steps that touch it). Dense gradients
    get Adam's update unchanged.

    Use it where Adam would go: `model.compile(optimizer=LazyAdam(1e-3), ...)`.

    Args:
        *args: positional arguments of the parent `Adam`.
        **kwargs: keyword arguments of the parent `Adam`.

    Raises:
        ValueError: for `use_ema=True`, and on Keras 3 for
            `gradient_accumulation_steps` or `loss_scale_factor`, which would
            make every step a pass over the whole table.
    """

    def _lazy_delta(
        self, gradient: tf.Tensor, rows: tf.Tensor, variable: Any, rate: tf.Tensor
    ) -> tf.Tensor:
        dtype = variable.dtype
        momentum = self._slot(self._momentums, variable)
        velocity = self._slot(self._velocities, variable)
        step = tf.cast(self.iterations + 1, dtype)
        beta_1_power = tf.pow(tf.cast(self.beta_1, dtype), step)
        beta_2_power = tf.pow(tf.cast(self.beta_2, dtype), step)
        alpha = rate * tf.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        m = _rows(momentum, rows)
        m = m + (gradient - m) * (1 - self.beta_1)
        v = _rows(velocity, rows)
        v = v + (tf.square(gradient) - v) * (1 - self.beta_2)
        momentum.scatter_update(tf.IndexedSlices(m, rows))
        velocity.scatter_update(tf.IndexedSlices(v, rows))
        if self.amsgrad:
            velocity_hat = self._slot(self._velocity_hats, variable)
            v = tf.maximum(_rows(velocity_hat, rows), v)
            velocity_hat.scatter_update(tf.IndexedSlices(v, rows))
        epsilon = self.epsilon
        # tf_keras's Adam can scale epsilon with the bias correction.
        if getattr(self, "adaptive_epsilon", False):
            epsilon = epsilon * tf.sqrt(1 - beta_2_power)
        return m * alpha / (tf.sqrt(v) + epsilon)


@_compat.register_serializable
class LazyAdagrad(_Lazy, keras.optimizers.Adagrad):
    """Adagrad that reads and writes only the rows a sparse gradient touches.

    Takes exactly the arguments of the active Keras's `Adagrad`. Adagrad
    leaves untouched rows and their accumulators unchanged anyway, so this
    computes Adagrad's update exactly; what it saves is Keras 3's per-step
    square root and zero check over the whole accumulator, and any
    whole-table read after duplicate rows are summed.

    Args:
        *args: positional arguments of the parent `Adagrad`.
        **kwargs: keyword arguments of the parent `Adagrad`.

    Raises:
        ValueError: as `LazyAdam`.
    """

    def _lazy_delta(
        self, gradient: tf.Tensor, rows: tf.Tensor, variable: Any, rate: tf.Tensor
    ) -> tf.Tensor:
        accumulator = self._slot(self._accumulators, variable)
        accumulated = _rows(accumulator, rows) + tf.square(gradient)
        accumulator.scatter_update(tf.IndexedSlices(accumulated, rows))
        return rate * gradient / tf.sqrt(accumulated + self.epsilon)


@_compat.register_serializable
class LazyRMSprop(_Lazy, keras.optimizers.RMSprop):
    """RMSprop that updates only the rows a sparse gradient touches.

    Takes exactly the arguments of the active Keras's `RMSprop` (`rho`,
    `momentum`, `centered`, ...). The velocity, average gradient and momentum
    of a row decay only on the steps that touch it; with momentum, a row
    stops moving between those steps.

    Args:
        *args: positional arguments of the parent `RMSprop`.
        **kwargs: keyword arguments of the parent `RMSprop`.

    Raises:
        ValueError: as `LazyAdam`.
    """

    def _lazy_delta(
        self, gradient: tf.Tensor, rows: tf.Tensor, variable: Any, rate: tf.Tensor
    ) -> tf.Tensor:
        rho = self.rho
        velocity = self._slot(self._velocities, variable)
        v = rho * _rows(velocity, rows) + (1 - rho) * tf.square(gradient)
        velocity.scatter_update(tf.IndexedSlices(v, rows))
        if self.centered:
            average = self._slot(self._average_gradients, variable)
            mean = rho * _rows(average, rows) + (1 - rho) * gradient
            average.scatter_update(tf.IndexedSlices(mean, rows))
            denominator = v - tf.square(mean) + self.epsilon
        else:
            denominator = v + self.epsilon
        increment = rate * gradient / tf.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._slot(self._momentums, variable)
            increment = self.momentum * _rows(momentum, rows) + increment
            momentum.scatter_update(tf.IndexedSlices(increment, rows))
        return increment


@_compat.register_serializable
class LazySGD(_Lazy, keras.optimizers.SGD):
    """SGD (with momentum or Nesterov momentum) on the touched rows only.

    Takes exactly the arguments of the active Keras's `SGD`. Without
    momentum this is SGD exactly (tf_keras's own SGD still rewrites the whole
    table and its momentum slot every step). With momentum, a row's velocity
    decays, and the row moves, only on the steps that touch it.

    Args:
        *args: positional arguments of the parent `SGD`.
        **kwargs: keyword arguments of the parent `SGD`.

    Raises:
        ValueError: as `LazyAdam`.
    """

    def _lazy_delta(
        self, gradient: tf.Tensor, rows: tf.Tensor, variable: Any, rate: tf.Tensor
    ) -> tf.Tensor:
        step = gradient * rate
        # Keras 3 builds no momentum slot for momentum 0; tf_keras also
        # accepts a tensor momentum, which always gets one.
        if isinstance(self.momentum, (int, float)) and self.momentum == 0:
            return step
        momentum = tf.cast(self.momentum, variable.dtype)
        velocity = self._slot(self.momentums, variable)
        m = _rows(velocity, rows) * momentum - step
        velocity.scatter_update(tf.IndexedSlices(m, rows))
        if self.nesterov:
            return step - m * momentum
        return -m


if _compat.LOSS_SCALE_CHECK_DENSIFIES:

    @_compat.register_serializable
    class LossScaleOptimizer(_compat.LossScaleOptimizer):
        """Keras 3's dynamic loss scaling, with an O(batch) finiteness check.

        Keras 3's `LossScaleOptimizer` turns a sparse gradient into a dense
        table to check that it is finite, every step. This one checks the
        slices' values, which is the same test. Takes the same arguments;
        `compile` does not wrap an optimizer that already is one.

        Under "mixed_float16": `model.compile(optimizer=
        LossScaleOptimizer(LazyAdam()), ...)`.

        Args:
            *args: positional arguments of Keras's `LossScaleOptimizer`
                (`inner_optimizer`, `initial_scale`, ...).
            **kwargs: keyword arguments of Keras's `LossScaleOptimizer`.
        """

        def check_finite(self, grads: list[Any]) -> Any:
            """Whether every gradient entry is finite, without densifying."""
            return super().check_finite(
                [g.values if isinstance(g, tf.IndexedSlices) else g for g in grads]
            )

else:
    # tf_keras's own already checks only the values of a sparse gradient.
    LossScaleOptimizer = _compat.LossScaleOptimizer


__all__ = ["LazyAdagrad", "LazyAdam", "LazyRMSprop", "LazySGD", "LossScaleOptimizer"]
