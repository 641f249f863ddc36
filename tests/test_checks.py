"""The shared argument checks: NumPy scalars accepted, NaN/inf/bools rejected, clear messages."""

import math

import numpy as np
import pytest

from dlarch import _checks as checks


@pytest.mark.parametrize("value", [10, np.int64(10), np.int32(10), np.uint8(10)])
def test_positive_int_accepts_numpy_integers_and_returns_int(value):
    result = checks.positive_int("units", value)
    assert result == 10 and type(result) is int


@pytest.mark.parametrize("value", [0, -1, 1.0, "3", None, True, np.bool_(True), 2.5, math.nan])
def test_positive_int_rejects_with_name_and_value(value):
    with pytest.raises(ValueError, match=r"units must be an integer ≥ 1, got"):
        checks.positive_int("units", value)


def test_minimum_and_non_negative():
    assert checks.positive_int("k", 3, minimum=3) == 3
    with pytest.raises(ValueError, match="k must be an integer ≥ 3"):
        checks.positive_int("k", 2, minimum=3)
    assert checks.non_negative_int("pad", np.int64(0)) == 0
    with pytest.raises(ValueError, match="pad"):
        checks.non_negative_int("pad", -1)


@pytest.mark.parametrize("value", [0.5, np.float32(0.5), np.float64(0.5), 1, np.int64(2)])
def test_positive_float_accepts_numpy_scalars(value):
    result = checks.positive_float("learning_rate", value)
    assert type(result) is float and result == pytest.approx(float(value))


@pytest.mark.parametrize("value", [0.0, -1e-3, math.nan, math.inf, -math.inf, np.float32("nan"),
                                   "0.1", None, True])
def test_positive_float_rejects_nan_inf_and_non_numbers(value):
    with pytest.raises(ValueError, match=r"learning_rate must be a finite number > 0, got"):
        checks.positive_float("learning_rate", value)


def test_non_negative_and_finite_float():
    assert checks.non_negative_float("noise", 0) == 0.0
    with pytest.raises(ValueError, match="noise must be a finite number ≥ 0"):
        checks.non_negative_float("noise", -0.1)
    assert checks.finite_float("shift", -3) == -3.0
    with pytest.raises(ValueError, match="shift must be a finite number"):
        checks.finite_float("shift", math.inf)


def test_fraction_bounds():
    assert checks.fraction("rate", 0.0) == 0.0
    with pytest.raises(ValueError, match=r"rate must be a number in \[0, 1\)"):
        checks.fraction("rate", 1.0)
    assert checks.fraction("p", 1.0, high_inclusive=True) == 1.0
    with pytest.raises(ValueError, match=r"p must be a number in \(0, 1\]"):
        checks.fraction("p", 0.0, low_inclusive=False, high_inclusive=True)
    with pytest.raises(ValueError, match="rate"):
        checks.fraction("rate", math.nan)


def test_one_of():
    assert checks.one_of("kind", "lstm", ("simple", "lstm", "gru")) == "lstm"
    with pytest.raises(ValueError, match=r"kind must be one of 'simple', 'lstm', got 'rnn'"):
        checks.one_of("kind", "rnn", ("simple", "lstm"))
    with pytest.raises(ValueError, match="kind"):
        checks.one_of("kind", ["unhashable"], ("simple",))


def test_array_rank_and_finiteness():
    assert checks.array("x", [[1, 2]], ndim=2).shape == (1, 2)
    assert checks.array("x", [1, 2], ndim=(1, 2)).shape == (2,)
    with pytest.raises(ValueError, match=r"x must have rank 3, got shape \(2,\)"):
        checks.array("x", [1, 2], ndim=3)
    with pytest.raises(ValueError, match="x must hold finite numbers"):
        checks.array("x", [1.0, math.nan], finite=True)
    with pytest.raises(ValueError, match="x must be"):
        checks.array("x", [[1, 2], [3]])


def test_token_ids_range():
    ids = checks.token_ids("ids", [0, 3, 4], vocab_size=5)
    assert ids.tolist() == [0, 3, 4]
    with pytest.raises(ValueError, match=r"ids must hold token ids in \[0, 5\), found -1"):
        checks.token_ids("ids", [0, -1], vocab_size=5)
    with pytest.raises(ValueError, match=r"found 5"):
        checks.token_ids("ids", np.array([[5]]), vocab_size=5)
    with pytest.raises(ValueError, match="integer token ids"):
        checks.token_ids("ids", [0.5], vocab_size=5)
    assert checks.token_ids("ids", np.array([1.0, 2.0]), vocab_size=5).dtype.kind == "i"
