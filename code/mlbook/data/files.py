"""Finding a data file, checking its SHA-256, and fetching it into a user cache when it is nowhere local.

Introduced in {ref}`sec-regression-data`. Where a file is looked for, in order:

1. the directory named by ``$MLBOOK_DATA``;
2. the checkout's ``data/`` (when the package runs from a clone, e.g. an editable install);
3. the user cache: ``$MLBOOK_CACHE``, else ``$XDG_CACHE_HOME/mlbook``, else ``~/.cache/mlbook``.

Only if it is in none of them is it downloaded (urllib, with a timeout) from the repository's published copy
(see :func:`base_url`: ``$MLBOOK_DATA_URL``, which a generated notebook's first cell sets to the commit it installs
mlbook from; else the commit pip installed mlbook from; else ``main``) into the cache: through a temporary
file in the same directory, verified, then ``os.replace``-d into place, so a partial or unverified file never
sits under the final name, even if the process is killed mid-download.
"""
from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import time
import urllib.error
import urllib.request
import warnings
from pathlib import Path

from . import registry

REPOSITORY = "https://github.com/executable-ml/ml2020-book"
DEFAULT_URL = "https://raw.githubusercontent.com/executable-ml/ml2020-book/{ref}/data/"
FALLBACK_REF = "main"  # when nothing says which commit this copy of mlbook came from
TIMEOUT_S = 60.0  # per socket operation, not for the whole download
_CHUNK = 1 << 20
_PART_SUFFIX = ".part"

# SHA-256 of files already hashed in this process, keyed on (path, size, mtime), so that a chapter that loads
# the same data set several times hashes it once; a file rewritten in place changes size or mtime.
_DIGESTS: dict[tuple[str, int, int], str] = {}


class DataFileError(RuntimeError):
    """A data file is missing, does not match the manifest, or could not be fetched."""


def checkout_data_dir() -> Path | None:
    """The ``data/`` directory of the checkout this package runs from (code/mlbook/data -> repo/data), if any."""
    here = Path(__file__).resolve().parent  # .../code/mlbook/data
    if here.parents[1].name != "code":
        return None
    candidate = here.parents[2] / "data"
    return candidate if candidate.is_dir() else None


