"""Fixtures for the checks of the built site (`make site-check`, after `make book`)."""
from __future__ import annotations

from pathlib import Path

import pytest

from booktools.paths import HTML


@pytest.fixture(scope="session")
def html() -> Path:
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built site in {HTML}: run `make book` (or `make test`, which builds it) first")
    return HTML


@pytest.fixture(scope="session")
def site_url(html, serve):
    """The built site served on 127.0.0.1, for the browser tests (`serve` comes from tests/conftest.py)."""
    with serve(html) as url:
        yield url.rstrip("/")
