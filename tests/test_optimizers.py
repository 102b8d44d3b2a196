"""The lazy optimizers (`keras_embedding.optimizers`), against two truths.

- numpy: the parent's formulas, written out, applied to the touched rows of
  the summed gradient (untouched rows and their slots stay as they are);
- the parent optimizer itself, on the dense gradient, where the two must
  agree: when every row is touched, and for dense gradients.

Multi-device and parameter-server training run in subprocesses
(`tests/_optimizers_worker.py`), like `tests/test_distribute.py`.
"""

from __future__ import annotations

import pathlib
from typing import Any

import numpy as np
import pytest
import tensorflow as tf
from _launch import ports_env, run_workers

from keras_embedding import Embedding, _compat, optimizers
from keras_embedding._compat import IS_KERAS3, keras

VOCAB, DIM, LR = 10, 3, 0.1
# (optimizer name, constructor arguments): every update formula and option.
CASES = [
    ("SGD", {}),
    ("SGD", {"momentum": 0.9}),
    ("SGD", {"momentum": 0.9, "nesterov": True}),
    ("Adagrad", {}),
    ("RMSprop", {}),
    ("RMSprop", {"momentum": 0.5, "centered": True}),
    ("Adam", {}),
    ("Adam", {"amsgrad": True}),
    ("Adam", {"weight_decay": 0.2}),
    ("SGD", {"clipnorm": 0.5}),
    ("SGD", {"global_clipnorm": 0.5}),
    ("SGD", {"clipvalue": 0.3}),
]
CASE_IDS = [
    "-".join([name, *(f"{key}={value}" for key, value in kw.items())])
    for name, kw in CASES
]


def lazy(name: str, **kwargs: Any) -> Any:
    return getattr(optimizers, "Lazy" + name)(learning_rate=LR, **kwargs)


def parent(name: str, **kwargs: Any) -> Any:
    return getattr(keras.optimizers, name)(learning_rate=LR, **kwargs)


class NumpyLazy:
    """The parent's formulas on the rows a step touches, in float64."""

    def __init__(self, name: str, table: np.ndarray, **options: Any) -> None:
        self.name, self.options = name, options
        self.w = table.astype("float64")
        self.slots = {
            key: np.full_like(self.w, 0.1 if key == "acc" else 0.0)
            for key in ("m", "v", "vhat", "acc", "avg", "mom")
        }
        self.step = 0

    def _clip(self, rows: np.ndarray, g: np.ndarray) -> np.ndarray:
        options = self.options
        if "clipnorm" in options or "global_clipnorm" in options:
            bound = options.get("clipnorm", options.get("global_clipnorm"))
            return g * bound / max(np.sqrt(np.sum(g * g)), bound)
        if "clipvalue" in options:
            return np.clip(g, -options["clipvalue"], options["clipvalue"])
        return g

    def apply(self, indices: np.ndarray, values: np.ndarray) -> None:
        rows = np.unique(indices)
        g = np.zeros((len(rows), values.shape[1]))
        np.add.at(g, np.searchsorted(rows, indices), values)
        g = self._clip(rows, g)
        self.step += 1
        o, s, w = self.options, self.slots, self.w
        w[rows] -= w[rows] * o.get("weight_decay", 0.0) * LR
        if self.name == "SGD":
            momentum = o.get("momentum", 0.0)
            s["m"][rows] = momentum * s["m"][rows] - LR * g
            if o.get("nesterov"):
                w[rows] += momentum * s["m"][rows] - LR * g
            else:
                w[rows] += s["m"][rows]
        elif self.name == "Adagrad":
            s["acc"][rows] += g * g
            w[rows] -= LR * g / np.sqrt(s["acc"][rows] + 1e-7)
        elif self.name == "RMSprop":
            s["v"][rows] = 0.9 * s["v"][rows] + 0.1 * g * g
            denominator = s["v"][rows] + 1e-7
            if o.get("centered"):
                s["avg"][rows] = 0.9 * s["avg"][rows] + 0.1 * g
                denominator = denominator - s["avg"][rows] ** 2
            increment = LR * g / np.sqrt(denominator)
            s["mom"][rows] = o.get("momentum", 0.0) * s["mom"][rows] + increment
            w[rows] -= s["mom"][rows]
        else:
            s["m"][rows] = 0.9 * s["m"][rows] + 0.1 * g
            s["v"][rows] = 0.999 * s["v"][rows] + 0.001 * g * g
            v = s["v"][rows]
            if o.get("amsgrad"):
                s["vhat"][rows] = np.maximum(s["vhat"][rows], v)
                v = s["vhat"][rows]
            alpha = LR * np.sqrt(1 - 0.999**self.step) / (1 - 0.9**self.step)
            w[rows] -= alpha * s["m"][rows] / (np.sqrt(v) + 1e-7)