def cache_dir() -> Path:
    """Where fetched files are kept: ``$MLBOOK_CACHE``, ``$XDG_CACHE_HOME/mlbook`` or ``~/.cache/mlbook``."""
    if os.environ.get("MLBOOK_CACHE"):
        return Path(os.environ["MLBOOK_CACHE"]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "mlbook"


def search_dirs() -> list[Path]:
    """The directories searched for data files, in order (see the module docstring)."""
    dirs = []
    if os.environ.get("MLBOOK_DATA"):
        dirs.append(Path(os.environ["MLBOOK_DATA"]).expanduser())
    checkout = checkout_data_dir()
    if checkout is not None:
        dirs.append(checkout)
    dirs.append(cache_dir())
    return dirs


def installed_ref() -> str | None:
    """The commit this mlbook was installed from, when pip installed it from git (``pip install git+...@<ref>``).

    pip records it in the installed distribution's ``direct_url.json`` (PEP 610, ``vcs_info.commit_id``)."""
    import json
    from importlib.metadata import PackageNotFoundError, distribution

    try:
        text = distribution("mlbook").read_text("direct_url.json")
    except (PackageNotFoundError, OSError):
        return None
    try:
        vcs = json.loads(text or "{}").get("vcs_info", {})
    except (ValueError, AttributeError):
        return None
    commit = vcs.get("commit_id") if isinstance(vcs, dict) and vcs.get("vcs") == "git" else None
    return commit if isinstance(commit, str) and commit.isalnum() else None


def base_url() -> str:
    """The URL data files are fetched from: ``$MLBOOK_DATA_URL`` if set (a generated notebook's first cell sets it
    to the commit it installs mlbook from), else the repository's copy at the commit pip installed mlbook from
    (:func:`installed_ref`), else at ``main``. The manifest check catches a copy that does not match this mlbook."""
    url = os.environ.get("MLBOOK_DATA_URL")
    if not url:
        url = DEFAULT_URL.format(ref=installed_ref() or FALLBACK_REF)
    return url if url.endswith("/") else url + "/"


def sha256(path: Path) -> str:
    """SHA-256 of a file, remembered per process for an unchanged (path, size, mtime)."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(_CHUNK), b""):
                h.update(block)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


def _remedy(filename: str) -> str:
    return (f"Delete it and run again to fetch a fresh copy (from {base_url()}{filename}), or place a good copy "
            f"by hand in a directory named by $MLBOOK_DATA (the checkout's data/ holds one).")


def verify(path: Path, filename: str | None = None) -> Path:
    """Check ``path`` against the manifest entry of ``filename`` (default: its own name); return it if it matches.

    A missing, truncated or altered file raises :class:`DataFileError` naming the file, the expected and the
    actual SHA-256, and what to do.
    """
    filename = filename or path.name
    want = registry.entry(filename)
    if not path.is_file():
        raise DataFileError(f"data file {path} does not exist (expected SHA-256 {want['sha256']}). "
                            + _remedy(filename))
    got = sha256(path)
    if got != want["sha256"]:
        size = path.stat().st_size
        what = (f"truncated ({size:,} of {want['size']:,} bytes)" if size < want["size"]
                else f"altered ({size:,} bytes, expected {want['size']:,})" if size != want["size"]
                else "altered (same size, different content)")
        raise DataFileError(f"data file {path} is {what}: SHA-256 {got}, expected {want['sha256']}. "
                            + _remedy(filename))
    return path


def locate(filename: str, *, download: bool = True) -> Path:
    """The verified path of data file ``filename``: found locally (see module docstring) or fetched.

    A copy found in ``$MLBOOK_DATA`` or the checkout must match the manifest: a mismatch is an error, never
    skipped silently. A cached copy that does not match (e.g. left by another version) is fetched anew.
    """
    registry.entry(filename)  # an unknown file name fails here, before any I/O
    cache = cache_dir()
    for d in search_dirs():
        path = d / filename
        if not path.exists():
            continue
        if d == cache:
            try:
                return verify(path, filename)
            except DataFileError as err:
                if not download:
                    raise
                warnings.warn(f"{err} Fetching it again.", stacklevel=2)
                break
        return verify(path, filename)
    if not download:
        raise DataFileError(f"data file {filename} is not in any of {[str(d) for d in search_dirs()]}; "
                            f"set $MLBOOK_DATA to a directory that holds it.")
    return fetch(filename, cache)


def _clean_stale_parts(directory: Path, filename: str, older_than_s: float = 24 * 3600) -> None:
    """Remove temporary files of earlier downloads of ``filename`` that were killed (a day old or more)."""
    now = time.time()
    for p in directory.glob(f".{filename}.*{_PART_SUFFIX}"):
        try:
            if now - p.stat().st_mtime > older_than_s:
                p.unlink()
        except OSError:
            pass


def fetch(filename: str, directory: Path | None = None, *, timeout: float | None = None) -> Path:
    """Download ``filename`` from :func:`base_url` into ``directory`` (default the cache), verified and atomic.

    ``timeout`` (seconds per socket operation) defaults to ``TIMEOUT_S``.
    """
    timeout = TIMEOUT_S if timeout is None else timeout
    want = registry.entry(filename)
    directory = Path(directory) if directory is not None else cache_dir()
    directory.mkdir(parents=True, exist_ok=True)
    _clean_stale_parts(directory, filename)
    url = base_url() + filename
    final = directory / filename
    fd, tmp_name = tempfile.mkstemp(prefix=f".{filename}.", suffix=_PART_SUFFIX, dir=directory)
    tmp = Path(tmp_name)
    try:
        h, n = hashlib.sha256(), 0
        with os.fdopen(fd, "wb") as out:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                for block in iter(lambda: response.read(_CHUNK), b""):
                    h.update(block)
                    out.write(block)
                    n += len(block)
                announced = response.headers.get("Content-Length")
                if announced is not None and n != int(announced):
                    raise ConnectionError(f"the connection closed after {n:,} of {int(announced):,} bytes")
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != want["sha256"]:
            raise DataFileError(
                f"downloaded {url} into {directory} but it does not match the manifest: {n:,} bytes, "
                f"SHA-256 {h.hexdigest()}, expected {want['size']:,} bytes, SHA-256 {want['sha256']}. The file was "
                f"not kept. Check $MLBOOK_DATA_URL / the network, or place a good copy by hand in a directory "
                f"named by $MLBOOK_DATA.")
        os.replace(tmp, final)
    except DataFileError:
        raise
    # HTTPError is a URLError; timeouts and resets are OSError; a short body is http.client.IncompleteRead.
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as err:
        raise DataFileError(
            f"could not fetch data file {filename} from {url}: {err}. If you are offline, download it elsewhere "
            f"(from {url} or the repository {REPOSITORY}, folder data/) and put it in {directory} or in a "
            f"directory named by $MLBOOK_DATA; $MLBOOK_DATA_URL sets another source.") from err
    finally:
        if tmp.exists():
            tmp.unlink()
    return verify(final, filename)
