"""Fixtures for the checks of the built site (`make site-check`, after `make book`)."""
from __future__ import annotations

import functools
import http.server
import threading
from pathlib import Path

import pytest
import yaml

from booktools.paths import HTML, ROOT


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]


def chapter_files() -> list[str]:
    """The executable chapters (notebooks), in book order."""
    from booktools.paths import is_chapter_notebook

    return [f for f in toc_files() if is_chapter_notebook(ROOT / f"{f}.md")]


@pytest.fixture(scope="session")
def html() -> Path:
    if not (HTML / "index.html").exists():
        pytest.fail(f"no built site in {HTML}: run `make book` (or `make test`, which builds it) first")
    return HTML


@pytest.fixture(scope="session")
def site_url(html):
    """The built site served on 127.0.0.1 (an ephemeral port), for the browser and fetch tests."""
    handler = functools.partial(QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
