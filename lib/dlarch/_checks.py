"""Argument checks shared by every module of the library.

Modelled on Keras's ``keras/src/utils/argument_validation.py``: each check
takes the argument's name and value, accepts NumPy scalars (``np.int64(10)``,
``np.float32(0.5)``) and returns a plain Python value, rejects booleans, NaN
and infinity, and raises ``ValueError`` whose message names the argument, the
value and what is allowed.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _fail(name: str, value, allowed: str):
    raise ValueError(f"{name} must be {allowed}, got {value!r}")


def _integer(name: str, value, allowed: str) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        _fail(name, value, allowed)
    return int(value)


def _real(name: str, value, allowed: str) -> float:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        _fail(name, value, allowed)
    number = float(value)
    if not math.isfinite(number):
        _fail(name, value, allowed)
    return number


def positive_int(name: str, value, *, minimum: int = 1) -> int:
    """``value`` as an ``int`` ≥ ``minimum`` (1 unless given)."""
    allowed = f"an integer ≥ {minimum}"
    number = _integer(name, value, allowed)
    if number < minimum:
        _fail(name, value, allowed)
    return number


def non_negative_int(name: str, value) -> int:
    """``value`` as an ``int`` ≥ 0."""
    return positive_int(name, value, minimum=0)


def finite_float(name: str, value) -> float:
    """``value`` as a finite ``float``."""
    return _real(name, value, "a finite number")


def positive_float(name: str, value) -> float:
    """``value`` as a finite ``float`` > 0."""
    number = _real(name, value, "a finite number > 0")
    if number <= 0:
        _fail(name, value, "a finite number > 0")
    return number


def non_negative_float(name: str, value) -> float:
    """``value`` as a finite ``float`` ≥ 0."""
    number = _real(name, value, "a finite number ≥ 0")
    if number < 0:
        _fail(name, value, "a finite number ≥ 0")
    return number


def fraction(name: str, value, *, low_inclusive: bool = True,
             high_inclusive: bool = False) -> float:
    """``value`` as a ``float`` in the interval from 0 to 1 (``[0, 1)`` by default)."""
    allowed = (f"a number in {'[' if low_inclusive else '('}0, 1{']' if high_inclusive else ')'}")
    number = _real(name, value, allowed)
    above = number >= 0 if low_inclusive else number > 0
    below = number <= 1 if high_inclusive else number < 1
    if not (above and below):
        _fail(name, value, allowed)
    return number


def one_of(name: str, value, choices):
    """``value`` itself, if it is one of ``choices``."""
    choices = tuple(choices)
    try:
        known = value in choices
    except TypeError:  # an unhashable or incomparable value is simply not a choice
        known = False
    if not known:
        _fail(name, value, f"one of {', '.join(repr(c) for c in choices)}")
    return value


def array(name: str, value, *, ndim: int | tuple[int, ...] | None = None,
          dtype=None, finite: bool = False) -> np.ndarray:
    """``value`` as a NumPy array, checked for rank (``ndim``) and finiteness."""
    try:
        result = np.asarray(value, dtype=dtype)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be array-like, got {type(value).__name__}: {error}") from None
    if result.dtype == object:
        _fail(name, type(value).__name__, "a numeric array")
    if ndim is not None:
        ranks = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if result.ndim not in ranks:
            wanted = " or ".join(str(r) for r in ranks)
            raise ValueError(f"{name} must have rank {wanted}, got shape {result.shape}")
    if finite and np.issubdtype(result.dtype, np.number) and not np.all(np.isfinite(result)):
        raise ValueError(f"{name} must hold finite numbers only; it contains NaN or infinity")
    return result


def token_ids(name: str, ids, vocab_size: int) -> np.ndarray:
    """``ids`` as an integer array with every id in ``[0, vocab_size)``."""
    vocab_size = positive_int("vocab_size", vocab_size)
    result = array(name, ids)
    if result.size == 0:
        return result.astype(np.int64)
    if not np.issubdtype(result.dtype, np.integer):
        if not (np.issubdtype(result.dtype, np.floating) and np.all(result == np.round(result))):
            raise ValueError(f"{name} must hold integer token ids, got dtype {result.dtype}")
        result = result.astype(np.int64)
    low, high = int(result.min()), int(result.max())
    if low < 0 or high >= vocab_size:
        bad = low if low < 0 else high
        raise ValueError(f"{name} must hold token ids in [0, {vocab_size}), found {bad}")
    return result
