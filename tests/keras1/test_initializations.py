"""Keras 1 initializations: distributions, functions, `get()` and saving."""

import math

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding import Embedding
from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding.keras1 import initializations

SHAPE = (1000, 500)  # fan_in = 1000 (input_dim), fan_out = 500 (output_dim)
N = SHAPE[0] * SHAPE[1]
FAN_IN, FAN_OUT = SHAPE

# The Keras 1 formulas (keras1-facts.md section 4), written out independently.
UNIFORM_LIMITS = {
    "uniform": 0.05,
    "lecun_uniform": math.sqrt(3 / FAN_IN),
    "glorot_uniform": math.sqrt(6 / (FAN_IN + FAN_OUT)),
    "he_uniform": math.sqrt(6 / FAN_IN),
}
NORMAL_STDS = {
    "normal": 0.05,
    "glorot_normal": math.sqrt(2 / (FAN_IN + FAN_OUT)),
    "he_normal": math.sqrt(2 / FAN_IN),
}
ALL_NAMES = [
    *UNIFORM_LIMITS,
    *NORMAL_STDS,
    "orthogonal",
    "identity",
    "zero",
    "one",
]
# P(|z| > 2) for a standard normal.
TAIL_MASS_2_SIGMA = math.erfc(2 / math.sqrt(2))


def _draw(name, shape=SHAPE, seed=1):
    values = np.asarray(initializations.get(name, seed=seed)(shape))
    assert values.shape == tuple(shape)
    assert values.dtype == np.float32
    return values


@pytest.mark.parametrize("name", list(UNIFORM_LIMITS))
def test_uniform_distributions_match_keras1_limits(name):
    limit = UNIFORM_LIMITS[name]
    w = _draw(name)
    assert w.min() >= -limit and w.max() <= limit
    # The whole range is used: both ends are reached within 0.1%.
    assert w.min() < -0.999 * limit and w.max() > 0.999 * limit
    assert abs(w.mean()) < 5 * limit / math.sqrt(3 * N)
    assert w.std() == pytest.approx(limit / math.sqrt(3), rel=0.01)


@pytest.mark.parametrize("name", list(NORMAL_STDS))
def test_normal_distributions_are_untruncated_with_keras1_std(name):
    std = NORMAL_STDS[name]
    w = _draw(name)
    assert abs(w.mean()) < 5 * std / math.sqrt(N)
    assert w.std() == pytest.approx(std, rel=0.01)
    tail = np.mean(np.abs(w) > 2 * std)
    assert tail == pytest.approx(TAIL_MASS_2_SIGMA, abs=0.003)
    # A normal truncated at 2 sigma (Keras 2's default) would stop there.
    assert np.abs(w).max() > 4 * std


@pytest.mark.parametrize("shape", [(50, 30), (30, 50)])
def test_orthogonal_has_orthonormal_rows_or_columns_with_gain_1_1(shape):
    w = _draw("orthogonal", shape).astype(np.float64)
    gram = w.T @ w if shape[0] >= shape[1] else w @ w.T
    np.testing.assert_allclose(gram, 1.21 * np.eye(min(shape)), atol=1e-5)


def test_identity_zero_and_one():
    np.testing.assert_array_equal(_draw("identity", (4, 4)), np.eye(4))
    np.testing.assert_array_equal(_draw("zero", (3, 2)), np.zeros((3, 2)))
    np.testing.assert_array_equal(_draw("one", (3, 2)), np.ones((3, 2)))


def test_identity_on_a_non_square_shape_names_the_shape():
    with pytest.raises(ValueError, match=r"square.*Received: shape=\(4, 3\)"):
        initializations.get("identity")((4, 3))


@pytest.mark.parametrize("name", [n for n in ALL_NAMES if n != "identity"])
def test_output_dim_zero_gives_an_empty_matrix(name):
    assert _draw(name, (10, 0)).shape == (10, 0)


