"""Sentiment classification: IMDB movie reviews (Maas et al. 2011), or a labelled stand-in.

The canonical source is ``keras.datasets.imdb`` (25,000 + 25,000 reviews as
word ids, most frequent word = id 4; 0 pad, 1 start, 2 out-of-vocabulary).
With ``DLARCH_OFFLINE=1`` or when the download fails, a clearly labelled
synthetic stand-in with the same encoding is returned instead.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks
from .fetch import describe, fetch

PAD, START, OOV, INDEX_FROM = 0, 1, 2, 3


@dataclass(frozen=True)
class SentimentData:
    """Padded word-id sequences with binary labels (1 = positive) and their source."""

    name: str
    source: str  # "canonical" or "synthetic"
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    vocab_size: int
    note: str = ""

    def describe(self) -> str:
        return describe(self.name, self.source, self.note,
                        f"{len(self.x_train):,} train / {len(self.x_test):,} test, "
                        f"length {self.x_train.shape[1]}, vocabulary {self.vocab_size:,}")


def _pad(sequences, maxlen: int) -> np.ndarray:
    """Keep the last ``maxlen`` ids of each sequence, left-padded with 0 (Keras's default)."""
    out = np.zeros((len(sequences), maxlen), dtype="int32")
    for row, seq in enumerate(sequences):
        seq = list(seq)[-maxlen:]
        if seq:
            out[row, -len(seq):] = seq
    return out


def synthetic_reviews(n: int, maxlen: int = 100, vocab_size: int = 2000, seed: int = 0):
    """A synthetic stand-in for IMDB: word-id "reviews" whose label depends on word order.

    Ids ``INDEX_FROM + 1 ..`` are words; 30 of them are positive, 30
    negative, one is "not", the rest neutral filler drawn from a Zipf-like
    law. A positive (negative) review holds 3–7 sentiment words, each of the
    review's polarity with probability 0.85. A sentiment word is preceded by
    "not" with probability 0.3, which flips its meaning ("not good" is
    negative), so a bag of words cannot read the label perfectly while a
    model of order can do better. Labels are the hidden polarity, so no
    model reaches accuracy 1.

    Returns (x (n, maxlen) int32, y (n,) int64).
    """
    n = _checks.positive_int("n", n)
    maxlen = _checks.positive_int("maxlen", maxlen, minimum=20)
    vocab_size = _checks.positive_int("vocab_size", vocab_size, minimum=100)
    rng = np.random.default_rng(seed)
    first = INDEX_FROM + 1
    not_id = first
    positive = np.arange(first + 1, first + 31)
    negative = np.arange(first + 31, first + 61)
    neutral = np.arange(first + 61, vocab_size)
    weights = 1.0 / np.arange(1, len(neutral) + 1)
    weights /= weights.sum()
    y = rng.integers(0, 2, size=n)
    reviews = []
    for label in y:
        length = int(rng.integers(maxlen // 3, maxlen))
        words = list(rng.choice(neutral, size=length - 1, p=weights))
        for _ in range(int(rng.integers(3, 8))):
            meaning = label if rng.random() < 0.85 else 1 - label
            negated = rng.random() < 0.3
            shown = 1 - meaning if negated else meaning
            word = rng.choice(positive if shown == 1 else negative)
            insert = [not_id, word] if negated else [word]
            at = int(rng.integers(0, len(words) + 1))
            words[at:at] = insert
        reviews.append([START] + words)
    return _pad(reviews, maxlen), y.astype("int64")


KERAS_IMDB_SEED = 113  # keras.datasets.imdb.load_data's default ``seed``


def _read_keras_imdb(path, num_words: int):
    """Word-id reviews from Keras's ``imdb.npz``, in the order and encoding of ``keras.datasets.imdb``.

    ``keras.datasets.imdb.load_data`` reads only the file in Keras's own cache
    folder, so it cannot use a mirror copy; this reproduces it on the verified
    file: one ``np.random.RandomState(113)`` shuffles the training reviews, then
    the test reviews (labels with them), then 1 = start, 2 = out of vocabulary
    and word ids offset by 3. The file holds ragged lists, hence pickle; its
    sha256 was checked before this.
    """
    with np.load(path, allow_pickle=True) as f:
        raw = [(f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])]
    rng = np.random.RandomState(KERAS_IMDB_SEED)  # one generator for both splits, as Keras

    def encode(review):
        return [START] + [w + INDEX_FROM if w + INDEX_FROM < num_words else OOV for w in review]

    splits = []
    for x, y in raw:
        order = np.arange(len(x))
        rng.shuffle(order)
        splits.append(([encode(r) for r in x[order]], np.asarray(y, dtype="int64")[order]))
    return splits


def load_imdb(num_words: int = 10000, maxlen: int = 200, n_synthetic: int = 12500) -> SentimentData:
    """IMDB reviews from ``keras.datasets.imdb``, or the synthetic stand-in.

    Args:
        num_words: keep the most frequent words (others become OOV).
        maxlen: pad/truncate every review to this many ids (the last ones kept).
        n_synthetic: train and test size of the stand-in.
    """
    num_words = _checks.positive_int("num_words", num_words, minimum=100)
    maxlen = _checks.positive_int("maxlen", maxlen, minimum=20)
    n_synthetic = _checks.positive_int("n_synthetic", n_synthetic)
    data = None
    fetched = fetch("imdb")  # cache, mirror or download, sha256-verified; None when unreachable
    if fetched is not None:
        (x_tr, y_tr), (x_te, y_te) = _read_keras_imdb(fetched.path, num_words)
        data = SentimentData("IMDB", fetched.data_source, _pad(x_tr, maxlen), y_tr,
                             _pad(x_te, maxlen), y_te, num_words, note=fetched.note)
    if data is None:
        vocab = min(num_words, 2000)
        x, y = synthetic_reviews(2 * n_synthetic, maxlen=min(maxlen, 100), vocab_size=vocab, seed=0)
        data = SentimentData("IMDB", "synthetic", x[:n_synthetic], y[:n_synthetic],
                             x[n_synthetic:], y[n_synthetic:], vocab,
                             note="IMDB unreachable: a generated stand-in with negation, "
                                  "not real reviews")
    print(data.describe())
    return data
