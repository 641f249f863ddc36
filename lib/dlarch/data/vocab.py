"""Character vocabularies for sequence models."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _checks

PAD, START, END = "<pad>", "<s>", "</s>"
SPECIALS = (PAD, START, END)


class CharVocab:
    """Maps characters to integer ids; id 0 is padding, 1 start, 2 end."""

    def __init__(self, chars):
        chars = sorted(set(chars) - set(SPECIALS))
        if not chars:
            raise ValueError("a vocabulary needs at least one character")
        self.tokens = list(SPECIALS) + chars
        self.index = {t: i for i, t in enumerate(self.tokens)}

    @classmethod
    def from_texts(cls, texts) -> "CharVocab":
        return cls(set("".join(texts)))

    def __len__(self) -> int:
        return len(self.tokens)

    @property
    def pad_id(self) -> int:
        return 0

    @property
    def start_id(self) -> int:
        return 1

    @property
    def end_id(self) -> int:
        return 2

    def encode(self, texts, length: int, start: bool = False, end: bool = False) -> np.ndarray:
        """Encode a list of strings into an int32 array ``(len(texts), length)``, padded with 0."""
        if isinstance(texts, str):
            raise ValueError(f"texts must be a list of strings, got the string {texts!r}; "
                             f"to encode one text, pass [{texts!r}]")
        length = _checks.positive_int("length", length)
        out = np.zeros((len(texts), length), dtype=np.int32)
        for row, text in enumerate(texts):
            unknown = set(text) - set(self.index)
            if unknown:
                raise ValueError(f"characters {sorted(unknown)!r} of {text!r} are not in the vocabulary")
            ids = ([self.start_id] if start else []) + [self.index[c] for c in text]
            ids += [self.end_id] if end else []
            if len(ids) > length:
                raise ValueError(f"{text!r} needs {len(ids)} positions but length is {length}")
            out[row, : len(ids)] = ids
        return out

    def decode(self, ids) -> str:
        """Turn ids (each in ``[0, len(self))``) back into text, stopping at the end token and
        skipping pad/start."""
        chars = []
        ids = _checks.token_ids("ids", _checks.array("ids", ids, ndim=1), len(self))
        for i in ids.tolist():
            if i == self.end_id:
                break
            if i not in (self.pad_id, self.start_id):
                chars.append(self.tokens[i])
        return "".join(chars)


@dataclass(frozen=True)
class Seq2SeqTask:
    """Encoded (source, target) string pairs for a sequence-to-sequence model.

    ``x`` holds the source ids; ``y_in`` the target with a start token (the
    decoder input under teacher forcing); ``y_out`` the target with an end
    token (what the decoder must predict).
    """

    pairs: list
    source_vocab: CharVocab
    target_vocab: CharVocab
    x: np.ndarray
    y_in: np.ndarray
    y_out: np.ndarray

    @classmethod
    def encode(cls, pairs, source_vocab: CharVocab, target_vocab: CharVocab,
               source_length: int, target_length: int) -> "Seq2SeqTask":
        """Encode ``pairs``; targets get one extra position for the start/end token."""
        sources, targets = zip(*pairs)
        return cls(list(pairs), source_vocab, target_vocab,
                   source_vocab.encode(sources, source_length),
                   target_vocab.encode(targets, target_length, start=True),
                   target_vocab.encode(targets, target_length, end=True))
