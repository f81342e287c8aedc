"""WATCHHOUSE_REQUEST_THREADS: how many requests one server process works on at once."""

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

from watchhouse.config import request_threads
from watchhouse.web.app import create_app


def test_defaults_to_two_and_refuses_nonsense(monkeypatch):
    monkeypatch.delenv("WATCHHOUSE_REQUEST_THREADS", raising=False)
    assert request_threads() == 2
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv("WATCHHOUSE_REQUEST_THREADS", bad)
        with pytest.raises(ValueError, match="WATCHHOUSE_REQUEST_THREADS"):
            request_threads()


def test_a_bad_setting_stops_the_server_before_it_listens(monkeypatch, database_url):
    monkeypatch.setenv("WATCHHOUSE_REQUEST_THREADS", "0")
    with pytest.raises(ValueError):
        create_app(database_url)


def test_the_running_server_uses_the_setting(monkeypatch, database_url):
    monkeypatch.setenv("WATCHHOUSE_REQUEST_THREADS", "3")
    app = create_app(database_url)
    seen = []

    @app.get("/test-threads")
    async def threads():
        seen.append(anyio.to_thread.current_default_thread_limiter().total_tokens)
        return {}

    with TestClient(app) as client:
        assert client.get("/test-threads").status_code == 200
    assert seen == [3]
