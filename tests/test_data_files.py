"""The checksum check: a corrupted, truncated or missing copy fails clearly; the search order; the digest cache."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

import mlbook.data as data
from mlbook.data import files, registry

NAME = "adult_test.csv.gz"  # the smallest file: cheap to copy and hash
ALL_FILES = sorted(registry.manifest())  # every data file of the book: the corrupt-copy tests run on each


# No test here may fetch: an empty cache and a data URL nothing listens on (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("offline_data")


def _copy(tmp_path: Path, name: str = NAME) -> Path:
    d = tmp_path / "mine"
    d.mkdir()
    shutil.copy(files.checkout_data_dir() / name, d / name)
    return d / name


def _dataset_of(filename: str) -> str:
    (name,) = [d.name for d in registry.DATASETS.values() if filename in d.files]
    return name


def test_mlbook_data_dir_comes_first(monkeypatch, tmp_path):
    copy = _copy(tmp_path)
    monkeypatch.setenv("MLBOOK_DATA", str(copy.parent))
    assert files.search_dirs()[0] == copy.parent
    assert data.locate(NAME) == copy
    train, test = data.load_adult()
    assert len(test) == 16281


def test_corrupted_copy_fails_naming_file_and_digests(monkeypatch, tmp_path):
    copy = _copy(tmp_path)
    raw = bytearray(copy.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    copy.write_bytes(bytes(raw))
    monkeypatch.setenv("MLBOOK_DATA", str(copy.parent))
    want = registry.entry(NAME)["sha256"]
    with pytest.raises(data.DataFileError) as err:
        data.load_adult()
    msg = str(err.value)
    assert str(copy) in msg and want in msg and files.sha256(copy) in msg, msg
    assert "same size" in msg and "MLBOOK_DATA" in msg and "Delete it" in msg, msg


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_loader_refuses_a_corrupted_copy(monkeypatch, tmp_path, name):
    """One flipped byte in any data file: its data set's loader fails, naming the file and both digests."""
    copy = _copy(tmp_path, name)
    raw = bytearray(copy.read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    copy.write_bytes(bytes(raw))
    monkeypatch.setenv("MLBOOK_DATA", str(copy.parent))
    with pytest.raises(data.DataFileError, match="same size") as err:
        data.load(_dataset_of(name))
    msg = str(err.value)
    assert str(copy) in msg and registry.entry(name)["sha256"] in msg and files.sha256(copy) in msg, msg


@pytest.mark.parametrize("name", ALL_FILES)
def test_truncated_copy_fails(monkeypatch, tmp_path, name):
    copy = _copy(tmp_path, name)
    size = copy.stat().st_size
    with open(copy, "r+b") as f:
        f.truncate(size // 3)
    monkeypatch.setenv("MLBOOK_DATA", str(copy.parent))
    with pytest.raises(data.DataFileError, match=rf"truncated \({size // 3:,} of {size:,} bytes\)") as err:
        data.locate(name)
    assert registry.entry(name)["sha256"] in str(err.value)


def test_missing_file_fails_clearly(tmp_path):
    with pytest.raises(data.DataFileError, match="does not exist") as err:
        files.verify(tmp_path / NAME)
    assert registry.entry(NAME)["sha256"] in str(err.value) and "MLBOOK_DATA" in str(err.value)


def test_nowhere_and_no_download(monkeypatch):
    monkeypatch.setattr(files, "checkout_data_dir", lambda: None)
    with pytest.raises(data.DataFileError, match="is not in any of"):
        files.locate(NAME, download=False)


def test_unknown_file_name():
    with pytest.raises(KeyError, match="not in mlbook/data/manifest.json"):
        files.locate("cifar10.npz")


def test_digest_is_cached_per_path_size_and_mtime(tmp_path, monkeypatch):
    copy = _copy(tmp_path)
    files.verify(copy)
    st = copy.stat()
    assert (str(copy.resolve()), st.st_size, st.st_mtime_ns) in files._DIGESTS
    calls = []
    real = files.hashlib.sha256
    monkeypatch.setattr(files.hashlib, "sha256", lambda *a: calls.append(1) or real(*a))
    files.verify(copy)
    assert calls == [], "an unchanged file was hashed again"
    # Rewritten in place, same size: the new mtime makes it hash again, and the change is caught.
    raw = bytearray(copy.read_bytes())
    raw[0] ^= 0xFF
    copy.write_bytes(bytes(raw))
    os.utime(copy, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    with pytest.raises(data.DataFileError):
        files.verify(copy)
    assert calls == [1]


def test_cache_location_env(monkeypatch, tmp_path):
    monkeypatch.setenv("MLBOOK_CACHE", str(tmp_path / "c1"))
    assert files.cache_dir() == tmp_path / "c1"
    monkeypatch.delenv("MLBOOK_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert files.cache_dir() == tmp_path / "xdg" / "mlbook"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert files.cache_dir() == Path.home() / ".cache" / "mlbook"


def test_default_url_is_the_published_copy_of_the_installed_commit(monkeypatch):
    monkeypatch.delenv("MLBOOK_DATA_URL")
    monkeypatch.setattr(files, "installed_ref", lambda: "0123abc")  # pip installed mlbook from git at 0123abc
    assert files.base_url() == "https://raw.githubusercontent.com/executable-ml/ml2020-book/0123abc/data/"
    monkeypatch.setattr(files, "installed_ref", lambda: None)  # an editable install or a wheel: no commit known
    assert files.base_url() == "https://raw.githubusercontent.com/executable-ml/ml2020-book/main/data/"
    monkeypatch.setenv("MLBOOK_DATA_URL", "http://127.0.0.1:1/x")
    assert files.base_url() == "http://127.0.0.1:1/x/"


def test_manifest_covers_every_registered_file_and_matches_data_dir():
    manifest = registry.manifest()
    listed = {f for d in registry.DATASETS.values() for f in d.files}
    assert listed == set(manifest), (listed, set(manifest))
    checkout = files.checkout_data_dir()
    for name, entry in manifest.items():
        assert (checkout / name).stat().st_size == entry["size"], name
        files.verify(checkout / name)
    total = sum(p.stat().st_size for p in checkout.rglob("*") if p.is_file())
    assert total < 48 * 2**20, f"data/ is {total / 2**20:.1f} MiB; the book guide's limit is 48 MiB"