def sparse_steps(seed: int, steps: int = 4) -> list[tuple[np.ndarray, np.ndarray]]:
    """Gradients as (indices, values): repeats, and rows 8 and 9 never touched."""
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(steps):
        indices = rng.randint(0, 8, size=7).astype("int32")
        out.append((indices, rng.randn(7, DIM).astype("float32")))
    return out


def initial_table(seed: int = 0) -> np.ndarray:
    return np.random.RandomState(seed).uniform(-1, 1, (VOCAB, DIM)).astype("float32")


def apply_all(
    optimizer: Any, table: np.ndarray, gradients: list[Any], xla: bool = False
) -> np.ndarray:
    variable = tf.Variable(table)
    if xla:
        optimizer.build([variable])
        apply = tf.function(
            lambda g: optimizer.apply_gradients([(g, variable)]), jit_compile=True
        )
    else:
        apply = lambda g: optimizer.apply_gradients([(g, variable)])  # noqa: E731
    for gradient in gradients:
        apply(gradient)
    return variable.numpy()


def as_slices(indices: np.ndarray, values: np.ndarray) -> tf.IndexedSlices:
    return tf.IndexedSlices(
        tf.constant(values), tf.constant(indices), tf.constant([VOCAB, DIM])
    )


def as_dense(indices: np.ndarray, values: np.ndarray) -> tf.Tensor:
    return tf.convert_to_tensor(as_slices(indices, values))


@pytest.mark.parametrize("xla", [False, True], ids=["graph", "xla"])
@pytest.mark.parametrize(("name", "options"), CASES, ids=CASE_IDS)
def test_sparse_update_is_the_numpy_lazy_update(
    name: str, options: Any, xla: bool
) -> None:
    table, steps = initial_table(), sparse_steps(seed=1)
    truth = NumpyLazy(name, table, **options)
    for indices, values in steps:
        truth.apply(indices, values)
    got = apply_all(
        lazy(name, **options), table, [as_slices(*s) for s in steps], xla=xla
    )
    np.testing.assert_allclose(got, truth.w, rtol=2e-5, atol=2e-6)
    # Rows no step touched did not move (not even by weight decay).
    np.testing.assert_array_equal(got[8:], table[8:])


@pytest.mark.parametrize(("name", "options"), CASES, ids=CASE_IDS)
def test_every_row_touched_is_the_parent_on_the_dense_gradient(
    name: str, options: Any
) -> None:
    table = initial_table()
    rng = np.random.RandomState(2)
    steps = []
    for _ in range(4):
        # Every row, then some again: the duplicates must be summed.
        indices = np.concatenate([np.arange(VOCAB), rng.randint(0, VOCAB, 5)])
        steps.append((indices.astype("int32"), rng.randn(15, DIM).astype("float32")))
    got = apply_all(lazy(name, **options), table, [as_slices(*s) for s in steps])
    expected = apply_all(parent(name, **options), table, [as_dense(*s) for s in steps])
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("name", "options"), CASES, ids=CASE_IDS)
def test_dense_gradient_gets_the_parent_update(name: str, options: Any) -> None:
    table = initial_table()
    steps = [as_dense(*s) for s in sparse_steps(seed=3)]
    got = apply_all(lazy(name, **options), table, steps)
    expected = apply_all(parent(name, **options), table, steps)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


