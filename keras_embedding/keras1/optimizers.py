"""Keras 1.2.2 optimizers, with Keras 1's arguments and numerics.

`SGD`, `RMSprop`, `Adagrad`, `Adadelta`, `Adam`, `Adamax` and `Nadam` take
Keras 1's arguments in Keras 1's order (`lr` first, `decay`, `epsilon`, ...)
and update weights with Keras 1.2.2's formulas, which differ from today's
optimizers of the same names:

- `decay` is Keras 1's time-based schedule, `lr / (1 + decay * iterations)`,
  applied on every step (modern Keras dropped the argument);
- RMSprop and Adagrad add `epsilon` outside the square root
  (`lr * g / (sqrt(a) + epsilon)`); Keras 3 puts it inside;
- Adagrad's accumulator starts at 0 (Keras 3: 0.1);
- `epsilon` defaults to 1e-8 (Keras 3: 1e-7);
- Nadam keeps `schedule_decay` (the momentum warm-up `0.96 ** (t *
  schedule_decay)`; Keras 3 has no such argument and uses `0.96 ** t`);
- `clipnorm` clips by the norm of all gradients together (the modern
  `global_clipnorm`), and `clipnorm` and `clipvalue` may both be set.

Each class subclasses the running Keras's optimizer base class (Keras 3 or
tf_keras), so it works with `model.compile`, `fit`, `tf.distribute` and
`.keras` files, and is registered as `keras_embedding>SGD` and so on.

Sparse gradients (an Embedding's `tf.IndexedSlices`): Keras 1 densified them,
so every row's moments decay on every step. These optimizers do the same,
except where a sparse update gives exactly the same result: SGD without
momentum and Adagrad touch only the rows looked up. For O(batch) steps with
momentum-based optimizers see `keras_embedding.optimizers`.

`iterations`: the base class's step counter serves as Keras 1's
`iterations`. Keras 1's SGD, RMSprop, Adagrad and Adadelta advanced theirs
only when `decay > 0`, where it is the only use of the counter, so the
updates are the same.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import numpy as np
import tensorflow as tf

from keras_embedding import _compat, lookup
from keras_embedding._compat import keras

__all__ = [
    "SGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "Adamax",
    "Nadam",
    "Optimizer",
    "RMSprop",
    "adadelta",
    "adagrad",
    "adam",
    "adamax",
    "get",
    "nadam",
    "rmsprop",
    "sgd",
]

# Options of the modern base classes, with the values that mean "not used".
# They are left out of configs at those values, and dropped at those values
# when a config written by the other Keras flavour is read, so a config reads
# the same under Keras 3 and tf_keras.
_UNUSED_BASE_OPTIONS: dict[str, tuple[Any, ...]] = {
    "weight_decay": (None, 0, 0.0),
    "use_ema": (False,),
    "ema_momentum": (0.99,),
    "ema_overwrite_frequency": (None,),
    "loss_scale_factor": (None,),
    "gradient_accumulation_steps": (None,),
    "is_legacy_optimizer": (False,),
}
# Base options this module handles itself (clipping) or never writes.
_OWN_OPTIONS = (
    "learning_rate",
    "clipnorm",
    "global_clipnorm",
    "clipvalue",
    "jit_compile",
)


def _number(
    owner: str,
    name: str,
    value: Any,
    minimum: float = 0.0,
    below: float | None = None,
) -> float:
    """Validates a hyperparameter: a finite real number in range."""
    ok = (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and math.isfinite(value)
        and value >= minimum
        and (below is None or value < below)
    )
    if not ok:
        bounds = f">= {minimum:g}" + ("" if below is None else f" and < {below:g}")
        raise ValueError(
            f"{owner}: `{name}` must be a number {bounds}. Received: {name}={value!r}"
        )
    return float(value)


def _flag(owner: str, name: str, value: Any) -> bool:
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(
        f"{owner}: `{name}` must be True or False. Received: {name}={value!r}"
    )


def _clip_option(owner: str, name: str, value: Any) -> float | None:
    """Keras 1 clipped only for values > 0; 0 and None mean no clipping."""
    if value is None:
        return None
    value = _number(owner, name, value)
    return value or None


def _summed(gradient: tf.IndexedSlices) -> tf.IndexedSlices:
    """The same gradient with each row once: duplicate rows summed."""
    rows, positions = tf.unique(gradient.indices)
    values = tf.math.unsorted_segment_sum(gradient.values, positions, tf.shape(rows)[0])
    return tf.IndexedSlices(values, rows, gradient.dense_shape)


def _dense(gradient: Any, variable: Any) -> tf.Tensor:
    """The gradient as a dense tensor of the variable's dtype, as Keras 1's
    backend made it the moment a formula touched a sparse gradient."""
    if isinstance(gradient, tf.IndexedSlices):
        gradient = tf.math.unsorted_segment_sum(
            gradient.values, gradient.indices, tf.shape(variable)[0]
        )
    return tf.cast(gradient, variable.dtype)


class Optimizer(_compat.OptimizerBase):
    """What the Keras 1 optimizers share: `lr`, `decay`, clipping, configs.

    Not for direct use; subclasses define the update.

    Attributes:
        keras1_slots: The names of the slot lists Keras 1 saved in a model
            file's `optimizer_weights`, in its order.
        keras1_saves_iterations: Whether those weights start with Keras 1's
            `iterations` counter.
    """

    keras1_slots: ClassVar[tuple[str, ...]] = ()
    keras1_saves_iterations: ClassVar[bool] = False
    # The class's own Keras 1 hyperparameters, for `get_config`.
    _hyperparameters: ClassVar[tuple[str, ...]] = ()
    _has_decay: ClassVar[bool] = True

    def __init__(
        self,
        lr: float,
        decay: float = 0.0,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        name: str | None = None,
        learning_rate: float | None = None,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        if learning_rate is not None:
            # A modern config or call names it `learning_rate`.
            lr = learning_rate
        decay = _number(owner, "decay", decay)
        global_clipnorm = kwargs.pop("global_clipnorm", None)
        if global_clipnorm is not None and clipnorm is None:
            clipnorm = global_clipnorm  # the same thing under its modern name
        clipnorm = _clip_option(owner, "clipnorm", clipnorm)
        clipvalue = _clip_option(owner, "clipvalue", clipvalue)
        for option, unused in _UNUSED_BASE_OPTIONS.items():
            if option in kwargs and _is_one_of(kwargs[option], unused):
                del kwargs[option]
        # Keras 3 refuses attributes set before its constructor ran.
        super().__init__(
            learning_rate=_number(owner, "lr", lr),
            name=name or owner,
            **kwargs,
        )
        self.decay = decay
        self.keras1_clipnorm = clipnorm
        self.keras1_clipvalue = clipvalue

    @property
    def lr(self) -> Any:
        """The learning rate variable (Keras 1's `optimizer.lr`).

        Keras 1 code sets it with `K.set_value(optimizer.lr, value)` or
        `optimizer.lr.assign(value)`; assigning `optimizer.lr = value` works
        too.
        """
        return self._learning_rate

    @lr.setter
    def lr(self, value: float) -> None:
        self.learning_rate = value

    def _decayed(self, learning_rate: Any, dtype: tf.DType) -> tf.Tensor:
        """Keras 1's `lr / (1 + decay * iterations)`, iterations before this
        step."""
        lr = tf.cast(learning_rate, dtype)
        if self.decay > 0:
            lr = lr * (1.0 / (1.0 + self.decay * self._step(dtype)))
        return lr

    def _step(self, dtype: tf.DType) -> tf.Tensor:
        """Keras 1's `iterations`: the steps done before this one."""
        return tf.cast(_compat.variable_tensor(self.iterations), dtype)

    def _clip_gradients(self, grads: list[Any]) -> list[Any]:
        """Keras 1's clipping: by the norm of all gradients, then by value.

        For the norm, a sparse gradient's duplicate rows are summed first, so
        it is the norm of the dense gradient (Keras 1 itself failed on sparse
        gradients there). Clipping by value clips each slice of a sparse
        gradient before duplicates are summed, as TensorFlow's
        `clip_by_value` did for Keras 1.
        """
        if self.keras1_clipnorm:
            grads = [
                _summed(g) if isinstance(g, tf.IndexedSlices) else g for g in grads
            ]
            norm = tf.sqrt(
                tf.add_n(
                    [
                        tf.reduce_sum(tf.square(_values(g)))
                        for g in grads
                        if g is not None
                    ]
                )
            )
            clip = tf.cast(self.keras1_clipnorm, norm.dtype)
            scale = tf.where(norm >= clip, clip / norm, tf.ones_like(norm))
            grads = [_scaled(g, scale) for g in grads]
        if self.keras1_clipvalue:
            value = self.keras1_clipvalue
            grads = [_clipped(g, value) for g in grads]
        return grads

    def keras1_slot_variables(self, variable: Any) -> list[Any]:
        """The optimizer's variables for `variable`, one per `keras1_slots`.

        Args:
            variable: A trainable variable the optimizer was built for.

        Returns:
            The slot `tf.Variable`s, in the order of `keras1_slots`.
        """
        return [
            self._slot(getattr(self, "_" + name), variable)
            for name in self.keras1_slots
        ]

    def _create_slots(self, variables: list[Any]) -> None:
        if self.keras1_clipvalue:
            # Keras 1 clipped each id's slice before the update summed them.
            for variable in variables:
                lookup.keep_each_slice(_compat.variable_tensor(variable))
        for name in self.keras1_slots:
            setattr(
                self,
                "_" + name,
                [self.add_variable_from_reference(v, name) for v in variables],
            )

    def get_config(self) -> dict[str, Any]:
        """The Keras 1 arguments (`lr`, ...) and any modern option in use."""
        base = super().get_config()
        config: dict[str, Any] = {"name": base.pop("name")}
        config["lr"] = float(_compat.variable_tensor(self._learning_rate).numpy())
        for name in self._hyperparameters:
            config[name] = getattr(self, name)
        if self._has_decay:
            config["decay"] = self.decay
        if self.keras1_clipnorm is not None:
            config["clipnorm"] = self.keras1_clipnorm
        if self.keras1_clipvalue is not None:
            config["clipvalue"] = self.keras1_clipvalue
        for option, value in base.items():
            if option in _OWN_OPTIONS:
                continue
            if not _is_one_of(value, _UNUSED_BASE_OPTIONS.get(option, ())):
                config[option] = value
        return config

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], custom_objects: Any = None
    ) -> Optimizer:
        """Builds the optimizer from a Keras 1 config or from `get_config()`."""
        del custom_objects
        return cls(**dict(config))


