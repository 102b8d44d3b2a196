"""Keras 1's `keras.metrics`, for Keras 1 code that imports it by that path.

`model.compile(metrics=[metrics.fmeasure])` works as in Keras 1; the
definitions live in `keras_embedding.keras1.objectives`. Keras 1's metric
versions of the losses (`metrics.mse`, ...) were batch means of the same
formulas, which is what compile computes from these per-sample functions.
"""

from keras_embedding.keras1.objectives import (
    MAE,
    MAPE,
    MSE,
    MSLE,
    binary_accuracy,
    binary_crossentropy,
    categorical_accuracy,
    categorical_crossentropy,
    cosine,
    cosine_proximity,
    fbeta_score,
    fmeasure,
    hinge,
    kullback_leibler_divergence,
    mae,
    mape,
    matthews_correlation,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    mse,
    msle,
    poisson,
    precision,
    recall,
    sparse_categorical_accuracy,
    sparse_categorical_crossentropy,
    squared_hinge,
    top_k_categorical_accuracy,
)

fscore = f1score = fmeasure

__all__ = [
    "MAE",
    "MAPE",
    "MSE",
    "MSLE",
    "binary_accuracy",
    "binary_crossentropy",
    "categorical_accuracy",
    "categorical_crossentropy",
    "cosine",
    "cosine_proximity",
    "f1score",
    "fbeta_score",
    "fmeasure",
    "fscore",
    "hinge",
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
