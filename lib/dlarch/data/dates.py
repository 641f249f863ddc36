"""A deterministic translation task: human-written dates -> ISO 8601 dates.

``"Tuesday, March 3, 1998"`` or ``"3rd of March 1998"`` -> ``"1998-03-03"``. The
sources vary in format and length; the target is always 10 characters. Only
formats that name the month or put the year first are used, so every input
has exactly one correct answer.
"""

from __future__ import annotations

import datetime as dt
import numpy as np

from .. import _checks

from .vocab import CharVocab, Seq2SeqTask

MONTHS = ("January February March April May June July August September "
          "October November December").split()
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday".split()
FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2049, 12, 31)


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


FORMATS = (
    lambda d: d.isoformat().replace("-", "/"),                                  # 1998/03/03
    lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",                    # 3 Mar 1998
    lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3].upper()}-{d.year}",        # 03-MAR-1998
    lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",                       # March 3, 1998
    lambda d: f"{d.day} {MONTHS[d.month - 1].lower()} {d.year}",                # 3 march 1998
    lambda d: f"{_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",           # 3rd of March 1998
    lambda d: f"{DAYS[d.weekday()][:3]} {MONTHS[d.month - 1][:3]} {d.day} {d.year}",  # Tue Mar 3 1998
    lambda d: f"{DAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",  # Tuesday, March 3, 1998
    lambda d: f"{DAYS[d.weekday()].lower()} {_ordinal(d.day)} {MONTHS[d.month - 1].lower()} {d.year}",
)


def random_dates(n: int, seed: int = 0) -> list[dt.date]:
    """``n`` dates drawn uniformly from 1950-01-01 .. 2049-12-31."""
    n = _checks.positive_int("n", n)
    rng = np.random.default_rng(seed)
    span = (LAST_DAY - FIRST_DAY).days
    return [FIRST_DAY + dt.timedelta(days=int(k)) for k in rng.integers(0, span + 1, size=n)]


def date_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (human-written, ISO) pairs, each in a format drawn at random."""
    n = _checks.positive_int("n", n)
    rng = np.random.default_rng(seed + 1)
    formats = rng.integers(0, len(FORMATS), size=n)
    return [(FORMATS[f](d), d.isoformat()) for f, d in zip(formats, random_dates(n, seed))]


SOURCE_CHARS = set("".join(f(d) for f in FORMATS for d in (
    [dt.date(2000, m, 1) for m in range(1, 13)] + [dt.date(2001, 1, k) for k in range(1, 8)]
))) | set("0123456789")
TARGET_CHARS = set("0123456789-")
SOURCE_LENGTH = 32
TARGET_LENGTH = 11  # 10 characters + start or end token


def make_date_task(n: int, seed: int = 0) -> Seq2SeqTask:
    """Generate and encode ``n`` date pairs with the fixed course vocabularies."""
    return Seq2SeqTask.encode(date_pairs(n, seed), CharVocab(SOURCE_CHARS),
                              CharVocab(TARGET_CHARS), SOURCE_LENGTH, TARGET_LENGTH)
