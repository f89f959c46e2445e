"""Fixtures for the checks of the built site (`make site-check`, after `make book`)."""
from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from pathlib import Path

import pytest

from booktools.paths import HTML


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def serving(directory: Path):
    """Serve `directory` over HTTP on 127.0.0.1 (an ephemeral port) in a thread; yield the base URL."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(directory)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def serve():
    return serving


@pytest.fixture(scope="session")
def html() -> Path:
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built site in {HTML}: run `make book` (or `make test`, which builds it) first")
    return HTML


@pytest.fixture(scope="session")
def site_url(html):
    """The built site served on 127.0.0.1, for the browser tests."""
    with serving(html) as url:
        yield url
