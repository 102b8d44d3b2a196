"""Keras 1.2.2's losses (`keras.objectives`) and metrics (`keras.metrics`).

The functions compute what Keras 1's did, per sample (reduced over the last
axis, as Keras 1's objectives were), so `model.compile` averages them over the
batch as Keras 1 did. Where a modern function of the same name differs, the
Keras 1 formula is the one here:

- `binary_crossentropy` and the categorical ones clip predictions to
  `[1e-7, 1 - 1e-7]` and never use logits hidden behind a sigmoid or softmax
  (Keras 3 does when it can);
- `hinge` and `squared_hinge` take the labels as given (Keras 3 turns 0/1
  labels into -1/1);
- `cosine_proximity` is minus the **mean** of the normalised product over the
  last axis (Keras 3's `cosine_similarity` is minus the sum);
- `accuracy` (or `acc`) meant binary, categorical or sparse categorical
  accuracy depending on the loss and the output shape: see `accuracy_for`.

Keras 1's batch-wise `precision`, `recall`, `fbeta_score`, `fmeasure` and
`matthews_correlation` are kept as batch-wise values (Keras 2 removed them
because a mean of batch values is not the metric over the data set).

Every function is registered for serialization (`keras_embedding>hinge`, ...)
so compiled models save to `.keras` files and load back.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import tensorflow as tf

from keras_embedding._compat import PACKAGE, keras, register_serializable

__all__ = [
    "KLD",
    "Keras1Loss",
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "accuracy_for",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "cosine",
    "cosine_proximity",
    "fbeta_score",
    "fmeasure",
    "get",
    "get_metric",
    "hinge",
    "kld",
    "kullback_leibler_divergence",
    "mae",
    "mape",
    "matthews_correlation",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_logarithmic_error",
    "mse",
    "msle",
    "poisson",
    "precision",
    "recall",
    "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy",
    "squared_hinge",
    "top_k_categorical_accuracy",
]

# Keras 1's `K.epsilon()`.
_EPSILON = 1e-7

LossFunction = Callable[[Any, Any], tf.Tensor]


def _register(fn: LossFunction) -> LossFunction:
    return keras.saving.register_keras_serializable(package=PACKAGE)(fn)


def _cast(y_true: Any, y_pred: Any) -> tuple[tf.Tensor, tf.Tensor]:
    y_pred = tf.convert_to_tensor(y_pred)
    return tf.cast(y_true, y_pred.dtype), y_pred


@_register
def mean_squared_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `mse`: `mean((y_pred - y_true)**2, axis=-1)`."""
    y_true, y_pred = _cast(y_true, y_pred)
    return tf.reduce_mean(tf.square(y_pred - y_true), axis=-1)


@_register
def mean_absolute_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `mae`: `mean(|y_pred - y_true|, axis=-1)`."""
    y_true, y_pred = _cast(y_true, y_pred)
    return tf.reduce_mean(tf.abs(y_pred - y_true), axis=-1)


@_register
def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `mape`: `100 * mean(|(y_true - y_pred) / max(|y_true|, 1e-7)|)`."""
    y_true, y_pred = _cast(y_true, y_pred)
    diff = tf.abs((y_true - y_pred) / tf.maximum(tf.abs(y_true), _EPSILON))
    return 100.0 * tf.reduce_mean(diff, axis=-1)


@_register
def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `msle`, with both sides clipped below at 1e-7."""
    y_true, y_pred = _cast(y_true, y_pred)
    first = tf.math.log(tf.maximum(y_pred, _EPSILON) + 1.0)
    second = tf.math.log(tf.maximum(y_true, _EPSILON) + 1.0)
    return tf.reduce_mean(tf.square(first - second), axis=-1)


@_register
def squared_hinge(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `squared_hinge`; labels are used as given (expected +-1)."""
    y_true, y_pred = _cast(y_true, y_pred)
    return tf.reduce_mean(tf.square(tf.maximum(1.0 - y_true * y_pred, 0.0)), axis=-1)


