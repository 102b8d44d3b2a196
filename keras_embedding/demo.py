"""`python -m keras_embedding.demo`: the layer at work, in about a minute.

1. The example of the Keras 1 documentation page, unchanged.
2. A masked text classifier trained on a synthetic corpus (see
   `keras_embedding._corpus`), with and without Keras 1 row dropout, and the
   held-out accuracy of each.
3. Training speed of `keras_embedding.Embedding` next to the active Keras's
   own `keras.layers.Embedding` in the same model, measured side by side.

`--quick` shrinks every part to a few steps (for tests); its numbers mean
nothing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import tensorflow as tf

from keras_embedding import Embedding
from keras_embedding._compat import IS_KERAS3, keras
from keras_embedding._corpus import N_TOPIC, TAG_COUNT, Corpus, make_corpus

DROPOUT = 0.5
EMBED_DIM = 16
BATCH_SIZE = 32
# Plain SGD, its rate decayed to 0 along a cosine over the whole run. With
# SGD a row's update is proportional to its gradient, so once the tag drives
# the training loss towards 0 the topic rows stop moving; the decay makes the
# final weights independent of the dropout masks of the last few batches.
# Adam would blur the comparison twice over: it rescales the tiny gradients
# of the topic rows, so they keep learning behind the shortcut, and Keras 3
# (unlike tf_keras) squares the per-occurrence gradient slices of a gathered
# table without summing repeated ids first, so its steps for frequent rows
# differ between the two flavours. SGD is linear in the gradient: the same in
# both.
LEARNING_RATE = 3.0
CORPUS_SEED = 0


@dataclass(frozen=True)
class Settings:
    """How much work each part of the demo does."""

    n_train: int
    n_test: int
    epochs: int
    seeds: tuple[int, ...]
    timing_steps: int
    timing_rounds: int


DEFAULT = Settings(
    n_train=600, n_test=2000, epochs=20, seeds=(0, 1, 2), timing_steps=60,
    timing_rounds=9,
)  # fmt: skip
QUICK = Settings(
    n_train=64, n_test=64, epochs=2, seeds=(0,), timing_steps=4, timing_rounds=1
)


def _heading(title: str) -> None:
    print(f"\n{'=' * 72}\n{title}\n{'=' * 72}", flush=True)


def flavour() -> str:
    """A one-line description of the Keras that `tf.keras` serves."""
    name = "Keras 3" if IS_KERAS3 else "tf_keras (Keras 2)"
    legacy = os.environ.get("TF_USE_LEGACY_KERAS", "unset")
    return (
        f"{name} {keras.__version__} on TensorFlow {tf.__version__} "
        f"(TF_USE_LEGACY_KERAS={legacy})"
    )


def doc_example() -> None:
    """Runs the example of the Keras 1 `Embedding` documentation page.

    Raises:
        RuntimeError: if a shape differs from the one the page promises.
    """
    _heading("1. The Keras 1 documentation example")
    print("model = Sequential()")
    print("model.add(Embedding(1000, 64, input_length=10))")
    model = keras.Sequential()
    model.add(Embedding(1000, 64, input_length=10))
    print(f"model.output_shape = {model.output_shape}  (expected (None, 10, 64))")
    if tuple(model.output_shape) != (None, 10, 64):
        raise RuntimeError(f"unexpected output_shape {model.output_shape}")
    input_array = np.random.randint(1000, size=(32, 10))
    model.compile("rmsprop", "mse")
    output_array = model.predict(input_array, verbose=0)
    print(
        f"model.predict(<int array of shape {input_array.shape}>).shape = "
        f"{output_array.shape}  (expected (32, 10, 64))"
    )
    if output_array.shape != (32, 10, 64):
        raise RuntimeError(f"unexpected prediction shape {output_array.shape}")


def _classifier(embedding: Any, maxlen: int, train_steps: int) -> Any:
    """Embedding, masked mean over the words, logistic output; compiled.

    Every choice that a Keras flavour could default differently is spelt
    out, so that Keras 3 and tf_keras train the same model.

    Args:
        embedding: the embedding layer, with `mask_zero=True`.
        maxlen: length of the padded input sentences.
        train_steps: optimizer steps of the whole run, over which the
            learning rate decays to 0.
    """
    model = keras.Sequential(
        [
            keras.Input(shape=(maxlen,), dtype="int32"),
            embedding,
            # Averages over the unmasked (non-padding) positions only.
            keras.layers.GlobalAveragePooling1D(),
            keras.layers.Dense(
                1,
                activation="sigmoid",
                kernel_initializer="glorot_uniform",
                bias_initializer="zeros",
            ),
        ]
    )
    schedule = keras.optimizers.schedules.CosineDecay(
        LEARNING_RATE, max(1, train_steps), alpha=0.0
    )
    model.compile(
        keras.optimizers.SGD(schedule, momentum=0.0),
        "binary_crossentropy",
        metrics=["accuracy"],
    )
    return model


def _steps(n: int, epochs: int) -> int:
    """Optimizer steps of `epochs` epochs over `n` samples."""
    return epochs * -(-n // BATCH_SIZE)


@dataclass(frozen=True)
class Run:
    """Accuracies of one trained classifier, both measured in inference mode."""

    train: float
    test: float


def _train(corpus: Corpus, dropout: float, seed: int, epochs: int, verbose: int) -> Run:
    keras.utils.set_random_seed(seed)
    embedding = Embedding(
        corpus.vocab_size,
        EMBED_DIM,
        init="uniform",  # Keras 1's default: U(-0.05, 0.05)
        mask_zero=True,
        dropout=dropout,
        seed=seed,
    )
    model = _classifier(embedding, corpus.maxlen, _steps(len(corpus.x_train), epochs))
    model.fit(
        corpus.x_train,
        corpus.y_train,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        # Only to show in the log (verbose runs); nothing is selected on it.
        validation_data=(corpus.x_test, corpus.y_test) if verbose else None,
        verbose=verbose,
    )
    _, train = model.evaluate(corpus.x_train, corpus.y_train, verbose=0)
    _, test = model.evaluate(corpus.x_test, corpus.y_test, verbose=0)
    return Run(float(train), float(test))


def dropout_comparison(settings: Settings) -> dict[float, list[Run]]:
    """Trains the classifier with and without row dropout and reports both.

    Each seed fixes the initial weights, the batch order and the dropout
    masks; the two runs of a seed differ only in `dropout`.

    Returns:
        The runs of each dropout rate, in the order of `settings.seeds`.
    """
    _heading(f"2. Masked text classifier: row dropout {DROPOUT} vs none")
    corpus = make_corpus(settings.n_train, settings.n_test, CORPUS_SEED)
    print(
        f"Synthetic corpus: {len(corpus.x_train)} training and "
        f"{len(corpus.x_test)} held-out sentences, vocabulary of "
        f"{corpus.vocab_size} ids, padded with 0 to length {corpus.maxlen}.\n"
        "The label is the majority topic of the topic words, evidence spread\n"
        f"over {2 * N_TOPIC} mostly rare word types. Every training sentence "
        f"also holds\nits label's tag word {TAG_COUNT} times: a shortcut that "
        "fits the training set\nat once. Held-out sentences have no tag, only "
        "topic words.\n"
        f"Model: Embedding({corpus.vocab_size}, {EMBED_DIM}, mask_zero=True, "
        "dropout=...) -> GlobalAveragePooling1D -> Dense(1, sigmoid);\n"
        f"SGD, learning rate {LEARNING_RATE} decayed to 0 (cosine), batch "
        f"{BATCH_SIZE}, {settings.epochs} epochs.\n"
        "Without dropout the tag drives the training loss to ~0 and the topic\n"
        f"words stop learning. With row dropout {DROPOUT}, each tag row is "
        "missing from\nwhole batches in that fraction of the steps, and the "
        "topic words must\ncarry them.\n"
        "val_* below is the held-out split, shown only: nothing is selected "
        "on it."
    )
    runs: dict[float, list[Run]] = {0.0: [], DROPOUT: []}
    for index, seed in enumerate(settings.seeds):
        for dropout in runs:
            shown = index == 0
            if shown:
                print(f"\n-- seed {seed}, dropout={dropout} --", flush=True)
            runs[dropout].append(
                _train(corpus, dropout, seed, settings.epochs, 2 if shown else 0)
            )
    _report_accuracy(settings.seeds, runs)
    return runs


def _report_accuracy(seeds: Sequence[int], runs: dict[float, list[Run]]) -> None:
    plain, dropped = runs[0.0], runs[DROPOUT]
    print(
        f"\n{'seed':>6}  {'train, no dropout':>17}  {'held-out, no dropout':>20}"
        f"  {f'train, dropout {DROPOUT}':>18}  {f'held-out, dropout {DROPOUT}':>23}"
    )
    for seed, a, b in zip(seeds, plain, dropped, strict=True):
        print(
            f"{seed:>6}  {a.train:>17.3f}  {a.test:>20.3f}"
            f"  {b.train:>18.3f}  {b.test:>23.3f}"
        )
    mean_plain = statistics.fmean(run.test for run in plain)
    mean_dropped = statistics.fmean(run.test for run in dropped)
    wins = sum(b.test > a.test for a, b in zip(plain, dropped, strict=True))
    gain = 100 * (mean_dropped - mean_plain)
    print(
        f"\nMean held-out accuracy: {mean_plain:.3f} without dropout, "
        f"{mean_dropped:.3f} with dropout {DROPOUT} ({gain:+.1f} points; "
        f"dropout ahead on {wins} of {len(seeds)} seeds)."
    )
    print(verdict([run.test for run in plain], [run.test for run in dropped]))


def verdict(plain: Sequence[float], dropped: Sequence[float]) -> str:
    """One line judging the held-out accuracies of paired runs (same seeds).

    Args:
        plain: held-out accuracy of each seed without dropout.
        dropped: held-out accuracy of each seed with dropout, in the same order.
    """
    pairs = list(zip(plain, dropped, strict=True))
    if not pairs:
        return "No runs, no verdict."
    gain = 100 * (statistics.fmean(dropped) - statistics.fmean(plain))
    worst = min(100 * (b - a) for a, b in pairs)
    if worst > 0:
        return (
            "On this run, row dropout improved held-out accuracy on every seed "
            f"(by {worst:.1f} points at least, {gain:.1f} on average)."
        )
    if gain > 0:
        return (
            f"On this run, row dropout improved mean held-out accuracy "
            f"({gain:+.1f} points), but not on every seed."
        )
    return "On this run, row dropout did NOT improve held-out accuracy."


def _timed_steps(model: Any, x: np.ndarray, y: np.ndarray) -> float:
    """Steps per second of one `fit` epoch over `x` (full batches only)."""
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH_SIZE, epochs=1, shuffle=False, verbose=0)
    return (len(x) // BATCH_SIZE) / (time.perf_counter() - start)


def speed_comparison(settings: Settings) -> dict[str, float]:
    """Measures training steps/s of the classifier with each embedding layer.

    The variants are timed in turns, round after round, so that load from
    other processes spreads over all of them. Each variant's best round is
    the figure least disturbed by that load; the median is shown next to it.

    Returns:
        Best steps/s of each variant, by label.
    """
    _heading("3. Training speed, same model, measured side by side")
    corpus = make_corpus(BATCH_SIZE * settings.timing_steps, 0, CORPUS_SEED)
    vocab, maxlen = corpus.vocab_size, corpus.maxlen
    variants: dict[str, Callable[[], Any]] = {
        "keras.layers.Embedding": lambda: keras.layers.Embedding(
            vocab, EMBED_DIM, mask_zero=True
        ),
        "keras_embedding.Embedding": lambda: Embedding(
            vocab, EMBED_DIM, mask_zero=True
        ),
        f"keras_embedding.Embedding, dropout={DROPOUT}": lambda: Embedding(
            vocab, EMBED_DIM, mask_zero=True, dropout=DROPOUT
        ),
    }
    models = {}
    steps = _steps(len(corpus.x_train), settings.timing_rounds + 1)
    for label, make in variants.items():
        keras.utils.set_random_seed(CORPUS_SEED)
        models[label] = _classifier(make(), maxlen, steps)
        # The first fit traces the training function; keep it out of the timing.
        _timed_steps(
            models[label], corpus.x_train[:BATCH_SIZE], corpus.y_train[:BATCH_SIZE]
        )
    rates: dict[str, list[float]] = {label: [] for label in models}
    for _ in range(settings.timing_rounds):
        for label, model in models.items():
            rates[label].append(_timed_steps(model, corpus.x_train, corpus.y_train))
    best = {label: max(values) for label, values in rates.items()}
    print(
        f"{settings.timing_steps} steps of batch {BATCH_SIZE} per round, "
        f"{settings.timing_rounds} rounds; training steps/s (CPU threads: "
        f"{os.cpu_count()}, shared with whatever else runs):"
    )
    print(f"  {'layer':<42} {'best':>8} {'median':>8}  best vs keras")
    reference = best["keras.layers.Embedding"]
    for label, rate in best.items():
        median = statistics.median(rates[label])
        print(f"  {label:<42} {rate:8.1f} {median:8.1f}  {rate / reference:.2f}x")
    return best


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the demo; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m keras_embedding.demo",
        description=(
            "Show keras_embedding.Embedding at work: the Keras 1 documentation "
            "example, row dropout on a synthetic text task, and training speed."
        ),
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a few steps of each part, for tests; the numbers mean nothing",
    )
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else DEFAULT

    print(f"keras_embedding demo{' (--quick)' if args.quick else ''}")
    print(f"Keras flavour: {flavour()}")
    start = time.perf_counter()
    doc_example()
    dropout_comparison(settings)
    speed_comparison(settings)
    print(f"\nDone in {time.perf_counter() - start:.0f} s.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
