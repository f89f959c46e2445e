"""Loaders of the book's data sets: each returns the data as the original authors published it.

Every loader finds its file(s) with :func:`mlbook.data.files.locate`, which checks the SHA-256 first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .files import locate

if TYPE_CHECKING:  # pandas is imported by the table loaders only
    import pandas as pd

PM25_COLUMNS = ["year", "month", "day", "hour", "pm2.5", "DEWP", "TEMP", "PRES", "cbwd", "Iws", "Is", "Ir"]
ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]
_ADULT_INTS = ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week", "income"]


def _read_csv(filename: str, dtypes: dict[str, str]) -> "pd.DataFrame":
    import pandas as pd

    # Only an empty field is missing: values such as "NA" or "None" stay strings.
    df = pd.read_csv(locate(filename), dtype=dtypes, keep_default_na=False, na_values=[""])
    if list(df.columns) != list(dtypes):
        raise ValueError(f"{filename}: columns {list(df.columns)}, expected {list(dtypes)}")
    return df


def load_pm25() -> "pd.DataFrame":
    """Beijing PM2.5 (UCI PRSA): hourly, 2010-01-01 00:00 to 2014-12-31 23:00, 43,824 rows.

    Introduced in {ref}`sec-regression-data`. Returns a DataFrame with an hourly ``DatetimeIndex`` named
    ``time`` and the raw columns ``year, month, day, hour, pm2.5`` (µg/m³), ``DEWP`` (dew point, °C), ``TEMP``
    (°C), ``PRES`` (hPa), ``cbwd`` (combined wind direction: NE, NW, SE, cv = calm/variable), ``Iws`` (cumulated
    wind speed, m/s), ``Is``, ``Ir`` (cumulated hours of snow, rain). Missing PM2.5 (2,067 hours) is NaN,
    untouched. (The source's row number ``No`` is dropped: the time index replaces it.)
    """
    import pandas as pd

    dtypes = {c: "int64" for c in PM25_COLUMNS}
    dtypes.update({"pm2.5": "float64", "TEMP": "float64", "PRES": "float64", "Iws": "float64", "cbwd": "str"})
    df = _read_csv("pm25.csv.gz", dtypes)
    time = pd.to_datetime(df[["year", "month", "day", "hour"]])
    df.index = pd.DatetimeIndex(time, name="time", freq="h")
    return df


def load_adult() -> tuple["pd.DataFrame", "pd.DataFrame"]:
    """UCI Adult (Census Income): the original train (32,561 rows) and test (16,281 rows) files.

    Introduced in {ref}`sec-classification-data`. Returns ``(train, test)`` DataFrames with the original UCI
    column names (``age, workclass, fnlwgt, education, education-num, marital-status, occupation, relationship,
    race, sex, capital-gain, capital-loss, hours-per-week, native-country``) and the label ``income`` as int
    0/1 (1 for ">50K"). Numeric columns are int64, the others strings; the source's ``?`` is NaN.
    """
    dtypes = {c: ("int64" if c in _ADULT_INTS else "str") for c in ADULT_COLUMNS}
    return _read_csv("adult_train.csv.gz", dtypes), _read_csv("adult_test.csv.gz", dtypes)


@dataclass(frozen=True, repr=False, eq=False)
class ImageSet:
    """An image classification set with its official split: uint8 images (N, 28, 28), int64 labels.

    Introduced in {ref}`sec-cnn-data`. ``classes[k]`` is the name of label ``k``.
    """

    name: str
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    classes: list[str]

    def __repr__(self) -> str:
        return (f"ImageSet({self.name!r}: x_train {self.x_train.shape} {self.x_train.dtype}, "
                f"x_test {self.x_test.shape}, {len(self.classes)} classes {self.classes})")


# Decompressing an LZMA npz takes seconds; the arrays of a verified file are kept per process, keyed on
# (path, size, mtime) like the digests, and every load returns fresh copies (milliseconds), so a chapter may
# modify what it gets without affecting a later load.
_IMAGES: dict[tuple[str, int, int], dict[str, np.ndarray]] = {}


def _load_images(name: str, filename: str) -> ImageSet:
    path = locate(filename)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _IMAGES:
        with np.load(path, allow_pickle=False) as z:
            _IMAGES[key] = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test", "classes")}
    a = _IMAGES[key]
    return ImageSet(name=name, x_train=a["x_train"].copy(), y_train=a["y_train"].copy(),
                    x_test=a["x_test"].copy(), y_test=a["y_test"].copy(), classes=[str(c) for c in a["classes"]])


def load_mnist() -> ImageSet:
    """MNIST: 60,000 training and 10,000 test images of handwritten digits (official split), labels 0-9.

    Introduced in {ref}`sec-cnn-data`. ``x_*`` are uint8 (N, 28, 28), 0 = background, 255 = ink; ``y_*``
    int64. Licence CC BY-SA 3.0 (LeCun, Cortes & Burges).
    """
    return _load_images("mnist", "mnist.npz")


def load_fashion_mnist() -> ImageSet:
    """Fashion-MNIST: 60,000 training and 10,000 test images of 10 kinds of clothing (official split).

    Introduced in {ref}`sec-cnn-data`. Same shapes and dtypes as :func:`load_mnist`; ``classes`` holds the
    names (T-shirt/top, Trouser, Pullover, Dress, Coat, Sandal, Shirt, Sneaker, Bag, Ankle boot). Licence MIT.
    """
    return _load_images("fashion_mnist", "fashion_mnist.npz")
