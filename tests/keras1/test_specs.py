"""LayerSpec: binding Keras 1 arguments, converting them, reading configs and
checking weights."""

import re

import numpy as np
import pytest

from keras_embedding import Embedding
from keras_embedding.keras1.specs import (
    REQUIRED,
    Arg,
    LayerSpec,
    Refused,
    boolean,
    check_weights,
    choice,
    integer,
    integers,
    number,
    optional,
    rate,
    seed,
    shape,
)


def _double(name, value):
    if not isinstance(value, int):
        raise ValueError(f"`{name}` must be an int. Received: {name}={value!r}")
    return 2 * value


SPEC = LayerSpec(
    "Thing",
    args=(
        Arg("output_dim", "units"),
        Arg("init", "kernel_initializer", "glorot_uniform"),
        Arg("size", default=1, convert=_double),
    ),
    refused={"mode": Refused(0, "only mode 0 exists today.")},
)


def test_positional_and_keyword_values_land_on_keras1_names():
    values, rest = SPEC.collect((3,), {"kernel_initializer": "zero", "name": "t"}, "T")
    assert values == {"output_dim": 3, "init": "zero"}
    assert rest == {"name": "t"}


def test_convert_fills_keras1_defaults_and_uses_modern_keys():
    modern = SPEC.convert({"output_dim": 3}, "T")
    assert modern == {"units": 3, "kernel_initializer": "glorot_uniform", "size": 2}


def test_a_converter_error_names_the_owner():
    with pytest.raises(
        ValueError, match=r"^T: `size` must be an int\. Received: size="
    ):
        SPEC.convert({"output_dim": 3, "size": "x"}, "T")


def test_a_missing_required_argument_is_a_type_error():
    assert Arg("x").default is REQUIRED
    with pytest.raises(TypeError, match="needs the argument `output_dim`"):
        SPEC.convert({}, "T")


@pytest.mark.parametrize(
    "args, kwargs",
    [
        ((), {"output_dim": 3, "units": 3}),
        ((3,), {"output_dim": 4}),
        ((3,), {"units": 4}),
    ],
)
def test_one_argument_given_twice_is_a_type_error(args, kwargs):
    with pytest.raises(TypeError, match="pass only one"):
        SPEC.collect(args, kwargs, "T")


def test_too_many_positional_values_is_a_type_error():
    with pytest.raises(TypeError, match="at most 3 positional"):
        SPEC.collect((1, 2, 3, 4), {}, "T")


def test_a_refused_argument_passes_only_with_its_harmless_value():
    assert SPEC.collect((), {"mode": 0}, "T") == ({}, {})
    with pytest.raises(
        ValueError, match=r"only mode 0 exists today\. Received: mode=2$"
    ):
        SPEC.collect((), {"mode": 2}, "T")


def test_from_config_unwraps_model_entries_and_does_not_modify_them():
    entry = {"class_name": "Thing", "config": {"name": "t", "units": 3, "init": "x"}}
    values, rest = SPEC.from_config(entry)
    assert values == {"output_dim": 3, "init": "x"}
    assert rest == {"name": "t"}
    assert entry["config"] == {"name": "t", "units": 3, "init": "x"}


def test_from_config_reports_a_clash_as_a_value_error_naming_the_layer():
    with pytest.raises(
        ValueError, match=r"Thing config 't'.*both `output_dim` and `units`"
    ):
        SPEC.from_config({"name": "t", "output_dim": 3, "units": 3})


@pytest.mark.parametrize("value", [True, 1.5, float("nan"), float("inf"), "3", -1])
def test_integer_refuses_what_is_not_a_whole_number(value):
    with pytest.raises(ValueError, match=r"Received: n="):
        integer(0)("n", value)


@pytest.mark.parametrize("value", [3, np.int64(3), 3.0, np.float32(3.0)])
def test_integer_takes_every_integral_number(value):
    result = integer(0)("n", value)
    assert result == 3 and type(result) is int


def test_integer_has_a_maximum_written_as_a_power_of_two():
    assert integer(0, 2**31 - 1)("n", 2**31 - 1) == 2**31 - 1
    with pytest.raises(
        ValueError, match=r"in \[0, 2\*\*31 - 1\]. Received: n=2147483648"
    ):
        integer(0, 2**31 - 1)("n", 2**31)
    with pytest.raises(ValueError, match=r"2\*\*63 - 1\]"):
        integer(1)("n", 1e30)


def test_convert_value_converts_one_argument_naming_the_owner():
    assert SPEC.convert_value("size", 3, "T 't'") == 6
    assert SPEC.convert_value("init", "zero", "T 't'") == "zero"
    with pytest.raises(ValueError, match="^T 't': `size` must be an int"):
        SPEC.convert_value("size", 1.5, "T 't'")


@pytest.mark.parametrize("value", [0, 2**64 - 1, np.uint64(2**64 - 1), np.int8(3)])
def test_seed_takes_integers_of_64_bits(value):
    assert seed("seed", value) == int(value)


