"""Keras 1 regularizers: formulas, names, config forms and errors."""

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1 import regularizers
from keras_embedding.keras1.regularizers import L1L2Regularizer


@pytest.fixture
def x():
    return np.random.default_rng(0).normal(size=(7, 5, 3)).astype(np.float32)


def _numpy_penalty(x, l1, l2):
    x = x.astype(np.float64)
    return l1 * np.abs(x).sum() + l2 * np.square(x).sum()


@pytest.mark.parametrize(("l1", "l2"), [(0.0, 0.0), (0.01, 0.0), (0.0, 0.3), (0.5, 2)])
def test_the_penalty_is_a_sum_over_all_elements(x, l1, l2):
    value = float(L1L2Regularizer(l1=l1, l2=l2)(x))
    assert value == pytest.approx(_numpy_penalty(x, l1, l2), rel=1e-5)


def test_the_penalty_doubles_with_the_batch(x):
    reg = regularizers.activity_l2(0.01)
    doubled = np.concatenate([x, x])
    assert float(reg(doubled)) == pytest.approx(2 * float(reg(x)), rel=1e-6)


def test_a_float16_input_is_summed_in_float32():
    big = np.full((200, 200), 20.0, np.float16)
    value = regularizers.l2(1.0)(big)
    assert value.dtype == "float32"
    assert float(value) == pytest.approx(200 * 200 * 400)


@pytest.mark.parametrize(
    ("factory", "l1", "l2"),
    [
        (regularizers.l1, 0.01, 0.0),
        (regularizers.l2, 0.0, 0.01),
        (regularizers.l1l2, 0.01, 0.01),
        (regularizers.activity_l1, 0.01, 0.0),
        (regularizers.activity_l2, 0.0, 0.01),
        (regularizers.activity_l1l2, 0.01, 0.01),
        (regularizers.WeightRegularizer, 0.0, 0.0),
        (regularizers.ActivityRegularizer, 0.0, 0.0),
        (L1L2Regularizer, 0.0, 0.0),
    ],
)
def test_keras1_defaults_names_and_float32_configs(factory, l1, l2):
    expected = {"l1": float(np.float32(l1)), "l2": float(np.float32(l2))}
    assert factory().get_config() == expected
    assert regularizers.get(factory.__name__).get_config() == expected
    assert factory().keras1_config() == {"name": "L1L2Regularizer", **expected}


def test_keras1_stores_factors_as_float32():
    assert regularizers.l2(0.01).keras1_config() == {
        "name": "L1L2Regularizer",
        "l1": 0.0,
        "l2": 0.009999999776482582,
    }
    assert regularizers.l2(l=0.3).get_config()["l2"] == 0.30000001192092896


@pytest.mark.parametrize(
    "config",
    [
        {"name": "L1L2Regularizer", "l1": 0.001, "l2": 0.3},
        {"name": "WeightRegularizer", "l1": 0.001, "l2": 0.3},
        {"name": "ActivityRegularizer", "l1": 0.001, "l2": 0.3},
        {"name": "l1l2", "l1": 0.001, "l2": 0.3},
        {"name": "activity_l1l2", "l1": 0.001, "l2": 0.3},
    ],
)
def test_keras1_dicts(config, x):
    original = dict(config)
    reg = regularizers.get(config)
    assert config == original  # Keras 1 popped 'name' from the dict.
    assert isinstance(reg, L1L2Regularizer)
    assert reg.get_config() == {
        "l1": float(np.float32(0.001)),
        "l2": float(np.float32(0.3)),
    }
    assert float(reg(x)) == pytest.approx(_numpy_penalty(x, 0.001, 0.3), rel=1e-5)


def test_a_keras1_dict_with_l_keyword():
    assert regularizers.get({"name": "l2", "l": 0.5}).get_config()["l2"] == 0.5


def test_round_trip_through_keras_serialization():
    reg = regularizers.l1l2(0.25, 0.5)
    config = keras.regularizers.serialize(reg)
    restored = regularizers.get(config)
    assert isinstance(restored, L1L2Regularizer)
    assert restored.get_config() == reg.get_config()


def test_a_tf_keras_legacy_registered_config_is_read():
    config = {
        "class_name": "keras_embedding>L1L2Regularizer",
        "config": {"l1": 0.0, "l2": 0.5},
    }
    assert regularizers.get(config).get_config() == {"l1": 0.0, "l2": 0.5}


@pytest.mark.parametrize(
    ("identifier", "class_name"),
    [
        ("L2", "L2"),
        ("L1L2", "L1L2"),
        ({"class_name": "L1L2", "config": {"l1": 0.0, "l2": 0.02}}, "L1L2"),
        (
            {
                "module": "keras.regularizers",
                "class_name": "L2",
                "config": {"l2": 0.02},
                "registered_name": None,
            },
            "L2",
        ),
    ],
)
def test_modern_names_and_configs(identifier, class_name):
    reg = regularizers.get(identifier)
    assert type(reg).__name__ == class_name
    assert type(reg).__module__.startswith("keras" if IS_KERAS3 else "tf_keras")


def test_none_instances_and_callables_pass_through():
    assert regularizers.get(None) is None
    reg = keras.regularizers.L2(0.1)
    assert regularizers.get(reg) is reg

    def penalty(weights):
        return 0.0

    assert regularizers.get(penalty) is penalty


class _Keras10Regularizer:
    """The Keras 1.0 protocol: `set_param` and `__call__(loss)`."""

    def set_param(self, p):
        self.p = p

    def __call__(self, loss):
        return loss + 0.01 * (self.p**2).sum()


def test_a_keras10_protocol_regularizer_cannot_be_ported():
    with pytest.raises(ValueError, match="1.0-protocol") as info:
        regularizers.get(_Keras10Regularizer())
    message = str(info.value)
    assert "reg(weight_matrix) -> scalar" in message
    assert "keras.regularizers.Regularizer" in message
    assert "Received: regularizer=<" in message


@pytest.mark.parametrize(
    ("kwargs", "received"),
    [
        ({"l1": -1}, "l1=-1"),
        ({"l2": float("nan")}, "l2=nan"),
        ({"l2": "0.1"}, "l2='0.1'"),
        ({"l1": True}, "l1=True"),
        ({"l2": float("inf")}, "l2=inf"),
    ],
)
def test_bad_factors_are_errors(kwargs, received):
    with pytest.raises(ValueError, match="L1L2Regularizer") as info:
        L1L2Regularizer(**kwargs)
    assert str(info.value).endswith(f"Received: {received}")


@pytest.mark.parametrize(
    "identifier",
    [
        "bogus",
        {"name": "Bogus"},
        {"name": "l2", "weight": 0.1},
        {"class_name": "Bogus", "config": {}},
        3,
    ],
)
def test_unknown_regularizers_are_errors(identifier):
    with pytest.raises(ValueError, match="Invalid regularizer") as info:
        regularizers.get(identifier)
    assert str(info.value).endswith(f"Received: regularizer={identifier!r}")
