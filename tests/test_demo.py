"""`python -m keras_embedding.demo` and the synthetic corpus it trains on."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3
from keras_embedding._corpus import MARGIN, N_FUNCTION, N_TOPIC, make_corpus

# Ids by word kind, as laid out in `_corpus`.
_TOPIC_A = np.arange(1 + N_FUNCTION, 1 + N_FUNCTION + N_TOPIC)
_TOPIC_B = _TOPIC_A + N_TOPIC
_TAGS = np.array([1 + N_FUNCTION + 2 * N_TOPIC, 2 + N_FUNCTION + 2 * N_TOPIC])


def test_demo_quick_runs_all_three_parts():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run(
        [sys.executable, "-m", "keras_embedding.demo", "--quick"],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout
    assert ("Keras 3" if IS_KERAS3 else "tf_keras") in out
    assert "1. The Keras 1 documentation example" in out
    assert "model.output_shape = (None, 10, 64)" in out
    assert ".shape = (32, 10, 64)" in out
    assert "2. Masked text classifier" in out
    assert "Mean held-out accuracy:" in out
    assert "Epoch 2/2" in out  # the progress log of fit
    assert "3. Training speed" in out
    for layer in ("keras.layers.Embedding", "keras_embedding.Embedding"):
        assert f"\n  {layer} " in out


def test_demo_rejects_unknown_flag():
    result = subprocess.run(
        [sys.executable, "-m", "keras_embedding.demo", "--no-such-flag"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 2
    assert "--no-such-flag" in result.stderr


def test_corpus_is_deterministic_given_the_seed():
    first, again, other = (make_corpus(50, 40, s) for s in (3, 3, 4))
    for a, b in zip(first[:4], again[:4], strict=True):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.x_train, other.x_train)


def test_corpus_shapes_dtypes_and_ids():
    corpus = make_corpus(31, 17, 0)
    assert corpus.x_train.shape == (31, corpus.maxlen)
    assert corpus.x_test.shape == (17, corpus.maxlen)
    assert corpus.y_train.shape == (31,) and corpus.y_test.shape == (17,)
    for array in corpus[:4]:
        assert array.dtype == np.int32
    for x in (corpus.x_train, corpus.x_test):
        assert x.min() >= 0 and x.max() < corpus.vocab_size
    assert set(np.unique(np.concatenate(corpus[1:4:2]))) <= {0, 1}


def test_corpus_pads_with_zero_at_the_end_only():
    x = make_corpus(200, 200, 1).x_train
    lengths = (x != 0).sum(axis=1)
    assert lengths.min() > 0 and lengths.min() < lengths.max()
    for row, length in zip(x, lengths, strict=True):
        assert (row[:length] != 0).all() and (row[length:] == 0).all()


@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_corpus_labels_are_balanced(n):
    corpus = make_corpus(n, n, 2)
    for y in (corpus.y_train, corpus.y_test):
        assert int(y.sum()) == n // 2


def test_corpus_label_is_the_majority_topic_by_the_margin():
    corpus = make_corpus(200, 200, 5)
    for x, y in ((corpus.x_train, corpus.y_train), (corpus.x_test, corpus.y_test)):
        lead = np.isin(x, _TOPIC_A).sum(axis=1) - np.isin(x, _TOPIC_B).sum(axis=1)
        np.testing.assert_array_equal(lead >= MARGIN, y == 1)
        np.testing.assert_array_equal(lead <= -MARGIN, y == 0)


def test_corpus_tag_gives_the_label_away_in_training_only():
    corpus = make_corpus(400, 400, 6)
    train_tag = corpus.x_train[np.isin(corpus.x_train, _TAGS)]
    test_tag = corpus.x_test[np.isin(corpus.x_test, _TAGS)]
    assert len(train_tag) == 400 and len(test_tag) == 400
    np.testing.assert_array_equal(train_tag - _TAGS[0], corpus.y_train)
    agreement = np.mean(test_tag - _TAGS[0] == corpus.y_test)
    assert 0.4 < agreement < 0.6


def test_corpus_rejects_negative_sizes():
    with pytest.raises(ValueError, match="n_train=-1"):
        make_corpus(-1, 10, 0)