@_register
def hinge(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `hinge`; labels are used as given (expected +-1)."""
    y_true, y_pred = _cast(y_true, y_pred)
    return tf.reduce_mean(tf.maximum(1.0 - y_true * y_pred, 0.0), axis=-1)


@_register
def categorical_crossentropy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's categorical crossentropy of probabilities.

    The predictions are rescaled to sum to 1 over the last axis and clipped
    to `[1e-7, 1 - 1e-7]`.
    """
    y_true, y_pred = _cast(y_true, y_pred)
    y_pred = y_pred / tf.reduce_sum(y_pred, axis=-1, keepdims=True)
    y_pred = tf.clip_by_value(y_pred, _EPSILON, 1.0 - _EPSILON)
    return -tf.reduce_sum(y_true * tf.math.log(y_pred), axis=-1)


@_register
def sparse_categorical_crossentropy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's sparse categorical crossentropy.

    Integer targets of shape `y_pred.shape[:-1]` (or with a trailing axis of
    1); the predictions are clipped to `[1e-7, 1 - 1e-7]` and not rescaled.
    """
    y_pred = tf.convert_to_tensor(y_pred)
    logits = tf.math.log(tf.clip_by_value(y_pred, _EPSILON, 1.0 - _EPSILON))
    # Keras 1 flattened the targets; any trailing axis of 1 goes away here.
    targets = tf.reshape(tf.cast(y_true, tf.int64), tf.shape(y_pred)[:-1])
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=targets, logits=logits)


@_register
def binary_crossentropy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's binary crossentropy, `mean(..., axis=-1)`.

    The predictions are clipped to `[1e-7, 1 - 1e-7]` and turned back into
    logits, as Keras 1's TensorFlow backend did.
    """
    y_true, y_pred = _cast(y_true, y_pred)
    y_pred = tf.clip_by_value(y_pred, _EPSILON, 1.0 - _EPSILON)
    logits = tf.math.log(y_pred / (1.0 - y_pred))
    losses = tf.nn.sigmoid_cross_entropy_with_logits(labels=y_true, logits=logits)
    return tf.reduce_mean(losses, axis=-1)


@_register
def kullback_leibler_divergence(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `kld`, both sides clipped to `[1e-7, 1]`."""
    y_true, y_pred = _cast(y_true, y_pred)
    y_true = tf.clip_by_value(y_true, _EPSILON, 1.0)
    y_pred = tf.clip_by_value(y_pred, _EPSILON, 1.0)
    return tf.reduce_sum(y_true * tf.math.log(y_true / y_pred), axis=-1)


@_register
def poisson(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `poisson`: `mean(y_pred - y_true * log(y_pred + 1e-7))`."""
    y_true, y_pred = _cast(y_true, y_pred)
    return tf.reduce_mean(y_pred - y_true * tf.math.log(y_pred + _EPSILON), axis=-1)


def _l2_normalize(x: tf.Tensor) -> tf.Tensor:
    # Keras 1's K.l2_normalize: tf.nn.l2_normalize with its default epsilon.
    return tf.nn.l2_normalize(x, axis=-1, epsilon=1e-12)


@_register
def cosine_proximity(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `cosine`: minus the mean (not sum) of the normalised product."""
    y_true, y_pred = _cast(y_true, y_pred)
    return -tf.reduce_mean(_l2_normalize(y_true) * _l2_normalize(y_pred), axis=-1)


# Keras 1's aliases.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kullback_leibler_divergence
cosine = cosine_proximity

_LOSSES: dict[str, LossFunction] = {
    fn.__name__: fn
    for fn in (
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        squared_hinge,
        hinge,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        binary_crossentropy,
        kullback_leibler_divergence,
        poisson,
        cosine_proximity,
    )
}
_LOSSES.update(
    {
        "mse": mse,
        "MSE": mse,
        "mae": mae,
        "MAE": mae,
        "mape": mape,
        "MAPE": mape,
        "msle": msle,
        "MSLE": msle,
        "kld": kld,
        "KLD": kld,
        "cosine": cosine,
    }
)


def get(identifier: Any) -> LossFunction:
    """Returns the Keras 1 loss for a name, or a callable as given.

    Args:
        identifier: A Keras 1 objective name (`"mse"`,
            `"categorical_crossentropy"`, ...) or a callable.

    Returns:
        The loss function (per sample, as Keras 1's).

    Raises:
        ValueError: for a name Keras 1 did not have; the message lists the
            names it had.
    """
    if callable(identifier):
        return identifier
    if isinstance(identifier, str) and identifier in _LOSSES:
        return _LOSSES[identifier]
    raise ValueError(
        f"Unknown Keras 1 loss. Keras 1 had: {', '.join(sorted(_LOSSES))}. "
        f"Received: loss={identifier!r}"
    )


def _function_name(fn: LossFunction) -> str:
    if _LOSSES.get(getattr(fn, "__name__", "")) is fn:
        return fn.__name__
    registered = keras.saving.get_registered_name(fn)
    if keras.saving.get_registered_object(registered) is not fn:
        raise ValueError(
            "Keras1Loss can only save a Keras 1 loss or a function registered "
            "with keras.saving.register_keras_serializable. "
            f"Received: fn={fn!r}"
        )
    return registered


@register_serializable
class Keras1Loss(keras.losses.Loss):
    """A Keras 1 objective, applied to the targets as Keras 1 applied it.

    Modern Keras wraps a loss function so that the targets are reshaped to
    the predictions' rank first; Keras 1 passed both as they were. The two
    differ where the shapes do not match, as for a Keras 1 `Merge` in `cos`
    mode, whose `(batch, 1, 1)` output against `(batch, 1)` targets makes
    Keras 1's mse a mean over all pairs of samples. Masks reduce the loss as
    in Keras 1, `sum(loss * mask) / sum(mask)`.

    Args:
        fn: A Keras 1 objective (a name, or a function of `y_true, y_pred`
            returning per-sample losses).
        name: The loss name; defaults to the function's.
    """

    def __init__(self, fn: Any, name: str | None = None) -> None:
        self.fn = get(fn)
        super().__init__(name=name or getattr(self.fn, "__name__", "loss"))

    def call(self, y_true: Any, y_pred: Any) -> tf.Tensor:
        """The per-sample losses of `fn`, as Keras 1 computed them."""
        return self.fn(y_true, y_pred)

    def get_config(self) -> dict[str, Any]:
        """`{'fn': <Keras 1 or registered name>, 'name': ...}`."""
        return {"fn": _function_name(self.fn), "name": self.name}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Keras1Loss:
        """Builds the loss from `get_config()`."""
        config = dict(config)
        fn = config.pop("fn")
        found = _LOSSES.get(fn) or keras.saving.get_registered_object(fn)
        if found is None:
            raise ValueError(
                f"Keras1Loss: unknown function {fn!r}; register it with "
                f"keras.saving.register_keras_serializable. Received: fn={fn!r}"
            )
        return cls(found, name=config.get("name"))


@_register
def binary_accuracy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `binary_accuracy`: `y_true == round(y_pred)`, averaged."""
    y_true, y_pred = _cast(y_true, y_pred)
    return tf.reduce_mean(
        tf.cast(tf.equal(y_true, tf.round(y_pred)), y_pred.dtype), axis=-1
    )


@_register
def categorical_accuracy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `categorical_accuracy`: the argmaxes agree."""
    y_pred = tf.convert_to_tensor(y_pred)
    same = tf.equal(tf.argmax(y_true, axis=-1), tf.argmax(y_pred, axis=-1))
    return tf.cast(same, y_pred.dtype)


@_register
def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's `sparse_categorical_accuracy`: `max(y_true, -1) == argmax`."""
    y_true, y_pred = _cast(y_true, y_pred)
    label = tf.reduce_max(y_true, axis=-1)
    same = tf.equal(label, tf.cast(tf.argmax(y_pred, axis=-1), y_pred.dtype))
    return tf.cast(same, y_pred.dtype)


@_register
def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> tf.Tensor:
    """Keras 1's `top_k_categorical_accuracy` (k = 5)."""
    y_pred = tf.convert_to_tensor(y_pred)
    hit = tf.nn.in_top_k(
        targets=tf.argmax(y_true, axis=-1, output_type=tf.int32),
        predictions=tf.reshape(y_pred, (-1, tf.shape(y_pred)[-1])),
        k=k,
    )
    return tf.reshape(tf.cast(hit, y_pred.dtype), tf.shape(y_pred)[:-1])


def _round_clip(x: tf.Tensor) -> tf.Tensor:
    return tf.round(tf.clip_by_value(x, 0.0, 1.0))


@_register
def precision(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's batch-wise precision."""
    y_true, y_pred = _cast(y_true, y_pred)
    true_positives = tf.reduce_sum(_round_clip(y_true * y_pred))
    predicted = tf.reduce_sum(_round_clip(y_pred))
    return true_positives / (predicted + _EPSILON)


@_register
def recall(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's batch-wise recall."""
    y_true, y_pred = _cast(y_true, y_pred)
    true_positives = tf.reduce_sum(_round_clip(y_true * y_pred))
    possible = tf.reduce_sum(_round_clip(y_true))
    return true_positives / (possible + _EPSILON)


@_register
def fbeta_score(y_true: Any, y_pred: Any, beta: float = 1) -> tf.Tensor:
    """Keras 1's batch-wise F-beta score.

    Keras 1 meant to return 0 for a batch without positives, but its test
    compared a tensor with 0 and was never true under TensorFlow: the score
    is always `(1 + b**2) p r / (b**2 p + r + 1e-7)`.
    """
    p = precision(y_true, y_pred)
    r = recall(y_true, y_pred)
    bb = beta**2
    return (1 + bb) * (p * r) / (bb * p + r + _EPSILON)


@_register
def fmeasure(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's batch-wise F1 score (`fscore`, `f1score`)."""
    return fbeta_score(y_true, y_pred, beta=1)


@_register
def matthews_correlation(y_true: Any, y_pred: Any) -> tf.Tensor:
    """Keras 1's batch-wise Matthews correlation coefficient."""
    y_true, y_pred = _cast(y_true, y_pred)
    y_pred_pos = _round_clip(y_pred)
    y_pos = _round_clip(y_true)
    tp = tf.reduce_sum(y_pos * y_pred_pos)
    tn = tf.reduce_sum((1 - y_pos) * (1 - y_pred_pos))
    fp = tf.reduce_sum((1 - y_pos) * y_pred_pos)
    fn = tf.reduce_sum(y_pos * (1 - y_pred_pos))
    numerator = tp * tn - fp * fn
    denominator = tf.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn))
    return numerator / (denominator + _EPSILON)


_METRICS: dict[str, LossFunction] = {
    fn.__name__: fn
    for fn in (
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        precision,
        recall,
        fbeta_score,
        fmeasure,
        matthews_correlation,
    )
}
_METRICS.update({"fscore": fmeasure, "f1score": fmeasure})
# Every loss was a metric too; Keras 1 logged it under the function's name.
_METRICS.update(_LOSSES)


def accuracy_for(loss: Any, output_shape: Sequence[Any]) -> LossFunction:
    """What Keras 1 computed for `metrics=['accuracy']` on one output.

    Args:
        loss: The output's loss (a name or function).
        output_shape: The output's shape; only its last dimension is read.

    Returns:
        `binary_accuracy` if the output has one unit or the loss is binary
        crossentropy, `sparse_categorical_accuracy` for the sparse
        categorical crossentropy, else `categorical_accuracy`.
    """
    loss_fn = get(loss) if isinstance(loss, str) else loss
    if output_shape[-1] == 1 or loss_fn is binary_crossentropy:
        return binary_accuracy
    if loss_fn is sparse_categorical_crossentropy:
        return sparse_categorical_accuracy
    return categorical_accuracy


def get_metric(
    identifier: Any, loss: Any = None, output_shape: Sequence[Any] | None = None
) -> Any:
    """Returns what Keras 1 computed for a metric name, as a modern metric.

    Args:
        identifier: A Keras 1 metric name (`"accuracy"`, `"acc"`, `"mse"`,
            `"fmeasure"`, ...) or a callable (returned as given).
        loss: The output's loss; needed for `"accuracy"`.
        output_shape: The output's shape; needed for `"accuracy"`.

    Returns:
        A `keras.metrics.MeanMetricWrapper` named as Keras 1 logged the
        metric (`"acc"` for accuracy, the function's name otherwise), or the
        callable.

    Raises:
        ValueError: for an unknown name, or `"accuracy"` without `loss` and
            `output_shape`.
    """
    if callable(identifier):
        return identifier
    if identifier in ("accuracy", "acc"):
        if loss is None or output_shape is None:
            raise ValueError(
                "Keras 1's 'accuracy' depends on the loss and the output shape; "
                f"pass both. Received: loss={loss!r}, output_shape={output_shape!r}"
            )
        return keras.metrics.MeanMetricWrapper(
            accuracy_for(loss, output_shape), name="acc"
        )
    if isinstance(identifier, str) and identifier in _METRICS:
        fn = _METRICS[identifier]
        return keras.metrics.MeanMetricWrapper(fn, name=fn.__name__)
    raise ValueError(
        "Unknown Keras 1 metric. Keras 1 had: accuracy, acc, "
        f"{', '.join(sorted(_METRICS))}. Received: metric={identifier!r}"
    )
