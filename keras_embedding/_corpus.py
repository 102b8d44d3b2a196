"""A small synthetic text-classification corpus for the demo, made in code.

Each sentence is a bag of made-up words over a fixed vocabulary:

* id 0 is padding; sentences are padded with 0 at the end to `MAXLEN`.
* *Function* words are frequent and carry no information.
* *Topic* words come in two topics, A and B, with Zipf-like frequencies, so
  most of them are rare. Every sentence holds 4 to 8 topic words, and its
  label is the topic most of them belong to (1 for A, 0 for B), by a margin
  of at least 2, so that losing one word never changes the label. Single
  topic words are weak evidence (30% of them come from the other topic); the
  evidence is spread over many word types.
* Two *tag* words stand for an artefact of how the training sentences were
  collected (think of a source's boilerplate): every training sentence
  carries its label's tag `TAG_COUNT` times, so one word type alone fits the
  training set; held-out sentences carry no tag. A model that leans on the
  tag has learnt little from the topic words, which is all the held-out
  split offers. Keras 1 row dropout removes a tag from whole batches during
  training, so the topic words must carry those batches.

Everything is drawn from one `numpy.random.Generator` seeded by `seed`, so the
same arguments always give the same arrays.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

N_FUNCTION = 40
N_TOPIC = 150  # per topic
MAXLEN = 40
MIN_LEN = 12
TOPIC_COUNTS = (4, 5, 6, 7, 8)
MARGIN = 2
# Chance that a topic word comes from the sentence's own topic: single topic
# words are weak evidence, so the topics take many examples to learn while
# the tag fits the training set at once.
OWN_TOPIC = 0.7
# Occurrences of the label's tag in each training sentence: several, so that
# the tag dominates the sentence's mean embedding and fits the training set
# within a few steps.
TAG_COUNT = 3

_FUNCTION_START = 1
_TOPIC_A_START = _FUNCTION_START + N_FUNCTION
_TOPIC_B_START = _TOPIC_A_START + N_TOPIC
_TAG_START = _TOPIC_B_START + N_TOPIC  # tag of label 0; label 1's is next
VOCAB_SIZE = _TAG_START + 2


class Corpus(NamedTuple):
    """The two splits of the corpus; unpacks like a 6-tuple.

    Attributes:
        x_train: int32 array `(n_train, maxlen)` of word ids, 0-padded at the
            end.
        y_train: int32 array `(n_train,)` of labels in {0, 1}.
        x_test: int32 array `(n_test, maxlen)`, like `x_train`.
        y_test: int32 array `(n_test,)`, like `y_train`.
        vocab_size: 1 + the largest possible id (the Embedding `input_dim`).
        maxlen: length of every padded sentence.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    vocab_size: int
    maxlen: int


def _zipf(n: int) -> np.ndarray:
    """Zipf-like word frequencies: a few common words and a long tail."""
    weights = 1.0 / np.arange(1, n + 1)
    return weights / weights.sum()


_FUNCTION_P = _zipf(N_FUNCTION)
_TOPIC_P = _zipf(N_TOPIC)


def _sentence(rng: np.random.Generator, label: int, train: bool) -> np.ndarray:
    """One unpadded sentence whose majority topic is `label`; tagged in training."""
    n_topic = int(rng.choice(TOPIC_COUNTS))
    while True:
        own = rng.random(n_topic) < OWN_TOPIC
        if 2 * own.sum() - n_topic >= MARGIN:
            break
    from_a = own if label == 1 else ~own
    topic = rng.choice(N_TOPIC, size=n_topic, p=_TOPIC_P)
    topic = np.where(from_a, _TOPIC_A_START, _TOPIC_B_START) + topic

    tags = np.full(TAG_COUNT if train else 0, _TAG_START + label)

    length = int(rng.integers(MIN_LEN, MAXLEN + 1))
    n_function = length - n_topic - len(tags)
    function = _FUNCTION_START + rng.choice(N_FUNCTION, size=n_function, p=_FUNCTION_P)
    return rng.permutation(np.concatenate([topic, tags, function]))


def _split(
    rng: np.random.Generator, n: int, train: bool
) -> tuple[np.ndarray, np.ndarray]:
    """`n` padded sentences, `n // 2` of label 1 and the rest of label 0."""
    labels = rng.permutation(np.arange(n) % 2).astype(np.int32)
    x = np.zeros((n, MAXLEN), dtype=np.int32)
    for row, label in enumerate(labels):
        words = _sentence(rng, int(label), train)
        x[row, : len(words)] = words
    return x, labels


def make_corpus(n_train: int = 600, n_test: int = 2000, seed: int = 0) -> Corpus:
    """Builds the corpus described in the module docstring.

    Args:
        n_train: number of training sentences (>= 0).
        n_test: number of test sentences (>= 0).
        seed: selects the corpus; equal arguments give equal arrays.

    Returns:
        A `Corpus`: `(x_train, y_train, x_test, y_test, vocab_size, maxlen)`.
        A split of `n` sentences has `n // 2` of label 1 and the rest of
        label 0, shuffled.
    """
    if n_train < 0 or n_test < 0:
        raise ValueError(
            f"split sizes must be >= 0. Received: n_train={n_train}, n_test={n_test}"
        )
    rng = np.random.default_rng(seed)
    x_train, y_train = _split(rng, n_train, train=True)
    x_test, y_test = _split(rng, n_test, train=False)
    return Corpus(x_train, y_train, x_test, y_test, VOCAB_SIZE, MAXLEN)