def _is_one_of(value: Any, values: tuple[Any, ...]) -> bool:
    return any(type(value) is type(v) and value == v for v in values) or (
        value is None and None in values
    )


def _values(gradient: Any) -> tf.Tensor:
    return gradient.values if isinstance(gradient, tf.IndexedSlices) else gradient


def _scaled(gradient: Any, scale: tf.Tensor) -> Any:
    if gradient is None:
        return None
    if isinstance(gradient, tf.IndexedSlices):
        values = gradient.values * tf.cast(scale, gradient.values.dtype)
        return tf.IndexedSlices(values, gradient.indices, gradient.dense_shape)
    return gradient * tf.cast(scale, gradient.dtype)


def _clipped(gradient: Any, value: float) -> Any:
    if gradient is None:
        return None
    if isinstance(gradient, tf.IndexedSlices):
        values = tf.clip_by_value(gradient.values, -value, value)
        return tf.IndexedSlices(values, gradient.indices, gradient.dense_shape)
    return tf.clip_by_value(gradient, -value, value)


@_compat.register_serializable
class SGD(Optimizer):
    """Keras 1's stochastic gradient descent, with momentum and Nesterov.

    `v = momentum * m - lr * g; m = v; p += v` (Nesterov:
    `p += momentum * v - lr * g`), with `lr` decayed by Keras 1's schedule.
    Without momentum, a sparse gradient updates only its rows.

    Args:
        lr: Learning rate, >= 0.
        momentum: Momentum, >= 0.
        decay: Keras 1's learning-rate decay: `lr / (1 + decay * iterations)`.
        nesterov: Whether to use Nesterov momentum.
        clipnorm: Clip all gradients together when their global L2 norm
            exceeds this value (Keras 1's meaning); 0 or None: no clipping.
        clipvalue: Clip each gradient entry to `[-clipvalue, clipvalue]`.
        **kwargs: `name`, and options of the running Keras's optimizer base.

    Raises:
        ValueError: for a hyperparameter out of range or not a number.
        TypeError: for a `nesterov` that is not a bool.
    """

    keras1_slots = ("moments",)
    keras1_saves_iterations = True
    _hyperparameters = ("momentum", "nesterov")

    def __init__(
        self,
        lr: float = 0.01,
        momentum: float = 0.0,
        decay: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ) -> None:
        momentum = _number("SGD", "momentum", momentum)
        nesterov = _flag("SGD", "nesterov", nesterov)
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.momentum = momentum
        self.nesterov = nesterov

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = self._decayed(learning_rate, dtype)
        if self.momentum == 0 and isinstance(gradient, tf.IndexedSlices):
            # m is multiplied by 0 before any use, and rows without gradient
            # get `p += 0`: updating only the rows looked up is exact.
            gradient = _summed(gradient)
            values = tf.cast(gradient.values, dtype)
            variable.scatter_sub(tf.IndexedSlices(lr * values, gradient.indices))
            return
        g = _dense(gradient, variable)
        (m,) = self.keras1_slot_variables(variable)
        momentum = tf.cast(self.momentum, dtype)
        v = momentum * m - lr * g
        m.assign(v)
        if self.nesterov:
            variable.assign_add(momentum * v - lr * g)
        else:
            variable.assign_add(v)


