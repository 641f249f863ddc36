"""A synthetic sequence-classification task: is the string a palindrome?

Half the strings are palindromes (``"abccba"``); the other half are the
same characters shuffled into a non-palindrome (``"bcaacb"``), so both
classes have exactly the same character counts and only their *order*
tells them apart: a model that ignores positions cannot beat chance (50 %).
Each string is encoded with a [CLS] token (the start id, 1) in front, as an
encoder-only (BERT-style) classifier expects.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks

from .vocab import CharVocab


@dataclass(frozen=True)
class PalindromeTask:
    """Strings, labels (1 = palindrome) and their encoding ``x`` ``(n, 1 + length)``."""

    texts: list
    vocab: CharVocab
    x: np.ndarray
    y: np.ndarray


def _shuffled(word: np.ndarray, rng) -> np.ndarray:
    """The characters of ``word`` in a random order that is not a palindrome."""
    while True:
        out = rng.permutation(word)
        if not np.array_equal(out, out[::-1]):
            return out


def make_palindrome_task(n: int, length: int = 12, alphabet: str = "abcdef",
                         seed: int = 0) -> PalindromeTask:
    """``n`` strings of ``length`` characters from ``alphabet``, half of them palindromes.

    Args:
        n: number of strings (a positive integer).
        length: characters per string, at least 4.
        alphabet: at least 2 distinct characters.
        seed: makes the task reproducible.
    """
    n = _checks.positive_int("n", n)
    length = _checks.positive_int("length", length, minimum=4)
    if len(set(alphabet)) < 2:
        raise ValueError(f"alphabet needs at least 2 distinct characters, got {alphabet!r}")
    chars = np.array(sorted(set(alphabet)))
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=n)
    texts = []
    for label in labels:
        while True:
            half = rng.choice(chars, size=(length + 1) // 2)
            word = np.concatenate([half, half[: length // 2][::-1]])
            if len(set(word)) > 1:  # a shuffle needs two different characters
                break
        texts.append("".join(word if label else _shuffled(word, rng)))
    vocab = CharVocab(chars)
    return PalindromeTask(texts, vocab, vocab.encode(texts, length + 1, start=True),
                          labels.astype("int64"))
