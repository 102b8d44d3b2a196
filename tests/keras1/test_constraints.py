"""Keras 1 constraints: formulas, names, config forms and errors."""

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1 import constraints
from keras_embedding.keras1.constraints import MaxNorm, NonNeg, UnitNorm

EPSILON = 1e-7  # Keras 1's K.epsilon()


@pytest.fixture
def w():
    return np.random.default_rng(0).normal(scale=2.0, size=(20, 4)).astype(np.float32)


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w), axis=axis, keepdims=True))


@pytest.mark.parametrize(("m", "axis"), [(2, 0), (2.5, 1), (0.5, [0, 1])])
def test_maxnorm_formula(w, m, axis):
    norms = _norms(w, tuple(axis) if isinstance(axis, list) else axis)
    expected = w * (np.clip(norms, 0, m) / (EPSILON + norms))
    np.testing.assert_allclose(MaxNorm(m, axis)(w), expected, rtol=1e-6)


def test_maxnorm_default_clips_columns_of_the_table(w):
    out = np.asarray(constraints.maxnorm()(w))
    column_norms = np.linalg.norm(out, axis=0)
    # Every column of w has norm > 2 here, so each becomes exactly 2.
    assert np.all(np.linalg.norm(w, axis=0) > 2)
    np.testing.assert_allclose(column_norms, 2.0, rtol=1e-6)


@pytest.mark.parametrize("axis", [0, 1])
def test_unitnorm_formula(w, axis):
    expected = w / (EPSILON + _norms(w, axis))
    np.testing.assert_allclose(UnitNorm(axis)(w), expected, rtol=1e-6)


def test_nonneg_zeroes_negatives_as_negative_zero(w):
    out = np.asarray(NonNeg()(w))
    np.testing.assert_array_equal(out, np.where(w >= 0, w, 0.0))
    assert np.all(np.signbit(out) == (w < 0))


@pytest.mark.parametrize(
    ("identifier", "cls", "config"),
    [
        ("maxnorm", MaxNorm, {"m": 2, "axis": 0}),
        ("MaxNorm", MaxNorm, {"m": 2, "axis": 0}),
        ("nonneg", NonNeg, {}),
        ("NonNeg", NonNeg, {}),
        ("unitnorm", UnitNorm, {"axis": 0}),
        ("UnitNorm", UnitNorm, {"axis": 0}),
        ({"name": "MaxNorm", "m": 3, "axis": 1}, MaxNorm, {"m": 3, "axis": 1}),
        ({"name": "maxnorm", "m": 1.5}, MaxNorm, {"m": 1.5, "axis": 0}),
        ({"name": "NonNeg"}, NonNeg, {}),
        ({"name": "UnitNorm", "axis": 1}, UnitNorm, {"axis": 1}),
    ],
)
def test_keras1_names_and_dicts(identifier, cls, config):
    original = identifier.copy() if isinstance(identifier, dict) else identifier
    constraint = constraints.get(identifier)
    assert type(constraint) is cls
    assert constraint.get_config() == config
    assert identifier == original


def test_the_aliases_are_the_classes():
    assert constraints.maxnorm is MaxNorm
    assert constraints.nonneg is NonNeg
    assert constraints.unitnorm is UnitNorm


def test_maxnorm_keeps_the_type_of_m_as_keras1():
    assert isinstance(MaxNorm(2).get_config()["m"], int)
    assert isinstance(MaxNorm(2.0).get_config()["m"], float)


@pytest.mark.parametrize("constraint", [MaxNorm(3, 1), NonNeg(), UnitNorm(1)])
def test_round_trip_through_keras_serialization(constraint):
    config = keras.constraints.serialize(constraint)
    assert config["registered_name"] == f"keras_embedding>{type(constraint).__name__}"
    restored = constraints.get(config)
    assert type(restored) is type(constraint)
    assert restored.get_config() == constraint.get_config()


def test_a_tf_keras_legacy_registered_config_is_ours():
    # tf_keras's .h5 format writes the registered name as the class name.
    config = {"class_name": "keras_embedding>MaxNorm", "config": {"m": 3, "axis": 1}}
    restored = constraints.get(config)
    assert type(restored) is MaxNorm and restored.get_config() == {"m": 3, "axis": 1}


@pytest.mark.parametrize(
    ("identifier", "class_name"),
    [
        ("max_norm", "MaxNorm"),
        ("non_neg", "NonNeg"),
        ({"class_name": "MaxNorm", "config": {"max_value": 2, "axis": 0}}, "MaxNorm"),
    ],
)
def test_modern_names_and_configs_are_modern_constraints(identifier, class_name):
    constraint = constraints.get(identifier)
    assert type(constraint).__name__ == class_name
    assert type(constraint).__module__.startswith("keras" if IS_KERAS3 else "tf_keras")


def test_none_instances_and_callables_pass_through():
    assert constraints.get(None) is None
    constraint = keras.constraints.NonNeg()
    assert constraints.get(constraint) is constraint

    def clip(weight):
        return weight

    assert constraints.get(clip) is clip


@pytest.mark.parametrize(
    ("make", "received"),
    [
        (lambda: MaxNorm(-1), "m=-1"),
        (lambda: MaxNorm("2"), "m='2'"),
        (lambda: MaxNorm(float("nan")), "m=nan"),
        (lambda: MaxNorm(2, axis="rows"), "axis='rows'"),
        (lambda: MaxNorm(2, axis=[]), "axis=[]"),
        (lambda: UnitNorm(axis=1.0), "axis=1.0"),
    ],
)
def test_bad_arguments_are_errors(make, received):
    with pytest.raises(ValueError) as info:
        make()
    assert str(info.value).endswith(f"Received: {received}")


@pytest.mark.parametrize(
    "identifier",
    [
        "bogus",
        {"name": "Bogus"},
        {"name": "MaxNorm", "max_value": 2},
        {"class_name": "Bogus", "config": {}},
        1.5,
    ],
)
def test_unknown_constraints_are_errors(identifier):
    with pytest.raises(ValueError, match="Invalid constraint") as info:
        constraints.get(identifier)
    assert str(info.value).endswith(f"Received: constraint={identifier!r}")