def test_repeated_rows_are_summed_before_the_update() -> None:
    table = initial_table()
    indices = np.array([3, 3, 5], "int32")
    values = np.random.RandomState(4).randn(3, DIM).astype("float32")
    summed = (np.array([3, 5], "int32"), np.stack([values[0] + values[1], values[2]]))
    got = apply_all(lazy("Adam"), table, [as_slices(indices, values)] * 3)
    expected = apply_all(lazy("Adam"), table, [as_slices(*summed)] * 3)
    np.testing.assert_allclose(got, expected, rtol=1e-6)


WHOLE_TABLE_OPTIONS = [("use_ema", True)] + (
    [("gradient_accumulation_steps", 4), ("loss_scale_factor", 128.0)]
    if IS_KERAS3
    else []
)


@pytest.mark.parametrize("name", ["Adam", "Adagrad", "RMSprop", "SGD"])
@pytest.mark.parametrize(("option", "value"), WHOLE_TABLE_OPTIONS)
def test_whole_table_options_raise_naming_optimizer_option_and_value(
    name: str, option: str, value: Any
) -> None:
    with pytest.raises(ValueError) as info:
        lazy(name, **{option: value})
    message = str(info.value)
    assert message.startswith(f"Lazy{name} does not support `{option}`")
    assert message.endswith(f"Received: {option}={value!r}")


@pytest.mark.parametrize("name", ["Adam", "Adagrad", "RMSprop", "SGD"])
def test_config_is_the_parents_and_round_trips(name: str) -> None:
    options = {"momentum": 0.5} if name in ("SGD", "RMSprop") else {}
    optimizer = lazy(name, weight_decay=0.01, clipnorm=2.0, **options)
    config = optimizer.get_config()
    expected = parent(name, weight_decay=0.01, clipnorm=2.0, **options).get_config()
    assert {k: v for k, v in config.items() if k != "name"} == {
        k: v for k, v in expected.items() if k != "name"
    }
    restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
    assert type(restored) is type(optimizer)
    assert restored.get_config() == config


def small_model(optimizer: Any, jit_compile: bool = False) -> Any:
    inputs = keras.Input((4,), dtype="int32")
    embedding = Embedding(
        VOCAB, DIM, init=keras.initializers.Constant(initial_table()), name="table"
    )
    pooled = keras.layers.GlobalAveragePooling1D()(embedding(inputs))
    head = keras.layers.Dense(1, kernel_initializer="ones", name="head")
    model = keras.Model(inputs, head(pooled))
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.MeanSquaredError(),
        jit_compile=jit_compile,
    )
    return model


