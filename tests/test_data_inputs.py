"""Bad input to the data generators and loaders: a ValueError naming the argument.

Each row calls a public function with one bad argument; the message must name
that argument. Valid NumPy scalars must be accepted. Add a row whenever a
function is added to ``dlarch.data``.
"""

import numpy as np
import pytest

import dlarch.data as data
from dlarch.data.sequences import SeriesSpec

NAN, INF = float("nan"), float("inf")

BAD = [
    # (function, keyword arguments, the argument the message must name)
    (data.adding_problem, dict(n=0, length=10), "n"),
    (data.adding_problem, dict(n=4, length=1), "length"),
    (data.adding_problem, dict(n=True, length=10), "n"),
    (data.majority_task, dict(n=4, length=10, radius=0), "radius"),
    (data.majority_task, dict(n=4.0, length=10), "n"),
    (data.synthetic_series, dict(n_steps=-3), "n_steps"),
    (data.synthetic_series, dict(n_steps=10, spec="hourly"), "spec"),
    (SeriesSpec, dict(period=0), "period"),
    (SeriesSpec, dict(period=-24), "period"),
    (SeriesSpec, dict(ar=1.0), "ar"),
    (SeriesSpec, dict(ar=NAN), "ar"),
    (SeriesSpec, dict(noise=-0.5), "noise"),
    (SeriesSpec, dict(trend=INF), "trend"),
    (data.forecast_windows, dict(series=np.ones((5, 2)), window=2, horizon=1), "series"),
    (data.forecast_windows, dict(series=[1.0, NAN, 2.0, 3.0], window=2, horizon=1), "series"),
    (data.forecast_windows, dict(series=np.ones(20), window=0, horizon=1), "window"),
    (data.forecast_windows, dict(series=np.ones(20), window=3, horizon=-1), "horizon"),
    (data.next_step_windows, dict(ids=np.ones((3, 3)), length=2), "ids"),
    (data.next_step_windows, dict(ids=np.arange(20), length=0), "length"),
    (data.date_pairs, dict(n=-5), "n"),
    (data.date_pairs, dict(n=0), "n"),
    (data.make_date_task, dict(n=2.5), "n"),
    (data.make_copy_task, dict(n=0), "n"),
    (data.make_copy_task, dict(n=3, min_length=5, max_length=4), "max_length"),
    (data.make_copy_task, dict(n=3, min_length=0), "min_length"),
    (data.make_palindrome_task, dict(n=3, length=3), "length"),
    (data.make_xor, dict(n_per_corner=0), "n_per_corner"),
    (data.make_xor, dict(noise=NAN), "noise"),
    (data.make_xor, dict(noise=-1.0), "noise"),
    (data.load_imdb, dict(n_synthetic=-5), "n_synthetic"),
    (data.load_imdb, dict(num_words=50), "num_words"),
    (data.load_imdb, dict(maxlen=np.float32(200)), "maxlen"),
]


@pytest.mark.parametrize("function, kwargs, name", BAD,
                         ids=[f"{f.__name__}-{n}={kw[n]!r}" for f, kw, n in BAD])
def test_bad_argument_is_a_value_error_naming_it(function, kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        function(**kwargs)


def test_numpy_scalars_are_accepted():
    x, _ = data.adding_problem(np.int64(3), np.int32(10))
    assert x.shape == (3, 10, 2)
    assert data.synthetic_series(np.int64(50), spec=SeriesSpec(period=np.int64(12))).shape == (50,)
    assert len(data.date_pairs(np.int64(4))) == 4
    assert data.make_xor(np.int64(2), noise=np.float32(0.1))[0].shape == (8, 2)
    xw, yw = data.forecast_windows(np.arange(20, dtype="float64"), np.int64(5), np.int64(2))
    assert xw.shape == (14, 5, 1) and yw.shape == (14, 2)
    assert data.load_digits().take(np.int64(5), np.int32(3)).x_test.shape[0] == 3


def test_char_vocab_refuses_a_string_for_a_list_and_out_of_range_ids():
    vocab = data.CharVocab("abc")
    with pytest.raises(ValueError, match=r"texts must be a list of strings.*\['abc'\]"):
        vocab.encode("abc", 5)
    assert vocab.encode(["abc"], 5).shape == (1, 5)
    assert vocab.decode([3, 4, 5, 2, 3]) == "abc"
    for bad in (-1, len(vocab)):
        with pytest.raises(ValueError, match=rf"ids must hold token ids in \[0, {len(vocab)}\), found {bad}"):
            vocab.decode([3, bad])
    with pytest.raises(ValueError, match=r"ids must have rank 1"):
        vocab.decode([[3, 4]])
