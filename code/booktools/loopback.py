"""A folder served over HTTP on 127.0.0.1, for the tools and tests that must not reach any other address.

The Colab-like run fetches `data/` from it (booktools.colab), the PDF is printed from the single page served by it
(booktools.pdf), and the browser tests read the built site through it (tests/conftest.py).
"""
from __future__ import annotations

import contextlib
import functools
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep the callers' output clean
        pass


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve `folder` on 127.0.0.1 (an ephemeral port) in a thread; yield the base URL, ending with "/"."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        server.server_close()