@pytest.mark.parametrize(
    "value, error",
    [(-1, ValueError), (2**64, ValueError), (1.0, TypeError), (True, TypeError)],
)
def test_seed_refuses_what_is_no_64_bit_integer(value, error):
    with pytest.raises(error, match=f"Received: seed={value!r}"):
        seed("seed", value)


def test_shape_takes_tuples_and_lists_of_sizes():
    assert shape("s", [3, None, np.int32(2)]) == (3, None, 2)
    assert shape("s", ()) == ()
    for value in (5, "ab", (1.5,), (-1,), (True,), {3: 4}):
        with pytest.raises(TypeError, match="Received: s="):
            shape("s", value)


def test_optional_lets_none_through():
    assert optional(integer(0))("n", None) is None
    assert optional(integer(0))("n", 2) == 2


@pytest.mark.parametrize("value", [1.0, -0.1, float("nan"), True, "0.5"])
def test_rate_refuses_values_outside_zero_one(value):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        rate("p", value)


def test_boolean_takes_flags_only():
    assert boolean("f", np.bool_(True)) is True
    assert boolean("f", 0) is False
    with pytest.raises(TypeError, match="Received: f='yes'"):
        boolean("f", "yes")


@pytest.mark.parametrize(
    "weights, message",
    [
        ([[[1, 2], [3]]], "not a rectangular array"),
        ([np.array([["a", "b"]] * 3)], "real numbers"),
        ([np.array([[None, 1.0]] * 3, dtype=object)], "real numbers"),
        ([np.ones((3, 2)) * 1j], "real numbers"),
        ([np.ones((2, 3))], r"has shape \(2, 3\), but the layer expects \(3, 2\)"),
        (np.ones((3, 2)), "list of exactly 1 array"),
    ],
    ids=["ragged", "strings", "None", "complex", "shape", "bare array"],
)
def test_check_weights_refuses_anything_but_real_arrays_of_the_shapes(weights, message):
    with pytest.raises(ValueError, match=message) as info:
        check_weights("Layer 'x'", weights, [(3, 2)])
    assert str(info.value).startswith("Layer 'x': ")
    assert "Received: weights" in str(info.value)


def test_check_weights_casts_to_the_variable_dtype():
    (table,) = check_weights("L", [np.ones((3, 2), np.float64)], [(3, 2)], "float32")
    assert table.dtype == np.float32


# The Embedding goes through its spec: the same rules apply to the layer.


def test_the_embedding_refuses_a_legacy_and_a_modern_name_even_at_the_default():
    # Passing the default value explicitly still counts as passing it.
    with pytest.raises(TypeError, match="both `init` and `embeddings_initializer`"):
        Embedding(5, 2, init="uniform", embeddings_initializer="normal")


@pytest.mark.parametrize(
    "weights",
    [
        [[[0.0, 1.0]] * 4 + [[0.0]]],
        [np.array([["a", "b"]] * 5)],
        [np.array([[None, 1.0]] * 5, dtype=object)],
        [np.ones((5, 2)) * 1j],
    ],
    ids=["ragged", "strings", "None", "complex"],
)
def test_the_embedding_refuses_bad_weights_at_construction_naming_itself(weights):
    with pytest.raises(
        ValueError, match=r"^Embedding layer 'emb': .*Received: weights"
    ):
        Embedding(5, 2, weights=weights, name="emb")


# ----------------------------------------------------------------------
# What the whole-model specs added


def test_keyword_only_arguments_take_no_position():
    spec = LayerSpec(
        "Rnn",
        args=(Arg("output_dim"), Arg("stateful", default=False, keyword_only=True)),
    )
    with pytest.raises(
        TypeError, match=r"at most 1 positional arguments \(output_dim\)"
    ):
        spec.collect((3, True), {}, "R")
    assert spec.collect((3,), {"stateful": True}, "R")[0] == {
        "output_dim": 3,
        "stateful": True,
    }


def test_choice_maps_and_refuses_with_the_reason():
    mode = choice({0: "zero"}, "Mode 1 is gone.")
    assert mode("mode", 0) == "zero"
    with pytest.raises(
        ValueError, match=r"`mode` must be one of 0\. Mode 1 is gone\. Received: mode=1"
    ):
        mode("mode", 1)
    with pytest.raises(ValueError):
        mode("mode", False)  # not the 0 it equals


@pytest.mark.parametrize("value", [float("nan"), "1", True, None])
def test_number_refuses_what_is_no_finite_number(value):
    with pytest.raises(ValueError, match="finite number"):
        number()("sigma", value)


def test_number_minimum():
    assert number(0.0)("sigma", 2) == 2.0
    with pytest.raises(ValueError, match=">= 0.0"):
        number(0.0)("sigma", -1)


def test_integers_take_one_or_the_right_count():
    pair = integers(2, 1)
    assert pair("subsample", 2) == (2, 2)
    assert pair("subsample", [1, 3]) == (1, 3)
    for bad in ((1, 2, 3), (1, 0), "2"):
        with pytest.raises(ValueError, match=re.escape(f"Received: subsample={bad!r}")):
            pair("subsample", bad)
