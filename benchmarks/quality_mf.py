"""Quality of lazy updates: matrix factorization, LazyAdam against Adam.

    python benchmarks/quality_mf.py [--quick] [--out benchmarks/quality.json]

Lazy optimizers decay a row's moments only on the steps that touch it, so
their trajectory is not Adam's. This measures what that costs on a task with
two large vocabularies, built here so it needs no download:

- 100,000 users x 100,000 items, true rank-8 factors, ratings
  `u . v + user bias + item bias + noise(0.1)`;
- who rates what is skewed as in real data: user and item ranks drawn with
  probability proportional to `1 / (rank + 10) ** 0.8` (so the popular rows
  are touched in most batches and the rare ones in few);
- 2,000,000 training ratings, 200,000 held-out ratings from the same
  distribution;
- model: user and item `keras_embedding.Embedding` tables of width 32 plus a
  bias table each, prediction `u . v + b_u + b_i + b`; MSE.

Both optimizers start from the same weights and see the same batches (1024)
for the same epochs, at each learning rate of a small sweep. Reported: the
held-out MSE after each epoch and the wall time of the training, per
optimizer and rate, and the verdict for the target "LazyAdam's held-out MSE
within 2% of Adam's" at each rate and for each optimizer's best rate.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding import Embedding, optimizers
from keras_embedding._compat import IS_KERAS3, keras

HERE = Path(__file__).resolve().parent
TARGET_RELATIVE_GAP = 0.02


@dataclasses.dataclass(frozen=True)
class Task:
    """Sizes of the synthetic ratings task and of its training."""

    users: int
    items: int
    rank: int
    dim: int
    train: int
    test: int
    noise: float
    skew: float
    batch: int
    epochs: int
    learning_rates: tuple[float, ...]


FULL = Task(
    users=100_000,
    items=100_000,
    rank=8,
    dim=32,
    train=2_000_000,
    test=200_000,
    noise=0.1,
    skew=0.8,
    batch=1024,
    epochs=4,
    learning_rates=(0.003, 0.01),
)
QUICK = dataclasses.replace(
    FULL, users=2_000, items=2_000, train=20_000, test=2_000, epochs=1
)


def _skewed(rng: np.random.RandomState, size: int, count: int, skew: float) -> Any:
    """Row ids with probability proportional to 1 / (rank + 10) ** skew.

    Ranks are shuffled onto ids, so popularity is not the id's order.
    """
    weights = 1.0 / (np.arange(size) + 10.0) ** skew
    ranks = rng.choice(size, size=count, p=weights / weights.sum())
    return rng.permutation(size)[ranks].astype("int32")


def ratings(task: Task, seed: int = 0) -> dict[str, Any]:
    """Training and held-out (user, item, rating) arrays of the task."""
    rng = np.random.RandomState(seed)
    scale = 1.0 / np.sqrt(np.sqrt(task.rank))
    users = rng.normal(0, scale, (task.users, task.rank)).astype("float32")
    items = rng.normal(0, scale, (task.items, task.rank)).astype("float32")
    user_bias = rng.normal(0, 0.3, task.users).astype("float32")
    item_bias = rng.normal(0, 0.3, task.items).astype("float32")
    total = task.train + task.test
    u = _skewed(rng, task.users, total, task.skew)
    i = _skewed(rng, task.items, total, task.skew)
    r = np.einsum("nk,nk->n", users[u], items[i]) + user_bias[u] + item_bias[i]
    r = (r + rng.normal(0, task.noise, total)).astype("float32")
    split = task.train
    return {
        "train": ((u[:split], i[:split]), r[:split]),
        "test": ((u[split:], i[split:]), r[split:]),
    }


def _model(task: Task) -> Any:
    user = keras.Input((), dtype="int32", name="user")
    item = keras.Input((), dtype="int32", name="item")
    init = keras.initializers.RandomNormal(stddev=0.05, seed=1)
    u = Embedding(task.users, task.dim, init=init, name="users")(user)
    v = Embedding(task.items, task.dim, init=init, name="items")(item)
    bu = Embedding(task.users, 1, init="zero", name="user_bias")(user)
    bi = Embedding(task.items, 1, init="zero", name="item_bias")(item)
    dot = keras.layers.Dot(axes=1)([u, v])
    out = keras.layers.Dense(1, name="bias")(keras.layers.Add()([dot, bu, bi]))
    return keras.Model([user, item], out)


def train(task: Task, data: dict[str, Any], optimizer: Any, weights: Any) -> dict:
    """Trains one model; returns held-out MSE per epoch and the wall time."""
    model = _model(task)
    model.set_weights(weights)
    model.compile(
        optimizer=optimizer, loss=keras.losses.MeanSquaredError(), jit_compile=False
    )
    (train_x, train_y), (test_x, test_y) = data["train"], data["test"]
    held_out, seconds = [], 0.0
    for _ in range(task.epochs):
        start = time.perf_counter()
        model.fit(
            {"user": train_x[0], "item": train_x[1]},
            train_y,
            batch_size=task.batch,
            epochs=1,
            shuffle=False,
            verbose=0,
        )
        seconds += time.perf_counter() - start
        held_out.append(
            float(
                model.evaluate(
                    {"user": test_x[0], "item": test_x[1]},
                    test_y,
                    batch_size=8192,
                    verbose=0,
                )
            )
        )
    return {"held_out_mse": held_out, "train_seconds": seconds}


def run(task: Task) -> dict[str, Any]:
    """Adam and LazyAdam at each rate, same task, batches and starting weights."""
    data = ratings(task)
    weights = _model(task).get_weights()
    results: dict[str, Any] = {"task": dataclasses.asdict(task), "runs": []}
    test_y = data["test"][1]
    results["baseline_mse"] = float(np.mean((test_y - test_y.mean()) ** 2))
    results["noise_floor_mse"] = task.noise**2
    for rate in task.learning_rates:
        for name, make in (
            ("adam", keras.optimizers.Adam),
            ("lazy_adam", optimizers.LazyAdam),
        ):
            keras.backend.clear_session()
            trained = train(task, data, make(learning_rate=rate), weights)
            results["runs"].append(
                {"optimizer": name, "learning_rate": rate, **trained}
            )
    final = {
        (r["optimizer"], r["learning_rate"]): r["held_out_mse"][-1]
        for r in results["runs"]
    }
    targets = [
        _target(
            f"same rate {rate:g}", final[("lazy_adam", rate)], final[("adam", rate)]
        )
        for rate in task.learning_rates
    ]
    best = {
        name: min(v for (n, _), v in final.items() if n == name)
        for name in ("adam", "lazy_adam")
    }
    targets.append(_target("each at its best rate", best["lazy_adam"], best["adam"]))
    results["targets"] = targets
    seconds = {
        name: sum(r["train_seconds"] for r in results["runs"] if r["optimizer"] == name)
        for name in ("adam", "lazy_adam")
    }
    results["speedup"] = seconds["adam"] / seconds["lazy_adam"]
    return results


def _target(what: str, lazy: float, adam: float) -> dict[str, Any]:
    gap = (lazy - adam) / adam
    return {
        "what": f"LazyAdam held-out MSE / Adam's - 1, {what}",
        "value": gap,
        "limit": TARGET_RELATIVE_GAP,
        "met": gap <= TARGET_RELATIVE_GAP,
    }


def markdown(results: dict[str, Any]) -> str:
    """One row per optimizer and rate, then the verdicts."""
    lines = [
        "| optimizer | learning rate | held-out MSE per epoch | train time (s) |",
        "|---|---|---|---|",
    ]
    for r in results["runs"]:
        mses = ", ".join(f"{m:.4f}" for m in r["held_out_mse"])
        lines.append(
            f"| {r['optimizer']} | {r['learning_rate']:g} | {mses} | "
            f"{r['train_seconds']:.1f} |"
        )
    lines += [
        "",
        f"Predicting the mean: {results['baseline_mse']:.4f}; noise floor "
        f"{results['noise_floor_mse']:.4f}. LazyAdam trained "
        f"{results['speedup']:.1f}x faster.",
        "",
        "| target | value | limit | met |",
        "|---|---|---|---|",
    ]
    for t in results["targets"]:
        met = "yes" if t["met"] else "**no**"
        lines.append(
            f"| {t['what']} | {100 * t['value']:+.2f}% | <= "
            f"+{100 * t['limit']:.0f}% | {met} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    suffix = "" if IS_KERAS3 else "_tf_keras"
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny, for tests")
    parser.add_argument(
        "--out",
        default=str(HERE / f"quality{suffix}.json"),
        help=f"results JSON (default: benchmarks/quality{suffix}.json)",
    )
    args = parser.parse_args(argv)
    task = QUICK if args.quick else FULL
    started = time.perf_counter()
    results = run(task)
    results["meta"] = {
        "flavour": "Keras 3" if IS_KERAS3 else "tf_keras",
        "keras_version": keras.__version__,
        "tf_version": tf.__version__,
        "cpu_count": os.cpu_count(),
        "load_average_end": os.getloadavg(),
        "duration_s": time.perf_counter() - started,
    }
    Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
