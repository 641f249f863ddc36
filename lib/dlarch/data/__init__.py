"""Every dataset of the course: canonical source, mirror, offline fallback.

See ``DESIGN.md`` §4. Loaders print one line naming the source they used
("canonical", "mirror", "system", "offline" or "synthetic") and the sizes, so
a reader always knows whether a result came from full or fallback data.
"""

from .copying import make_copy_task
from .dates import date_pairs, make_date_task
from .fetch import ChecksumError, DataIOError, DataUnavailable, cache_dir, fetch, mirror_dir
from .images import ImageData, load_digits, load_fashion_mnist, load_mnist
from .imdb import SentimentData, load_imdb
from .motifs import first_token_task, motif_task
from .palindromes import make_palindrome_task
from .registry import FILES
from .sequences import (adding_problem, forecast_windows, majority_task, next_step_windows,
                        synthetic_series)
from .series import SeriesData, load_co2
from .text import TextData, load_shakespeare
from .vocab import CharVocab, Seq2SeqTask
from .xor import make_xor

__all__ = [
    "adding_problem",
    "cache_dir",
    "CharVocab",
    "ChecksumError",
    "DataIOError",
    "DataUnavailable",
    "date_pairs",
    "fetch",
    "first_token_task",
    "FILES",
    "forecast_windows",
    "ImageData",
    "load_co2",
    "load_digits",
    "load_fashion_mnist",
    "load_imdb",
    "load_mnist",
    "load_shakespeare",
    "majority_task",
    "make_copy_task",
    "make_date_task",
    "make_palindrome_task",
    "make_xor",
    "mirror_dir",
    "motif_task",
    "next_step_windows",
    "Seq2SeqTask",
    "SentimentData",
    "SeriesData",
    "synthetic_series",
    "TextData",
]