def batches(every_row: bool, count: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Ids for `count` batches of 5 rows (each batch naming every row, or not)."""
    rng = np.random.RandomState(6)
    if every_row:
        ids = np.concatenate(
            [np.concatenate([np.arange(VOCAB), rng.randint(0, VOCAB, 10)])] * count
        ).reshape(count * 5, 4)
    else:
        ids = rng.randint(0, 6, size=(count * 5, 4))
    return ids.astype("int32"), rng.randn(count * 5, 1).astype("float32")


@pytest.mark.parametrize("name", ["Adam", "Adagrad", "RMSprop", "SGD"])
def test_fit_touching_every_row_is_the_parent_optimizer(name: str) -> None:
    ids, targets = batches(every_row=True)
    options = {"momentum": 0.5} if name == "SGD" else {}
    weights = []
    for optimizer in (lazy(name, **options), parent(name, **options)):
        model = small_model(optimizer)
        model.fit(ids, targets, batch_size=5, shuffle=False, verbose=0)
        weights.append(model.get_weights())
    for got, expected in zip(*weights, strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def custom_loop(model: Any, ids: np.ndarray, targets: np.ndarray) -> None:
    @tf.function
    def step(x: tf.Tensor, y: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        grads = tape.gradient(loss, model.trainable_variables)
        model.optimizer.apply_gradients(
            zip(grads, model.trainable_variables, strict=True)
        )

    for start in range(0, len(ids), 5):
        step(ids[start : start + 5], targets[start : start + 5])


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_custom_loop_and_xla_train_alike(jit_compile: bool) -> None:
    ids, targets = batches(every_row=False)
    fitted = small_model(lazy("Adam"), jit_compile=jit_compile)
    fitted.fit(ids, targets, batch_size=5, shuffle=False, verbose=0)
    looped = small_model(lazy("Adam"))
    custom_loop(looped, ids, targets)
    trained = looped.get_layer("table").get_weights()[0]
    assert np.any(trained[:6] != initial_table()[:6])
    np.testing.assert_array_equal(trained[6:], initial_table()[6:])
    for got, expected in zip(fitted.get_weights(), looped.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def optimizer_state(model: Any) -> list[np.ndarray]:
    return [np.asarray(v) for v in model.optimizer.variables]


@pytest.mark.parametrize("how", ["keras_file", "checkpoint"])
def test_slots_save_and_restore(how: str, tmp_path: pathlib.Path) -> None:
    ids, targets = batches(every_row=False)
    model = small_model(lazy("Adam", amsgrad=True))
    model.fit(ids[:10], targets[:10], batch_size=5, shuffle=False, verbose=0)
    if how == "keras_file":
        model.save(tmp_path / "model.keras")
        restored = keras.models.load_model(tmp_path / "model.keras")
        assert type(restored.optimizer) is optimizers.LazyAdam
    else:
        path = tf.train.Checkpoint(model=model, optimizer=model.optimizer).save(
            str(tmp_path / "ckpt")
        )
        restored = small_model(lazy("Adam", amsgrad=True))
        # Slots exist only once built; a checkpoint restores them as made.
        restored.optimizer.build(restored.trainable_variables)
        checkpoint = tf.train.Checkpoint(model=restored, optimizer=restored.optimizer)
        checkpoint.restore(path).assert_existing_objects_matched()
    saved = optimizer_state(model)
    assert any(np.any(s != 0) for s in saved[2:]), "no slot was trained"
    for got, expected in zip(optimizer_state(restored), saved, strict=True):
        np.testing.assert_array_equal(got, expected)
    for m in (model, restored):
        m.fit(ids[10:], targets[10:], batch_size=5, shuffle=False, verbose=0)
    for got, expected in zip(restored.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


LARGE_VOCAB = 1_000_003


def op_tensors(graph: Any, seen: set[str] | None = None) -> Any:
    """Every non-resource tensor in `graph` and in the functions it calls."""
    seen = set() if seen is None else seen
    for op in graph.get_operations():
        for tensor in (*op.inputs, *op.outputs):
            if tensor.dtype != tf.resource:
                yield op, tensor
        for attr in op.node_def.attr.values():
            names = [attr.func.name] if attr.func.name else []
            names += [f.name for f in attr.list.func]
            for name in names:
                if name not in seen:
                    seen.add(name)
                    body = getattr(graph._get_function(name), "graph", None)
                    if body is not None:
                        yield from op_tensors(body, seen)


def vocabulary_sized(graph: Any) -> list[str]:
    return sorted(
        {
            op.type
            for op, tensor in op_tensors(graph)
            if tensor.shape.rank and LARGE_VOCAB in tensor.shape.as_list()
        }
    )


def traced_train_step(optimizer: Any) -> Any:
    """Lookup, loss, gradient and update of a large table, as a graph."""
    layer = Embedding(LARGE_VOCAB, 2)
    layer.build()
    variables = layer.trainable_variables

    @tf.function
    def step(ids: tf.Tensor) -> None:
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(layer(ids, training=True))
        grads = tape.gradient(loss, variables)
        optimizer.apply_gradients(zip(grads, variables, strict=True))

    optimizer.build(variables)
    return step.get_concrete_function(tf.TensorSpec([None, 5], tf.int32)).graph


@pytest.mark.parametrize(("name", "options"), CASES, ids=CASE_IDS)
def test_train_step_does_no_vocabulary_sized_work(name: str, options: Any) -> None:
    assert vocabulary_sized(traced_train_step(lazy(name, **options))) == []


def test_the_layers_summed_gradient_is_not_summed_again() -> None:
    graph = traced_train_step(lazy("Adam"))
    uniques = [op for op, _ in op_tensors(graph) if op.type == "Unique"]
    # One op (two tensors: unique ids and positions): the lookup's backward.
    assert len({op.name for op in uniques}) == 1


def test_the_check_can_see_the_parents_whole_table_work() -> None:
    # Keras's own Adam rewrites the whole table (both Keras flavours).
    assert "AssignSubVariableOp" in vocabulary_sized(traced_train_step(parent("Adam")))


def test_loss_scale_optimizer_checks_finiteness_in_o_batch() -> None:
    ours = optimizers.LossScaleOptimizer(lazy("Adam"))
    assert vocabulary_sized(traced_train_step(ours)) == []
    stock = _compat.LossScaleOptimizer(lazy("Adam"))
    densified = vocabulary_sized(traced_train_step(stock)) != []
    assert densified == _compat.LOSS_SCALE_CHECK_DENSIFIES


@pytest.mark.parametrize("bad", [np.inf, np.nan])
def test_loss_scale_optimizer_skips_a_step_with_a_non_finite_slice(bad: float) -> None:
    variable = tf.Variable(initial_table())
    optimizer = optimizers.LossScaleOptimizer(lazy("SGD"))
    rows, values = np.array([1, 4], "int32"), np.ones((2, DIM), "float32")
    values[1, 0] = bad
    optimizer.apply_gradients([(as_slices(rows, values), variable)])
    np.testing.assert_array_equal(variable.numpy(), initial_table())
    values[1, 0] = 1.0
    optimizer.apply_gradients([(as_slices(rows, values), variable)])
    assert np.all(variable.numpy()[[1, 4]] != initial_table()[[1, 4]])


def test_mixed_precision_fit_with_loss_scaling() -> None:
    ids, targets = batches(every_row=False)
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        trained = []
        for optimizer in (
            optimizers.LossScaleOptimizer(lazy("Adam")),
            _compat.LossScaleOptimizer(lazy("Adam")),
        ):
            model = small_model(optimizer)
            model.fit(ids, targets, batch_size=5, shuffle=False, verbose=0)
            trained.append(model.get_layer("table").get_weights()[0])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert trained[0].dtype == np.float32
    assert np.any(trained[0] != initial_table())
    np.testing.assert_array_equal(trained[0], trained[1])


WORKER = pathlib.Path(__file__).with_name("_optimizers_worker.py")


def run_worker(scenario: str, tmp_path: pathlib.Path) -> dict[str, Any]:
    # The parameter-server scenario starts its cluster on the 3 ports given.
    ports = 3 if scenario == "ps" else 0
    return run_workers(scenario, tmp_path, ports_env, ports, worker=WORKER)[0]


@pytest.mark.slow
def test_mirrored_strategy_matches_one_device(tmp_path: pathlib.Path) -> None:
    result = run_worker("mirrored", tmp_path)
    assert result["replicas"] == 2
    for name, measured in result["optimizers"].items():
        # Both replicas' batches repeat rows, and some rows occur on both.
        assert measured["shared_rows"] > 0, name
        assert measured["table_trained"], name
        assert measured["max_abs_diff"] <= 1e-5, (name, measured)


@pytest.mark.slow
@pytest.mark.skipif(IS_KERAS3, reason="Keras 3 has no parameter-server training")
def test_parameter_server_sharded_table_matches_one_device(
    tmp_path: pathlib.Path,
) -> None:
    result = run_worker("ps", tmp_path)
    assert result["shards"] == 2
    assert result["table_trained"]
    assert result["max_abs_diff"] <= 1e-5
    # Each shard is updated from its own slices, never as a whole.
    assert result["gradient_types"] == ["IndexedSlices", "IndexedSlices"]
    assert result["shard_sized_ops"] == []