@_compat.register_serializable
class RMSprop(Optimizer):
    """Keras 1's RMSprop, with `epsilon` outside the square root.

    `a = rho * a + (1 - rho) * g**2; p -= lr * g / (sqrt(a) + epsilon)`.

    Args:
        lr: Learning rate, >= 0.
        rho: Decay of the squared-gradient average, >= 0.
        epsilon: Fuzz factor, >= 0, added to `sqrt(a)`.
        decay: Keras 1's learning-rate decay: `lr / (1 + decay * iterations)`.
        **kwargs: `clipnorm`, `clipvalue` (as for `SGD`), `name`, and options
            of the running Keras's optimizer base.

    Raises:
        ValueError: for a hyperparameter out of range or not a number.
    """

    keras1_slots = ("accumulators",)
    _hyperparameters = ("rho", "epsilon")

    def __init__(
        self,
        lr: float = 0.001,
        rho: float = 0.9,
        epsilon: float = 1e-8,
        decay: float = 0.0,
        **kwargs: Any,
    ) -> None:
        rho = _number("RMSprop", "rho", rho)
        epsilon = _number("RMSprop", "epsilon", epsilon)
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = self._decayed(learning_rate, dtype)
        g = _dense(gradient, variable)
        (a,) = self.keras1_slot_variables(variable)
        rho = tf.cast(self.rho, dtype)
        new_a = rho * a + (1.0 - rho) * tf.square(g)
        a.assign(new_a)
        variable.assign_sub(lr * g / (tf.sqrt(new_a) + self.epsilon))


