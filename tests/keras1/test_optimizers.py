"""Keras 1 optimizers: Keras 1.2.2's numerics, names, configs and state."""

import json
import pathlib

import numpy as np
import pytest
import tensorflow as tf

from keras_embedding._compat import keras
from keras_embedding.keras1 import optimizers

FIXTURES = pathlib.Path(__file__).parents[1] / "fixtures"
STEPS = np.load(FIXTURES / "keras1_training" / "optimizer_steps.npz")
CASES = sorted({key.split("/")[0] for key in STEPS if key.endswith("/config")})


def _model(frozen_embedding=False):
    model = keras.Sequential(
        [
            keras.Input((4,), dtype="int32"),
            keras.layers.Embedding(6, 3, trainable=not frozen_embedding),
            keras.layers.Flatten(),
            keras.layers.Dense(1),
        ]
    )
    model.set_weights([STEPS[f"init/{i}"] for i in range(3)])
    return model


@pytest.mark.parametrize("case", CASES)
def test_training_steps_match_keras1(case):
    # Recorded from the real Keras 1.2.2 by make_optimizer_steps.py: an
    # Embedding (sparse gradient with duplicate rows) -> Flatten -> Dense.
    model = _model(bool(STEPS[f"{case}/frozen_embedding"]))
    config = json.loads(str(STEPS[f"{case}/config"]))
    model.compile(loss="mse", optimizer=optimizers.get(config))
    for step, expected_loss in enumerate(STEPS[f"{case}/losses"]):
        loss = np.ravel(model.train_on_batch(STEPS["x"], STEPS["y"]))[0]
        assert loss == pytest.approx(expected_loss, rel=1e-5)
        for i, weight in enumerate(model.get_weights()):
            np.testing.assert_allclose(
                weight, STEPS[f"{case}/w{step}_{i}"], rtol=1e-5, atol=1e-6
            )


# Independent numpy versions of Keras 1.2.2's update formulas
# (keras/optimizers.py), in float64. `state` holds the slots and `t`, the
# number of steps before this one.


def _lr(hp, t):
    return hp["lr"] / (1.0 + hp.get("decay", 0.0) * t)


def _np_sgd(p, g, state, hp, t):
    m = state.setdefault("m", np.zeros_like(p))
    v = hp["momentum"] * m - _lr(hp, t) * g
    state["m"] = v
    if hp["nesterov"]:
        return p + hp["momentum"] * v - _lr(hp, t) * g
    return p + v


def _np_rmsprop(p, g, state, hp, t):
    a = hp["rho"] * state.get("a", 0.0) + (1 - hp["rho"]) * g**2
    state["a"] = a
    return p - _lr(hp, t) * g / (np.sqrt(a) + hp["epsilon"])


def _np_adagrad(p, g, state, hp, t):
    a = state.get("a", 0.0) + g**2
    state["a"] = a
    return p - _lr(hp, t) * g / (np.sqrt(a) + hp["epsilon"])


def _np_adadelta(p, g, state, hp, t):
    rho, eps = hp["rho"], hp["epsilon"]
    a = rho * state.get("a", 0.0) + (1 - rho) * g**2
    d = state.get("d", 0.0)
    update = g * np.sqrt(d + eps) / np.sqrt(a + eps)
    state["a"], state["d"] = a, rho * d + (1 - rho) * update**2
    return p - _lr(hp, t) * update


def _np_adam(p, g, state, hp, t):
    b1, b2 = hp["beta_1"], hp["beta_2"]
    m = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = b2 * state.get("v", 0.0) + (1 - b2) * g**2
    state["m"], state["v"] = m, v
    lr_t = _lr(hp, t) * np.sqrt(1 - b2 ** (t + 1)) / (1 - b1 ** (t + 1))
    return p - lr_t * m / (np.sqrt(v) + hp["epsilon"])


def _np_adamax(p, g, state, hp, t):
    b1, b2 = hp["beta_1"], hp["beta_2"]
    m = b1 * state.get("m", 0.0) + (1 - b1) * g
    u = np.maximum(b2 * state.get("u", 0.0), np.abs(g))
    state["m"], state["u"] = m, u
    return p - _lr(hp, t) / (1 - b1 ** (t + 1)) * m / (u + hp["epsilon"])


