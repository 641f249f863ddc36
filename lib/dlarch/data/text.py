"""Text corpora: Tiny Shakespeare."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fetch import describe, fetch


@dataclass(frozen=True)
class TextData:
    """A text corpus and the source it came from."""

    name: str
    source: str
    text: str
    note: str = ""

    def describe(self) -> str:
        return describe(self.name, self.source, self.note,
                        f"{len(self.text):,} characters, {len(set(self.text))} distinct")


def synthetic_play(n_chars: int = 200_000, seed: int = 0) -> str:
    """A deterministic stand-in for Shakespeare: speaker turns built from a small word list.

    It has the corpus's shape (names in capitals, colons, short lines) but no
    real language, so models trained on it learn much less; it exists only so
    notebooks run where the real text cannot be fetched.
    """
    rng = np.random.default_rng(seed)
    speakers = ["ROMEO", "JULIET", "HAMLET", "OPHELIA", "KING", "QUEEN", "FOOL"]
    words = ("thou thee thy lord love night good sweet fair death heaven heart "
             "king queen speak hath doth shall come go know make say see well "
             "noble gentle what why now then o my the and to of a is not").split()
    parts, size = [], 0
    while size < n_chars:
        lines = []
        for _ in range(rng.integers(1, 4)):
            line = " ".join(rng.choice(words, size=rng.integers(4, 9)))
            lines.append(line[0].upper() + line[1:] + rng.choice([",", ".", "!", "?"]))
        turn = f"{rng.choice(speakers)}:\n" + "\n".join(lines) + "\n\n"
        parts.append(turn)
        size += len(turn)
    return "".join(parts)[:n_chars]


def load_shakespeare() -> TextData:
    """Tiny Shakespeare (Karpathy's char-rnn corpus), 1,115,394 characters.

    With no copy reachable, a clearly labelled synthetic stand-in is returned.
    """
    fetched = fetch("shakespeare")
    if fetched is None:
        data = TextData("Shakespeare", "synthetic", synthetic_play(),
                        note="no copy reachable: a generated stand-in, not real text")
    else:
        data = TextData("Shakespeare", fetched.data_source,
                        fetched.path.read_text(encoding="utf-8"), note=fetched.note)
    print(data.describe())
    return data