@_compat.register_serializable
class Adagrad(Optimizer):
    """Keras 1's Adagrad: accumulator from 0, `epsilon` outside the root.

    `a += g**2; p -= lr * g / (sqrt(a) + epsilon)`. A sparse gradient
    updates only its rows (exact: other rows add 0 to `a` and to `p`).

    Args:
        lr: Learning rate, >= 0.
        epsilon: Fuzz factor, >= 0, added to `sqrt(a)`.
        decay: Keras 1's learning-rate decay: `lr / (1 + decay * iterations)`.
        **kwargs: `clipnorm`, `clipvalue` (as for `SGD`), `name`, and options
            of the running Keras's optimizer base.

    Raises:
        ValueError: for a hyperparameter out of range or not a number.
    """

    keras1_slots = ("accumulators",)
    _hyperparameters = ("epsilon",)

    def __init__(
        self,
        lr: float = 0.01,
        epsilon: float = 1e-8,
        decay: float = 0.0,
        **kwargs: Any,
    ) -> None:
        epsilon = _number("Adagrad", "epsilon", epsilon)
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.epsilon = epsilon

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = self._decayed(learning_rate, dtype)
        (a,) = self.keras1_slot_variables(variable)
        if isinstance(gradient, tf.IndexedSlices):
            gradient = _summed(gradient)
            rows = gradient.indices
            g = tf.cast(gradient.values, dtype)
            squares = tf.square(g)
            new_a = a.sparse_read(rows) + squares
            # Additions, not assignments: under XLA, `tf.unique` of a
            # dynamically sized input can pad its output with a repeated row
            # of zero gradient, and a second assignment to that row would
            # undo the first. Adding zero is harmless.
            a.scatter_add(tf.IndexedSlices(squares, rows))
            step = lr * g / (tf.sqrt(new_a) + self.epsilon)
            variable.scatter_sub(tf.IndexedSlices(step, rows))
            return
        g = _dense(gradient, variable)
        new_a = a + tf.square(g)
        a.assign(new_a)
        variable.assign_sub(lr * g / (tf.sqrt(new_a) + self.epsilon))


