"""The book's data sets and the helpers between data and model. Introduced in {ref}`sec-regression-data`.

>>> import mlbook.data as data
>>> df = data.load_pm25()                     # hourly DataFrame, NaN where missing
>>> train, test = data.load_adult()           # original UCI train/test, income 0/1
>>> mnist = data.load_mnist()                 # .x_train (60000, 28, 28) uint8, .y_train int64, .classes
>>> reviews = data.load_movie_reviews()       # .train/.validation/.test DataFrames: text, label; .classes
>>> pairs = data.load_numbers_en_zh()         # .train/.validation/.test/.test_long: number, en, zh
>>> chars = data.load_characters()           # .x_train (700, 14, 28, 28) uint8, .classes_train, .fonts
>>> mnist_m = data.load_mnist_m()            # like load_mnist(), .x_train (60000, 28, 28, 3) RGB
>>> data.catalog()                            # what there is, sizes, licences

Each file is checked against the SHA-256 in the package manifest before use; see :mod:`mlbook.data.files`
for where files are looked for and how a missing one is fetched. Importing this package does not import
torch (only :func:`to_tensors` and a tensor given to :func:`normalization` do).
"""
from __future__ import annotations

from typing import Any

from .files import DataFileError, cache_dir, locate, search_dirs
from .registry import DATASETS, DataSet, catalog
from .sets import (  # one loader per line: a new data set adds its line here and in __all__
    CharacterSet,
    ImageSet,
    TextSet,
    TranslationSet,
    load_adult,
    load_characters,
    load_chinese_reviews,
    load_fashion_mnist,
    load_mnist,
    load_mnist_m,
    load_movie_reviews,
    load_numbers_en_zh,
    load_pm25,
)
from .splits import normalization, to_tensors, train_val_split

__all__ = [
    "load",
    "load_pm25",
    "load_adult",
    "load_mnist",
    "load_fashion_mnist",
    "load_movie_reviews",
    "load_chinese_reviews",
    "load_numbers_en_zh",
    "load_characters",
    "load_mnist_m",
    "ImageSet",
    "TextSet",
    "TranslationSet",
    "CharacterSet",
    "catalog", "DATASETS", "DataSet", "DataFileError", "locate", "search_dirs", "cache_dir",
    "train_val_split", "to_tensors", "normalization",
]


def load(name: str, **kwargs: Any) -> Any:
    """Load a data set by name (``"pm25"``, ``"adult"``, ``"mnist"``, ... : the names in :data:`DATASETS`).

    Introduced in {ref}`sec-regression-data`. Same as calling its named loader (``load("mnist")`` is
    ``load_mnist()``: every registered data set ``name`` has a loader ``load_<name>`` in this package); an
    unknown name is an error that lists the known ones.
    """
    if not isinstance(name, str) or name not in DATASETS:
        known = ", ".join(DATASETS)
        raise KeyError(f"unknown data set {name!r}; known data sets: {known} (see mlbook.data.catalog())")
    return globals()[f"load_{name}"](**kwargs)