def _np_nadam(p, g, state, hp, t):
    b1, b2, sd = hp["beta_1"], hp["beta_2"], hp["schedule_decay"]

    def mu(step):
        return b1 * (1 - 0.5 * 0.96 ** (step * sd))

    schedule = state.get("schedule", 1.0) * mu(t + 1)
    state["schedule"] = schedule
    m = b1 * state.get("m", 0.0) + (1 - b1) * g
    v = b2 * state.get("v", 0.0) + (1 - b2) * g**2
    state["m"], state["v"] = m, v
    m_bar = (1 - mu(t + 1)) * g / (1 - schedule) + mu(t + 2) * m / (
        1 - schedule * mu(t + 2)
    )
    v_hat = v / (1 - b2 ** (t + 1))
    return p - hp["lr"] * m_bar / (np.sqrt(v_hat) + hp["epsilon"])


NUMPY = {
    "SGD": (_np_sgd, {"lr": 0.1, "momentum": 0.8, "nesterov": True, "decay": 0.3}),
    "RMSprop": (_np_rmsprop, {"lr": 0.05, "rho": 0.7, "epsilon": 0.2, "decay": 0.3}),
    "Adagrad": (_np_adagrad, {"lr": 0.2, "epsilon": 0.3, "decay": 0.5}),
    "Adadelta": (_np_adadelta, {"lr": 0.9, "rho": 0.6, "epsilon": 0.01, "decay": 0.2}),
    "Adam": (
        _np_adam,
        {"lr": 0.05, "beta_1": 0.7, "beta_2": 0.8, "epsilon": 0.1, "decay": 0.4},
    ),
    "Adamax": (
        _np_adamax,
        {"lr": 0.05, "beta_1": 0.7, "beta_2": 0.8, "epsilon": 0.1, "decay": 0.4},
    ),
    "Nadam": (
        _np_nadam,
        {
            "lr": 0.05,
            "beta_1": 0.7,
            "beta_2": 0.8,
            "epsilon": 0.1,
            "schedule_decay": 0.5,
        },
    ),
}


def _gradients(sparse):
    """Four steps of gradients for a (5, 3) weight: as IndexedSlices with
    repeated and absent rows, or dense."""
    rng = np.random.default_rng(3)
    for rows in ([0, 2, 2], [4], [2, 0, 0, 0], [1, 3]):
        values = rng.normal(size=(len(rows), 3)).astype(np.float32)
        dense = np.zeros((5, 3))
        np.add.at(dense, rows, values)
        if sparse:
            yield tf.IndexedSlices(tf.constant(values), tf.constant(rows)), dense
        else:
            yield tf.constant(dense, tf.float32), dense


@pytest.mark.parametrize("sparse", [False, True], ids=["dense", "sparse"])
@pytest.mark.parametrize("name", sorted(NUMPY))
def test_updates_follow_the_keras1_formulas(name, sparse):
    formula, hp = NUMPY[name]
    optimizer = getattr(optimizers, name)(**hp)
    start = np.random.default_rng(1).normal(size=(5, 3))
    variable = tf.Variable(start.astype(np.float32))
    expected, state = start, {}
    for t, (gradient, dense) in enumerate(_gradients(sparse)):
        optimizer.apply_gradients([(gradient, variable)])
        expected = formula(expected, dense, state, hp, t)
        np.testing.assert_allclose(variable.numpy(), expected, rtol=2e-5, atol=2e-6)
    assert int(optimizer.iterations.numpy()) == 4


@pytest.mark.parametrize(
    ("ours", "modern"),
    [
        (optimizers.RMSprop(lr=0.1, epsilon=0.5), "RMSprop"),
        (optimizers.Adagrad(lr=0.1, epsilon=0.5), "Adagrad"),
    ],
    ids=["RMSprop", "Adagrad"],
)
def test_epsilon_and_accumulator_differ_from_the_modern_namesakes(ours, modern):
    # Keras 3 puts epsilon under the square root and starts Adagrad's
    # accumulator at 0.1; Keras 1 did neither (the numpy test pins ours).
    theirs = getattr(keras.optimizers, modern)(learning_rate=0.1, epsilon=0.5)
    results = []
    for optimizer in (ours, theirs):
        variable = tf.Variable(np.ones((2, 2), np.float32))
        optimizer.apply_gradients([(tf.fill((2, 2), 0.3), variable)])
        results.append(variable.numpy())
    assert np.abs(results[0] - results[1]).max() > 1e-3