def test_identity_of_an_empty_square_matrix():
    assert _draw("identity", (0, 0)).shape == (0, 0)


@pytest.mark.parametrize("name", ["uniform", "normal", "orthogonal", "he_normal"])
def test_a_seed_makes_every_call_reproducible(name):
    first = _draw(name, (20, 7), seed=5)
    np.testing.assert_array_equal(first, _draw(name, (20, 7), seed=5))
    init = initializations.get(name, seed=5)
    np.testing.assert_array_equal(init((20, 7)), init((20, 7)))
    assert not np.array_equal(first, _draw(name, (20, 7), seed=6))


def test_unseeded_inits_follow_np_random_seed_as_in_keras1():
    init = initializations.get("glorot_uniform")
    np.random.seed(3)
    first = np.asarray(init((20, 7)))
    second = np.asarray(init((20, 7)))
    np.random.seed(3)
    np.testing.assert_array_equal(first, init((20, 7)))
    assert not np.array_equal(first, second)


def test_the_table_of_a_layer_uses_the_keras1_distribution():
    layer = Embedding(FAN_IN, FAN_OUT, init="he_uniform")
    layer.build((None, None))
    w = layer.get_weights()[0]
    assert np.abs(w).max() <= UNIFORM_LIMITS["he_uniform"]
    assert w.std() == pytest.approx(UNIFORM_LIMITS["he_uniform"] / math.sqrt(3), 0.01)


@pytest.mark.parametrize(
    ("function", "kwargs", "std"),
    [
        (initializations.uniform, {"scale": 0.2}, 0.2 / math.sqrt(3)),
        (initializations.normal, {"scale": 0.01}, 0.01),
        (initializations.lecun_uniform, {}, UNIFORM_LIMITS["lecun_uniform"] / 3**0.5),
        (initializations.glorot_normal, {}, NORMAL_STDS["glorot_normal"]),
        (initializations.glorot_uniform, {}, UNIFORM_LIMITS["glorot_uniform"] / 3**0.5),
        (initializations.he_normal, {}, NORMAL_STDS["he_normal"]),
        (initializations.he_uniform, {}, UNIFORM_LIMITS["he_uniform"] / 3**0.5),
    ],
)
def test_keras1_functions_take_keras1_arguments(function, kwargs, std):
    w = function(SHAPE, name="embedding_1_W", **kwargs)
    assert w.dtype == "float32" and tuple(w.shape) == SHAPE
    assert np.std(w) == pytest.approx(std, rel=0.01)


