"""Shared test set-up: small, seeded, and never touching the user's cache."""

import pytest


@pytest.fixture(autouse=True)
def isolated_data(tmp_path, monkeypatch):
    """Each test gets its own Keras cache and results file, and no network."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv("DLARCH_RESULTS", str(tmp_path / "results.jsonl"))
    monkeypatch.setenv("DLARCH_OFFLINE", "1")
    monkeypatch.delenv("DLARCH_DATA_MIRROR", raising=False)
    monkeypatch.delenv("TF_USE_LEGACY_KERAS", raising=False)
