"""The book's data sets and the helpers between data and model. Introduced in {ref}`sec-regression-data`.

>>> import mlbook.data as data
>>> df = data.load_pm25()                     # hourly DataFrame, NaN where missing
>>> train, test = data.load_adult()           # original UCI train/test, income 0/1
>>> mnist = data.load_mnist()                 # .x_train (60000, 28, 28) uint8, .y_train int64, .classes
>>> data.catalog()                            # what there is, sizes, licences

Each file is checked against the SHA-256 in the package manifest before use; see :mod:`mlbook.data.files`
for where files are looked for and how a missing one is fetched. Importing this package does not import
torch (only :func:`to_tensors` and a tensor given to :func:`normalization` do).
"""
from __future__ import annotations

from typing import Any

from .files import DataFileError, cache_dir, locate, search_dirs
from .registry import DATASETS, DataSet, catalog
from .sets import ImageSet, load_adult, load_fashion_mnist, load_mnist, load_pm25
from .splits import normalization, to_tensors, train_val_split

__all__ = [
    "load", "load_pm25", "load_adult", "load_mnist", "load_fashion_mnist", "ImageSet",
    "catalog", "DATASETS", "DataSet", "DataFileError", "locate", "search_dirs", "cache_dir",
    "train_val_split", "to_tensors", "normalization",
]

_LOADERS = {
    "pm25": load_pm25,
    "adult": load_adult,
    "mnist": load_mnist,
    "fashion_mnist": load_fashion_mnist,
}


def load(name: str, **kwargs: Any) -> Any:
    """Load a data set by name (``"pm25"``, ``"adult"``, ``"mnist"``, ``"fashion_mnist"``).

    Introduced in {ref}`sec-regression-data`. Same as calling its named loader (``load("mnist")`` is
    ``load_mnist()``); an unknown name is an error that lists the known ones.
    """
    if name not in _LOADERS:
        known = ", ".join(DATASETS)
        raise KeyError(f"unknown data set {name!r}; known data sets: {known} (see mlbook.data.catalog())")
    return _LOADERS[name](**kwargs)
