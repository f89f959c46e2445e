"""Shared set-up for the unit tests.

One thread for torch and the BLAS libraries, set before anything imports them: the tests run on small tensors,
where threads cost more than they save (the determinism test took 8-11 s with the default threads and 0.14 s
with one, on a busy 2-core machine), and one thread also makes floating-point reductions repeatable.
"""
from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import pytest  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(1)
if torch.get_num_interop_threads() != 1:
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # already set once in this process (e.g. by a plugin): keep going
        pass


@pytest.fixture(scope="session")
def serve():
    """`with serve(folder) as url:` a loopback HTTP server for `folder` (no test reaches any other address).

    The same server the Colab-like run and the PDF use (booktools.loopback); its URL ends with "/"."""
    from booktools.loopback import serve as serving

    return serving


@pytest.fixture
def offline_data(monkeypatch, tmp_path):
    """Data only from the checkout: an empty user cache and a data URL nothing listens on (127.0.0.1 port 9)."""
    monkeypatch.delenv("MLBOOK_DATA", raising=False)
    monkeypatch.setenv("MLBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MLBOOK_DATA_URL", "http://127.0.0.1:9/")
    return tmp_path / "cache"

