"""The fetch path against a real HTTP server on 127.0.0.1 (port 0): success, corrupt bytes, a dropped
connection, a 404, a refused connection. After a failure the cache holds nothing under the final name and
no temporary file. No test touches any other address."""
from __future__ import annotations

import http.server
import os
import socket
import threading
import time

import pytest

import mlbook.data as data
from mlbook.data import files, registry

NAME = "adult_test.csv.gz"  # the failure modes are tested on this (small) file
ALL_FILES = sorted(registry.manifest())  # a successful fetch is tested for every data file
CHECKOUT = files.checkout_data_dir()  # read before any test pretends there is no checkout


class _Handler(http.server.BaseHTTPRequestHandler):
    mode = "ok"  # set per test on the server class
    requests: list[str] = []

    def log_message(self, *args):  # keep pytest output clean
        pass

    def do_GET(self):  # noqa: N802 (http.server's name)
        self.requests.append(self.path)
        name = self.path.rsplit("/", 1)[-1]
        if self.mode == "404" or not self.path.startswith("/v0/data/") or name not in registry.manifest():
            self.send_error(404, "Not Found")
            return
        body = (CHECKOUT / name).read_bytes()  # the published copy: the checkout's file
        if self.mode == "corrupt":
            body = bytearray(body)
            body[100] ^= 0xFF
            body = bytes(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))  # the full size, also when dropping
        self.end_headers()
        if self.mode == "drop":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(body)


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A local server for the data files; MLBOOK_DATA_URL points at it, the cache is empty, no checkout."""
    handler = type("Handler", (_Handler,), {"requests": []})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    monkeypatch.delenv("MLBOOK_DATA", raising=False)
    monkeypatch.setattr(files, "checkout_data_dir", lambda: None)  # as outside a checkout (Colab, a wheel)
    monkeypatch.setenv("MLBOOK_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("MLBOOK_DATA_URL", f"http://127.0.0.1:{httpd.server_address[1]}/v0/data")
    monkeypatch.setattr(files, "TIMEOUT_S", 10.0)
    yield handler
    httpd.shutdown()
    httpd.server_close()


def _cache_listing(tmp_path):
    cache = tmp_path / "cache"
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


@pytest.mark.parametrize("name", ALL_FILES)
def test_fetch_into_empty_cache(server, tmp_path, name):
    path = data.locate(name)
    assert path == tmp_path / "cache" / name
    assert files.sha256(path) == registry.entry(name)["sha256"]
    assert server.requests == ["/v0/data/" + name]
    assert _cache_listing(tmp_path) == [name]
    # Second time: found in the cache, not fetched again.
    assert data.locate(name) == path and len(server.requests) == 1


@pytest.mark.parametrize("mode,message", [
    ("corrupt", "does not match the manifest"),
    ("drop", "could not fetch"),
    ("404", "404"),
])
def test_failed_fetch_leaves_nothing(server, tmp_path, mode, message):
    server.mode = mode
    with pytest.raises(data.DataFileError, match=message) as err:
        data.locate(NAME)
    msg = str(err.value)
    assert NAME in msg and "MLBOOK_DATA" in msg, msg
    if mode != "corrupt":
        assert "127.0.0.1" in msg, msg  # the URL is named
    assert _cache_listing(tmp_path) == [], _cache_listing(tmp_path)
    # The server recovers: the next call succeeds and leaves exactly the verified file.
    server.mode = "ok"
    assert data.locate(NAME) == tmp_path / "cache" / NAME
    assert _cache_listing(tmp_path) == [NAME]


def test_refused_connection_says_how_to_place_the_file(monkeypatch, tmp_path):
    monkeypatch.delenv("MLBOOK_DATA", raising=False)
    monkeypatch.setattr(files, "checkout_data_dir", lambda: None)
    monkeypatch.setenv("MLBOOK_CACHE", str(tmp_path / "cache"))
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    monkeypatch.setenv("MLBOOK_DATA_URL", f"http://127.0.0.1:{port}/")
    with pytest.raises(data.DataFileError) as err:
        data.locate(NAME)
    msg = str(err.value)
    assert f"http://127.0.0.1:{port}/{NAME}" in msg and "offline" in msg and "MLBOOK_DATA" in msg, msg
    assert _cache_listing(tmp_path) == []


def test_bad_cached_copy_is_fetched_again(server, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / NAME).write_bytes(b"left over from another version")
    with pytest.warns(UserWarning, match="Fetching it again"):
        path = data.locate(NAME)
    assert files.sha256(path) == registry.entry(NAME)["sha256"]
    assert _cache_listing(tmp_path) == [NAME]


def test_stale_partial_downloads_are_removed(server, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    stale, fresh = cache / f".{NAME}.old.part", cache / f".{NAME}.now.part"
    for p in (stale, fresh):
        p.write_bytes(b"half a file from a killed run")
    old = time.time() - 2 * 24 * 3600
    os.utime(stale, (old, old))
    data.locate(NAME)
    # The day-old one is gone; a recent one may belong to a download running in another process.
    assert _cache_listing(tmp_path) == sorted([NAME, fresh.name])