def test_sparse_rows_without_gradient_are_untouched_where_exact():
    # SGD without momentum and Adagrad update only the rows looked up; the
    # others (momentum, moments) decay every row as Keras 1 did.
    for optimizer, touched_only in [
        (optimizers.SGD(lr=0.1), True),
        (optimizers.Adagrad(lr=0.1), True),
        (optimizers.SGD(lr=0.1, momentum=0.9), False),
        (optimizers.Adam(lr=0.1), False),
    ]:
        variable = tf.Variable(np.ones((4, 2), np.float32))
        for _ in range(2):
            rows = tf.constant([1, 1]) if _ == 0 else tf.constant([2])
            grad = tf.IndexedSlices(tf.ones((rows.shape[0], 2)), rows)
            optimizer.apply_gradients([(grad, variable)])
        changed = np.any(variable.numpy() != 1.0, axis=1)
        if touched_only:
            assert changed.tolist() == [False, True, True, False]
        else:
            assert changed[1] and changed[2]


def test_nadam_has_no_decay():
    with pytest.raises(TypeError, match="Nadam has no `decay`"):
        optimizers.Nadam(decay=0.1)


def test_clipnorm_is_global_and_combines_with_clipvalue():
    optimizer = optimizers.SGD(lr=1.0, clipnorm=1.0, clipvalue=0.5)
    a = tf.Variable(np.zeros(2, np.float32))
    b = tf.Variable(np.zeros(1, np.float32))
    optimizer.apply_gradients([(tf.constant([3.0, 0.0]), a), (tf.constant([4.0]), b)])
    # Global norm 5 -> scaled by 1/5 to (0.6, 0, 0.8), then clipped to 0.5.
    np.testing.assert_allclose(a.numpy(), [-0.5, 0.0], rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), [-0.5], rtol=1e-6)
    assert optimizer.get_config()["clipnorm"] == 1.0


@pytest.mark.parametrize("value", [0, None])
def test_clipnorm_zero_or_none_is_off(value):
    optimizer = optimizers.SGD(lr=1.0, clipnorm=value)
    variable = tf.Variable(np.zeros(1, np.float32))
    optimizer.apply_gradients([(tf.constant([30.0]), variable)])
    assert variable.numpy()[0] == pytest.approx(-30.0)
    assert "clipnorm" not in optimizer.get_config()


@pytest.mark.parametrize(
    ("name", "cls"),
    [
        ("sgd", optimizers.SGD),
        ("SGD", optimizers.SGD),
        ("rmsprop", optimizers.RMSprop),
        ("RMSprop", optimizers.RMSprop),
        ("adagrad", optimizers.Adagrad),
        ("Adadelta", optimizers.Adadelta),
        ("adam", optimizers.Adam),
        ("adamax", optimizers.Adamax),
        ("Nadam", optimizers.Nadam),
    ],
)
def test_get_by_name_gives_keras1_defaults(name, cls):
    optimizer = optimizers.get(name)
    assert type(optimizer) is cls
    defaults = {
        optimizers.SGD: 0.01,
        optimizers.RMSprop: 0.001,
        optimizers.Adagrad: 0.01,
        optimizers.Adadelta: 1.0,
        optimizers.Adam: 0.001,
        optimizers.Adamax: 0.002,
        optimizers.Nadam: 0.002,
    }
    assert optimizer.get_config()["lr"] == pytest.approx(defaults[cls])
    if hasattr(optimizer, "epsilon"):
        assert optimizer.epsilon == 1e-8


def test_get_reads_keras1_configs():
    config = {
        "class_name": "RMSprop",
        "config": {
            "lr": 0.0010000000474974513,
            "rho": 0.8999999761581421,
            "decay": 0.0,
            "epsilon": 1e-08,
        },
    }
    optimizer = optimizers.get(config)
    assert isinstance(optimizer, optimizers.RMSprop)
    assert optimizer.rho == pytest.approx(0.9)
    assert optimizers.get({"name": "adam", "lr": 0.5}).get_config()["lr"] == 0.5
    modern = keras.optimizers.Adam()
    assert optimizers.get(modern) is modern


