"""Shared fixtures for the whole suite."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Each test's commands use a cache of loaded manifests of their own, never the user's."""
    monkeypatch.setenv("SIDECAR_LAB_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.delenv("SIDECAR_LAB_NO_CACHE", raising=False)