def test_keras1_fixed_functions():
    np.testing.assert_array_equal(initializations.zero((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializations.one((2, 3)), np.ones((2, 3)))
    np.testing.assert_array_equal(
        initializations.identity((3, 3), scale=2), 2 * np.eye(3)
    )
    w = np.asarray(initializations.orthogonal((6, 6), scale=2.0), np.float64)
    np.testing.assert_allclose(w.T @ w, 4 * np.eye(6), atol=1e-5)


def init_normal(shape, name=None):
    return initializations.normal(shape, scale=0.01, name=name)


def test_a_keras1_custom_init_function_is_used_as_the_table_init():
    layer = Embedding(FAN_IN, 50, init=init_normal)
    layer.build((None, None))
    w = layer.get_weights()[0]
    assert w.std() == pytest.approx(0.01, rel=0.01)
    config = keras.initializers.serialize(initializations.get(init_normal))
    assert config["config"] == {"function": "init_normal"}


@pytest.mark.parametrize(
    "value",
    [
        lambda shape, name=None: np.full(shape, 0.5),
        lambda shape, name=None: tf.Variable(np.full(shape, 0.5)),
    ],
    ids=["numpy", "variable"],
)
def test_a_keras1_init_may_return_an_array_or_a_variable(value):
    w = initializations.get(value)((3, 2))
    assert w.dtype == "float32"
    np.testing.assert_array_equal(w, np.full((3, 2), 0.5))


def test_a_keras1_init_of_the_wrong_shape_is_an_error():
    def bad(shape, name=None):
        return np.zeros((2, 2))

    with pytest.raises(ValueError, match=r"'bad'.*Received: shape=\(3, 2\)"):
        initializations.get(bad)((3, 2))


def test_keras1_function_names_reload_by_registration_or_custom_objects():
    config = keras.initializers.serialize(initializations.get(init_normal))
    with pytest.raises(ValueError, match="Received: function='init_normal'"):
        initializations.get(config)
    with keras.saving.custom_object_scope({"init_normal": init_normal}):
        restored = initializations.get(config)
        # A Keras 1 config names the function as a plain `init` string.
        by_name = initializations.get("init_normal")
    assert restored.function is init_normal and by_name.function is init_normal


def test_a_registered_keras1_function_reloads_from_its_keras1_name():
    @keras.saving.register_keras_serializable(package="test_legacy")
    def scaled_one(shape, name=None):
        return 3 * initializations.one(shape, name=name)

    config = keras.initializers.serialize(initializations.get(scaled_one))
    assert config["config"] == {"function": "test_legacy>scaled_one"}
    for identifier in (config, "scaled_one"):
        np.testing.assert_array_equal(
            initializations.get(identifier)((2, 2)), np.full((2, 2), 3.0)
        )


@pytest.mark.parametrize("name", ALL_NAMES)
def test_keras1_initializers_round_trip_their_config(name):
    init = initializations.get(name, seed=11)
    restored = initializations.get(keras.initializers.serialize(init))
    assert type(restored) is type(init)
    assert restored.get_config() == init.get_config() == {"init": name, "seed": 11}
    shape = (5, 5)
    np.testing.assert_array_equal(restored(shape), init(shape))


def test_the_module_functions_map_to_their_named_initializer():
    init = initializations.get(initializations.glorot_normal, seed=2)
    assert init.get_config() == {"init": "glorot_normal", "seed": 2}


@pytest.mark.parametrize(
    ("identifier", "class_name"),
    [
        ("zeros", "Zeros"),
        ("random_normal", "RandomNormal"),
        ("GlorotNormal", "GlorotNormal"),
        ({"class_name": "Constant", "config": {"value": 2.0}}, "Constant"),
    ],
)
def test_modern_keras_names_and_configs(identifier, class_name):
    init = initializations.get(identifier)
    assert type(init).__name__ == class_name
    assert type(init).__module__.startswith("keras" if IS_KERAS3 else "tf_keras")


def test_a_keras3_style_config_loads_in_either_flavour():
    config = {
        "module": "keras.initializers",
        "class_name": "RandomUniform",
        "config": {"minval": -0.3, "maxval": 0.3, "seed": None},
        "registered_name": None,
    }
    init = initializations.get(config)
    assert type(init).__name__ == "RandomUniform"
    assert init.get_config()["maxval"] == 0.3


def test_modern_instances_and_callables_pass_through():
    init = keras.initializers.Ones()
    assert initializations.get(init) is init

    def modern(shape, dtype=None):
        return np.ones(shape)

    assert initializations.get(modern) is modern


@pytest.mark.parametrize(
    "identifier", ["bogus", 3, None, {"class_name": "Bogus", "config": {}}]
)
def test_an_unknown_init_is_an_error_naming_it(identifier):
    with pytest.raises(ValueError, match="Invalid initialization") as info:
        initializations.get(identifier)
    assert str(info.value).endswith(f"Received: init={identifier!r}")


def test_keras1_initializer_argument_errors():
    with pytest.raises(ValueError, match="Received: init='glorot'"):
        initializations.Keras1Initializer("glorot")
    with pytest.raises(ValueError, match="Received: seed=1.5"):
        initializations.Keras1Initializer("normal", seed=1.5)
    with pytest.raises(ValueError, match="Received: function=3"):
        initializations.Keras1Function(3)