@_compat.register_serializable
class Adadelta(Optimizer):
    """Keras 1's Adadelta.

    `a = rho * a + (1 - rho) * g**2;
    u = g * sqrt(d + epsilon) / sqrt(a + epsilon); p -= lr * u;
    d = rho * d + (1 - rho) * u**2`.

    Args:
        lr: Learning rate, >= 0 (Keras 1's default 1.0).
        rho: Decay of both running averages, >= 0.
        epsilon: Fuzz factor, >= 0, inside both square roots.
        decay: Keras 1's learning-rate decay: `lr / (1 + decay * iterations)`.
        **kwargs: `clipnorm`, `clipvalue` (as for `SGD`), `name`, and options
            of the running Keras's optimizer base.

    Raises:
        ValueError: for a hyperparameter out of range or not a number.
    """

    keras1_slots = ("accumulators", "delta_accumulators")
    _hyperparameters = ("rho", "epsilon")

    def __init__(
        self,
        lr: float = 1.0,
        rho: float = 0.95,
        epsilon: float = 1e-8,
        decay: float = 0.0,
        **kwargs: Any,
    ) -> None:
        rho = _number("Adadelta", "rho", rho)
        epsilon = _number("Adadelta", "epsilon", epsilon)
        super().__init__(lr=lr, decay=decay, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = self._decayed(learning_rate, dtype)
        g = _dense(gradient, variable)
        a, d = self.keras1_slot_variables(variable)
        rho = tf.cast(self.rho, dtype)
        new_a = rho * a + (1.0 - rho) * tf.square(g)
        a.assign(new_a)
        # The new squared-gradient average, the old squared-update average.
        update = g * tf.sqrt(d + self.epsilon) / tf.sqrt(new_a + self.epsilon)
        variable.assign_sub(lr * update)
        d.assign(rho * d + (1.0 - rho) * tf.square(update))


class _AdamFamily(Optimizer):
    keras1_saves_iterations = True
    _hyperparameters = ("beta_1", "beta_2", "epsilon")

    def __init__(
        self,
        lr: float,
        beta_1: float,
        beta_2: float,
        epsilon: float,
        **kwargs: Any,
    ) -> None:
        owner = type(self).__name__
        beta_1 = _number(owner, "beta_1", beta_1, below=1.0)
        beta_2 = _number(owner, "beta_2", beta_2, below=1.0)
        epsilon = _number(owner, "epsilon", epsilon)
        super().__init__(lr=lr, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon


@_compat.register_serializable
class Adam(_AdamFamily):
    """Keras 1's Adam.

    With `t = iterations + 1`:
    `lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t);
    m = beta_1 * m + (1 - beta_1) * g; v = beta_2 * v + (1 - beta_2) * g**2;
    p -= lr_t * m / (sqrt(v) + epsilon)`, `lr` decayed by Keras 1's schedule.

    Args:
        lr: Learning rate, >= 0.
        beta_1: First-moment decay, in [0, 1).
        beta_2: Second-moment decay, in [0, 1).
        epsilon: Fuzz factor, >= 0 (Keras 1's default 1e-8).
        decay: Keras 1's learning-rate decay: `lr / (1 + decay * iterations)`.
        **kwargs: `clipnorm`, `clipvalue` (as for `SGD`), `name`, and options
            of the running Keras's optimizer base.

    Raises:
        ValueError: for a hyperparameter out of range or not a number.
    """

    keras1_slots = ("ms", "vs")

    def __init__(
        self,
        lr: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        decay: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(lr, beta_1, beta_2, epsilon, decay=decay, **kwargs)

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = self._decayed(learning_rate, dtype)
        g = _dense(gradient, variable)
        m, v = self.keras1_slot_variables(variable)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        t = self._step(dtype) + 1.0
        lr_t = lr * (tf.sqrt(1.0 - tf.pow(beta_2, t)) / (1.0 - tf.pow(beta_1, t)))
        m_t = beta_1 * m + (1.0 - beta_1) * g
        v_t = beta_2 * v + (1.0 - beta_2) * tf.square(g)
        m.assign(m_t)
        v.assign(v_t)
        variable.assign_sub(lr_t * m_t / (tf.sqrt(v_t) + self.epsilon))


@_compat.register_serializable
class Adamax(_AdamFamily):
    """Keras 1's Adamax (Adam with the infinity norm).

    With `t = iterations + 1`: `lr_t = lr / (1 - beta_1**t);
    m = beta_1 * m + (1 - beta_1) * g; u = max(beta_2 * u, |g|);
    p -= lr_t * m / (u + epsilon)`, `lr` decayed by Keras 1's schedule.

    Args:
        lr: Learning rate, >= 0.
        beta_1: First-moment decay, in [0, 1).
        beta_2: Infinity-norm decay, in [0, 1).
        epsilon: Fuzz factor, >= 0.
        decay: Keras 1's learning-rate decay: `lr / (1 + decay * iterations)`.
        **kwargs: `clipnorm`, `clipvalue` (as for `SGD`), `name`, and options
            of the running Keras's optimizer base.

    Raises:
        ValueError: for a hyperparameter out of range or not a number.
    """

    keras1_slots = ("ms", "us")

    def __init__(
        self,
        lr: float = 0.002,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        decay: float = 0.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(lr, beta_1, beta_2, epsilon, decay=decay, **kwargs)

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = self._decayed(learning_rate, dtype)
        g = _dense(gradient, variable)
        m, u = self.keras1_slot_variables(variable)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        t = self._step(dtype) + 1.0
        lr_t = lr / (1.0 - tf.pow(beta_1, t))
        m_t = beta_1 * m + (1.0 - beta_1) * g
        u_t = tf.maximum(beta_2 * u, tf.abs(g))
        m.assign(m_t)
        u.assign(u_t)
        variable.assign_sub(lr_t * m_t / (u_t + self.epsilon))


@_compat.register_serializable
class Nadam(_AdamFamily):
    """Keras 1's Nadam (Adam with Nesterov momentum and a momentum warm-up).

    With `t = iterations + 1` and the momentum schedule
    `mu(t) = beta_1 * (1 - 0.5 * 0.96 ** (t * schedule_decay))`, Keras 1's
    formulas: `m_schedule *= mu(t)`; `g' = g / (1 - m_schedule)`;
    `m = beta_1 * m + (1 - beta_1) * g`;
    `m' = m / (1 - m_schedule * mu(t + 1))`;
    `v = beta_2 * v + (1 - beta_2) * g**2`; `v' = v / (1 - beta_2**t)`;
    `p -= lr * ((1 - mu(t)) * g' + mu(t + 1) * m') / (sqrt(v') + epsilon)`.
    Keras 1's Nadam has no `decay`.

    Keras 1 did not save `m_schedule` in model files, so a model loaded from
    one restarts it at 1 (as Keras 1's own `load_model` did). It is saved in
    `.keras` files.

    Args:
        lr: Learning rate, >= 0.
        beta_1: First-moment decay, in [0, 1).
        beta_2: Second-moment decay, in [0, 1).
        epsilon: Fuzz factor, >= 0.
        schedule_decay: Speed of the momentum warm-up, >= 0.
        **kwargs: `clipnorm`, `clipvalue` (as for `SGD`), `name`, and options
            of the running Keras's optimizer base.

    Raises:
        ValueError: for a hyperparameter out of range or not a number.
    """

    keras1_slots = ("ms", "vs")
    _hyperparameters = ("beta_1", "beta_2", "epsilon", "schedule_decay")
    _has_decay = False

    def __init__(
        self,
        lr: float = 0.002,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-8,
        schedule_decay: float = 0.004,
        **kwargs: Any,
    ) -> None:
        if "decay" in kwargs:
            raise TypeError(
                "Nadam: Keras 1's Nadam has no `decay` (its warm-up is "
                "`schedule_decay`). Received: decay={kwargs['decay']!r}"
            )
        schedule_decay = _number("Nadam", "schedule_decay", schedule_decay)
        super().__init__(lr, beta_1, beta_2, epsilon, **kwargs)
        self.schedule_decay = schedule_decay

    def _create_slots(self, variables: list[Any]) -> None:
        super()._create_slots(variables)
        self._m_schedule = self.add_variable(
            shape=(), initializer="ones", name="m_schedule"
        )

    def _momentum(self, t: tf.Tensor) -> tf.Tensor:
        beta_1 = tf.cast(self.beta_1, t.dtype)
        return beta_1 * (1.0 - 0.5 * tf.pow(0.96, t * self.schedule_decay))

    def _start_step(self) -> None:
        schedule = _compat.variable_tensor(self._m_schedule)
        t = self._step(schedule.dtype) + 1.0
        schedule.assign(schedule * self._momentum(t))

    def _update(self, gradient: Any, variable: Any, learning_rate: Any) -> None:
        dtype = variable.dtype
        lr = tf.cast(learning_rate, dtype)
        g = _dense(gradient, variable)
        m, v = self.keras1_slot_variables(variable)
        beta_1 = tf.cast(self.beta_1, dtype)
        beta_2 = tf.cast(self.beta_2, dtype)
        t = self._step(dtype) + 1.0
        momentum_t = self._momentum(t)
        momentum_next = self._momentum(t + 1.0)
        # `_start_step` already multiplied this step's momentum in.
        schedule = tf.cast(_compat.variable_tensor(self._m_schedule), dtype)
        schedule_next = schedule * momentum_next
        g_prime = g / (1.0 - schedule)
        m_t = beta_1 * m + (1.0 - beta_1) * g
        m_t_prime = m_t / (1.0 - schedule_next)
        v_t = beta_2 * v + (1.0 - beta_2) * tf.square(g)
        v_t_prime = v_t / (1.0 - tf.pow(beta_2, t))
        m_t_bar = (1.0 - momentum_t) * g_prime + momentum_next * m_t_prime
        m.assign(m_t)
        v.assign(v_t)
        variable.assign_sub(lr * m_t_bar / (tf.sqrt(v_t_prime) + self.epsilon))


# Keras 1's lower-case aliases.
sgd = SGD
rmsprop = RMSprop
adagrad = Adagrad
adadelta = Adadelta
adam = Adam
adamax = Adamax
nadam = Nadam

_CLASSES: dict[str, type[Optimizer]] = {
    cls.__name__.lower(): cls
    for cls in (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)
}


def _invalid(identifier: Any) -> ValueError:
    return ValueError(
        "Could not interpret the optimizer. Expected an optimizer instance, "
        f"one of the Keras 1 names {', '.join(sorted(_CLASSES))} (any case), "
        "or a Keras 1 config `{'class_name': 'Adam', 'config': {'lr': ...}}`. "
        f"Received: optimizer={identifier!r}"
    )


def get(identifier: Any) -> keras.optimizers.Optimizer:
    """Returns a Keras 1 optimizer for a name, a config or an instance.

    Args:
        identifier: A Keras 1 name (`"sgd"`, `"RMSprop"`, ...: any case), a
            Keras 1 optimizer config (`{"class_name": "Adam", "config":
            {"lr": 0.01, ...}}`, as in a model file's `training_config`), a
            Keras 1 `{"name": "adam", "lr": 0.01}` dict, or an optimizer
            instance (returned as given, Keras 1 or modern).

    Returns:
        The optimizer. Names and configs give this module's Keras 1 classes.

    Raises:
        ValueError: for an unknown name or class, Keras 1's `TFOptimizer`
            (which Keras 1 could not save either), or a config whose
            arguments the class does not take.
    """
    if isinstance(identifier, keras.optimizers.Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier.lower())
        if cls is None:
            raise _invalid(identifier)
        return cls()
    if isinstance(identifier, Mapping):
        if "class_name" in identifier:
            class_name = str(identifier["class_name"]).rsplit(">", 1)[-1]
            kwargs = identifier.get("config") or {}
        else:
            kwargs = dict(identifier)
            class_name = str(kwargs.pop("name", ""))
        cls = _CLASSES.get(class_name.lower())
        if cls is None or not isinstance(kwargs, Mapping):
            raise _invalid(identifier)
        try:
            return cls.from_config(kwargs)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"Could not build {class_name} from {dict(kwargs)!r}: {error}. "
                f"Received: optimizer={identifier!r}"
            ) from error
    raise _invalid(identifier)
