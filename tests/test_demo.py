"""`python -m keras_embedding.demo` and the synthetic corpus it trains on."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from keras_embedding._compat import IS_KERAS3
from keras_embedding._corpus import MARGIN, N_FUNCTION, N_TOPIC, TAG_COUNT, make_corpus
from keras_embedding.demo import verdict

# Ids by word kind, as laid out in `_corpus`.
_TOPIC_A = np.arange(1 + N_FUNCTION, 1 + N_FUNCTION + N_TOPIC)
_TOPIC_B = _TOPIC_A + N_TOPIC
_TAGS = np.array([1 + N_FUNCTION + 2 * N_TOPIC, 2 + N_FUNCTION + 2 * N_TOPIC])


@pytest.mark.slow
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
    assert "On this run, row dropout " in out
    assert "Epoch 2/2" in out  # the progress log of fit
    assert "3. Training speed" in out
    for layer in ("keras.layers.Embedding", "keras_embedding.Embedding"):
        assert f"\n  {layer} " in out


@pytest.mark.slow
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
    assert TAG_COUNT >= 2
    for row, label in zip(corpus.x_train, corpus.y_train, strict=True):
        # The label's tag, TAG_COUNT times; never the other label's tag.
        assert (row == _TAGS[label]).sum() == TAG_COUNT
        assert (row == _TAGS[1 - label]).sum() == 0
    assert not np.isin(corpus.x_test, _TAGS).any()


def test_corpus_splits_differ_only_by_the_tag():
    # Both splits draw topic words and lengths alike; in training the tags
    # take the place of TAG_COUNT function words.
    corpus = make_corpus(2000, 2000, 7)
    x_train, x_test = corpus.x_train, corpus.x_test

    def per_sentence(x, ids):
        return np.isin(x, ids).sum(axis=1).mean()

    for ids in (_TOPIC_A, _TOPIC_B):
        assert abs(per_sentence(x_train, ids) - per_sentence(x_test, ids)) < 0.1
    function = np.arange(1, 1 + N_FUNCTION)
    fewer = per_sentence(x_test, function) - per_sentence(x_train, function)
    assert abs(fewer - TAG_COUNT) < 0.5
    lengths = [(x != 0).sum(axis=1).mean() for x in (x_train, x_test)]
    assert abs(lengths[0] - lengths[1]) < 0.5


def test_verdict_every_seed():
    line = verdict([0.80, 0.82], [0.90, 0.85])
    assert "on every seed" in line and "3.0 points at least" in line
    assert "6.5 on average" in line


def test_verdict_mean_only():
    line = verdict([0.80, 0.82], [0.90, 0.81])
    assert "improved mean held-out accuracy (+4.5 points)" in line
    assert "not on every seed" in line


@pytest.mark.parametrize("dropped", [[0.80, 0.80], [0.70, 0.85]])
def test_verdict_no_improvement(dropped):
    assert "did NOT improve" in verdict([0.80, 0.80], dropped)


def test_verdict_needs_paired_runs():
    with pytest.raises(ValueError):
        verdict([0.8, 0.8], [0.9])


def test_corpus_rejects_negative_sizes():
    with pytest.raises(ValueError, match="n_train=-1"):
        make_corpus(-1, 10, 0)
