"""Real time series: Mauna Loa CO2, as shipped with statsmodels.

The weekly flask measurements of atmospheric CO2 at Mauna Loa, Hawaii
(Keeling & Whorf 2004), 1958–2001, ship inside ``statsmodels.datasets.co2``.
:func:`load_co2` averages them per calendar month: a rising trend with a
yearly cycle, the real counterpart of :func:`~dlarch.data.synthetic_series`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .fetch import describe


@dataclass(frozen=True)
class SeriesData:
    """A univariate time series: values, their dates, the seasonal period and the source."""

    name: str
    source: str
    values: np.ndarray  # float32, one value per step
    dates: np.ndarray   # datetime64, one date per step
    period: int         # steps per seasonal cycle
    unit: str
    note: str = ""

    def describe(self) -> str:
        first, last = (str(d)[:7] for d in (self.dates[0], self.dates[-1]))
        return describe(self.name, self.source, self.note,
                        f"{len(self.values):,} steps, {first} to {last}, period {self.period}, "
                        f"unit {self.unit}")


def load_co2() -> SeriesData:
    """Monthly mean atmospheric CO2 at Mauna Loa (ppm), March 1958 – December 2001.

    statsmodels ships 2,284 weekly readings, 59 of them missing; their monthly
    means leave 5 of 526 months without a reading, which are filled by linear
    interpolation in time (the note says how many).
    """
    from statsmodels.datasets import co2

    weekly = co2.load_pandas().data["co2"]
    monthly = weekly.resample("MS").mean()
    missing = int(monthly.isna().sum())
    monthly = monthly.interpolate("time")
    data = SeriesData(
        "Mauna Loa CO2", "canonical", monthly.to_numpy(dtype="float32"),
        monthly.index.to_numpy().astype("datetime64[M]"), 12, "ppm",
        note=f"ships with statsmodels; monthly means of weekly readings, "
             f"{missing} empty months interpolated",
    )
    print(data.describe())
    return data