@pytest.mark.parametrize(
    "identifier",
    [
        "adamw",
        {"class_name": "TFOptimizer", "config": {}},
        {"class_name": "Adam", "config": {"lr": 0.1, "momentum": 0.9}},
        3,
    ],
)
def test_get_refuses_what_it_cannot_build(identifier):
    with pytest.raises(ValueError, match="Received: optimizer="):
        optimizers.get(identifier)


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (optimizers.SGD, {"lr": -0.1}, "lr"),
        (optimizers.SGD, {"lr": "fast"}, "lr"),
        (optimizers.SGD, {"momentum": float("nan")}, "momentum"),
        (optimizers.RMSprop, {"decay": -1}, "decay"),
        (optimizers.Adam, {"beta_1": 1.0}, "beta_1"),
        (optimizers.Adamax, {"epsilon": -1e-8}, "epsilon"),
        (optimizers.Nadam, {"schedule_decay": True}, "schedule_decay"),
        (optimizers.Adagrad, {"clipnorm": -1.0}, "clipnorm"),
    ],
)
def test_bad_hyperparameters_are_named(cls, kwargs, name):
    with pytest.raises(ValueError, match=f"Received: {name}="):
        cls(**kwargs)
    with pytest.raises(TypeError, match="Received: nesterov=1"):
        optimizers.SGD(nesterov=1)


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_config_round_trip(name):
    optimizer = getattr(optimizers, name)(lr=0.25, clipvalue=2.0)
    config = optimizer.get_config()
    assert config["lr"] == 0.25 and config["clipvalue"] == 2.0
    assert "learning_rate" not in config
    again = type(optimizer).from_config(config)
    assert again.get_config() == config
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == config


def test_a_config_from_the_other_flavour_loads():
    # Keras 3 and tf_keras write different base options; the "not used"
    # values of either are accepted by both.
    config = {
        "name": "Adam",
        "learning_rate": 0.01,
        "weight_decay": None,
        "clipnorm": None,
        "global_clipnorm": None,
        "clipvalue": None,
        "use_ema": False,
        "ema_momentum": 0.99,
        "ema_overwrite_frequency": None,
        "loss_scale_factor": None,
        "gradient_accumulation_steps": None,
        "is_legacy_optimizer": False,
    }
    optimizer = optimizers.Adam.from_config(config)
    assert optimizer.get_config()["lr"] == pytest.approx(0.01)


def test_lr_is_settable_as_in_keras1():
    optimizer = optimizers.SGD(lr=0.1)
    optimizer.lr.assign(0.5)
    assert float(optimizer.learning_rate.numpy()) == 0.5
    optimizer.lr = 0.25
    assert optimizer.get_config()["lr"] == 0.25


def test_saved_model_keeps_the_optimizer_and_its_state(tmp_path):
    # Two steps, a .keras round trip, two more steps == four steps.
    x = np.array([[1, 2, 2, 3], [4, 1, 1, 2]], np.int32)
    y = np.array([[0.5], [-1.0]], np.float32)
    model = _model()
    model.compile(loss="mse", optimizer=optimizers.Nadam(lr=0.05))
    reference = _model()
    reference.compile(loss="mse", optimizer=optimizers.Nadam(lr=0.05))
    for _ in range(2):
        model.train_on_batch(x, y)
        reference.train_on_batch(x, y)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is optimizers.Nadam
    assert int(loaded.optimizer.iterations.numpy()) == 2
    for _ in range(2):
        expected = np.ravel(reference.train_on_batch(x, y))[0]
        assert np.ravel(loaded.train_on_batch(x, y))[0] == pytest.approx(
            expected, rel=1e-6
        )
    np.testing.assert_allclose(
        loaded.get_weights()[0], reference.get_weights()[0], rtol=1e-6
    )


def test_keras1_slot_variables_follow_the_keras1_order():
    optimizer = optimizers.Adadelta()
    variable = tf.Variable(np.ones((2, 2), np.float32))
    optimizer.apply_gradients([(tf.ones((2, 2)), variable)])
    accumulator, delta = optimizer.keras1_slot_variables(variable)
    np.testing.assert_allclose(accumulator.numpy(), 0.05, rtol=1e-6)
    assert np.all(delta.numpy() > 0)
    assert optimizers.Adadelta.keras1_slots == ("accumulators", "delta_accumulators")
    assert optimizers.Adam.keras1_saves_iterations
    assert not optimizers.RMSprop.keras1_saves_iterations


@pytest.mark.parametrize("name", ["SGD", "Adagrad", "Adam"])
def test_sparse_updates_under_xla_equal_eager_ones(name):
    # tf_keras deduplicates sparse gradients before the update; under XLA a
    # second `tf.unique` then pads its output with a repeated zero row.
    results = []
    for jit in (None, True):
        optimizer = getattr(optimizers, name)(lr=0.1)
        table = tf.Variable(np.ones((5, 2), np.float32))

        def step(optimizer=optimizer, table=table):
            with tf.GradientTape() as tape:
                loss = tf.reduce_sum(tf.gather(table, [1, 1, 3]) ** 3)
            optimizer.apply_gradients([(tape.gradient(loss, table), table)])

        run = step if jit is None else tf.function(step, jit_compile=True)
        for _ in range(3):
            run()
        results.append(table.numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-6)
