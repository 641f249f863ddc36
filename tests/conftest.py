"""Shared test set-up: small, seeded, and never touching the user's cache."""

import functools
import http.server
import threading

import pytest


@pytest.fixture(autouse=True)
def isolated_data(tmp_path, monkeypatch):
    """Each test gets its own Keras cache and results file, and no network."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv("DLARCH_RESULTS", str(tmp_path / "results.jsonl"))
    monkeypatch.setenv("DLARCH_OFFLINE", "1")
    monkeypatch.delenv("DLARCH_DATA_MIRROR", raising=False)
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="session")
def serve_folder():
    """Start loopback HTTP servers over folders: ``serve_folder(path) -> base URL``."""
    servers = []

    def start(folder) -> str:
        handler = functools.partial(_QuietHandler, directory=str(folder))
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/"

    yield start
    for server in servers:
        server.shutdown()
