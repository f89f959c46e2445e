"""The book's data sets: what each is, where it comes from, and the files (with SHA-256) it is made of.

Introduced in {ref}`sec-regression-data`. The descriptions live here; the sizes and digests of the files live
in ``manifest.json`` next to this module, written by ``data/prepare.py`` when a file is (re)made.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class DataSet:
    """One data set of the book: its files in ``data/``, what it holds, its origin and licence."""

    name: str
    title: str
    description: str
    size: str  # what the data set holds, in the reader's units (rows, images)
    files: tuple[str, ...]
    licence: str
    source: str  # the original authors; the BibTeX key in references.bib is `cite`
    cite: str
    section: str  # label of the section that introduces it


DATASETS: dict[str, DataSet] = {
    d.name: d
    for d in [
        DataSet(
            name="pm25",
            title="Beijing PM2.5 (UCI PRSA)",
            description="Hourly PM2.5 at the US Embassy in Beijing with weather: dew point, temperature, "
            "pressure, wind direction and cumulated speed, cumulated hours of snow and rain; NaN where missing.",
            size="43,824 hours (2010-01-01 00:00 to 2014-12-31 23:00), 2,067 missing PM2.5",
            files=("pm25.csv.gz",),
            licence="CC BY 4.0",
            source="Liang et al. (2015), UCI Machine Learning Repository",
            cite="liang2015pm25",
            section="sec-regression-data",
        ),
        DataSet(
            name="adult",
            title="Adult / Census Income (UCI)",
            description="1994 US census records: 14 attributes; label income 1 for '>50K'; '?' as missing.",
            size="32,561 train + 16,281 test rows",
            files=("adult_train.csv.gz", "adult_test.csv.gz"),
            licence="CC BY 4.0",
            source="Kohavi (1996); Becker & Kohavi, UCI Machine Learning Repository",
            cite="kohavi1996adult",
            section="sec-classification-data",
        ),
        DataSet(
            name="mnist",
            title="MNIST handwritten digits",
            description="28x28 grey-level images of the digits 0-9, official train/test split.",
            size="60,000 train + 10,000 test images",
            files=("mnist.npz",),
            licence="CC BY-SA 3.0",
            source="LeCun, Bottou, Bengio & Haffner (1998)",
            cite="lecun1998mnist",
            section="sec-cnn-data",
        ),
        DataSet(
            name="fashion_mnist",
            title="Fashion-MNIST",
            description="28x28 grey-level images of Zalando articles in 10 classes (T-shirt/top ... Ankle boot).",
            size="60,000 train + 10,000 test images",
            files=("fashion_mnist.npz",),
            licence="MIT",
            source="Xiao, Rasul & Vollgraf (2017)",
            cite="xiao2017fashion",
            section="sec-cnn-data",
        ),
    ]
}


def get(name: str) -> DataSet:
    """The registry entry of data set ``name``; an unknown name is an error that lists the known ones."""
    if not isinstance(name, str):
        raise TypeError(f"a data set name must be a str; got {type(name).__name__} {name!r}")
    try:
        return DATASETS[name]
    except KeyError:
        raise KeyError(f"unknown data set {name!r}; known data sets: {', '.join(DATASETS)}") from None


@lru_cache(maxsize=1)
def manifest() -> dict[str, dict[str, Any]]:
    """``{file name: {"sha256": ..., "size": bytes}}`` for every data file, from the package's manifest.json."""
    text = resources.files(__package__).joinpath("manifest.json").read_text(encoding="utf-8")
    return json.loads(text)["files"]


def entry(filename: str) -> dict[str, Any]:
    """The manifest entry (``sha256``, ``size``) of one data file."""
    files = manifest()
    if filename not in files:
        raise KeyError(f"{filename!r} is not in mlbook/data/manifest.json; known files: {', '.join(files)}")
    return files[filename]


def catalog(show: bool = True):
    """Print and return the table of the book's data sets: name, what it holds, size, licence, source.

    Introduced in {ref}`sec-regression-data`. Returns a ``pandas.DataFrame`` indexed by data set name.
    """
    import pandas as pd

    rows = []
    for d in DATASETS.values():
        nbytes = sum(entry(f)["size"] for f in d.files)
        rows.append({"name": d.name, "title": d.title, "holds": d.size, "files": ", ".join(d.files),
                     "MiB": round(nbytes / 2**20, 2), "licence": d.licence, "source": d.source})
    table = pd.DataFrame(rows).set_index("name")
    if show:
        with pd.option_context("display.max_colwidth", 80, "display.width", 200):
            print(table.to_string())
    return table
