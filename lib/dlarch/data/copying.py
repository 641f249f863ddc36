"""A deterministic sequence-to-sequence task whose information grows with length.

The source is a random string of digits (``"40718"``) and the target is the same
string. A date carries the same ~15 bits however it is written, but a string of
``L`` random digits carries ``L·log2(10)`` bits, so this task shows what a
fixed-size context vector can and cannot hold (chapter 04).
"""

from __future__ import annotations

import numpy as np

from .. import _checks

from .vocab import CharVocab, Seq2SeqTask

DIGITS = "0123456789"


def make_copy_task(n: int, min_length: int = 4, max_length: int = 24, seed: int = 0) -> Seq2SeqTask:
    """``n`` random digit strings, lengths uniform in ``[min_length, max_length]``, to copy.

    ``x`` is padded to ``max_length``; ``y_in``/``y_out`` to ``max_length + 1``
    (start or end token added).
    """
    n = _checks.positive_int("n", n)
    min_length = _checks.positive_int("min_length", min_length)
    max_length = _checks.positive_int("max_length", max_length, minimum=min_length)
    rng = np.random.default_rng(seed)
    # One example at a time, so the first k examples do not depend on n.
    texts = ["".join(rng.choice(list(DIGITS), size=int(rng.integers(min_length, max_length + 1))))
             for _ in range(n)]
    vocab = CharVocab(DIGITS)
    return Seq2SeqTask.encode([(t, t) for t in texts], vocab, vocab,
                              int(max_length), int(max_length) + 1)
