"""Shared test set-up: small, seeded, and never touching the user's cache."""

import functools
import http.server
import threading

import keras
import pytest

TENSORFLOW_ONLY = "tensorflow_only"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        f"{TENSORFLOW_ONLY}(reason): the mechanism under test exists on the TensorFlow backend only; "
        "skipped, with the reason, on other Keras backends",
    )


def pytest_runtest_setup(item):
    """Skip ``@pytest.mark.tensorflow_only(reason)`` tests on other backends, naming the reason."""
    marker = item.get_closest_marker(TENSORFLOW_ONLY)
    if marker is None or keras.backend.backend() == "tensorflow":
        return
    reason = marker.kwargs.get("reason") or (marker.args[0] if marker.args else None)
    if not reason:
        raise pytest.UsageError(f"{item.nodeid}: tensorflow_only needs a reason")
    pytest.skip(f"TensorFlow only ({keras.backend.backend()} backend active): {reason}")


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
