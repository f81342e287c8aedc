"""``watchhouse serve --workers N``: several processes, a listening socket each, one port."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from watchhouse.store import get_engine, transaction, upgrade
from watchhouse.users import add_user

PASSWORD = "several processes password 1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def _listening_processes(pid: int, port: int) -> set[int]:
    """Processes under ``pid`` holding a listening socket on ``port`` (from /proc)."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(fields[9])
    holders = set()
    for child in _children(pid):
        for fd in Path(f"/proc/{child}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                holders.add(child)
    return holders


@pytest.fixture()
def served(tmp_path):
    url = f"sqlite:///{tmp_path / 'watchhouse.db'}"
    engine = get_engine(url)
    upgrade(engine)
    with transaction(engine) as connection:
        add_user(connection, "analyst", role="investigator", clearance="SECRET", password=PASSWORD)
    port = _free_port()
    environment = {key: value for key, value in os.environ.items() if key != "WATCHHOUSE_SECRET_KEY"}
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "watchhouse", "serve", "--db", url, "--port", str(port), "--workers", "2"],
        env={**environment, "WATCHHOUSE_RATE_LIMIT": "off"}, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while len(_listening_processes(server.pid, port)) < 2:
        assert server.poll() is None, (tmp_path / "server.log").read_text()
        assert time.monotonic() < deadline, "the processes did not listen within 90 s"
        time.sleep(0.2)
    try:
        yield server, port, url
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
        log.close()


def _token(port: int) -> str:
    body = urllib.parse.urlencode({"username": "analyst", "password": PASSWORD}).encode()
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/auth/token", data=body, timeout=30) as response:
        return json.loads(response.read())["access_token"]


def test_processes_each_listen_and_accept_each_others_tokens(served):
    server, port, _ = served
    assert len(_listening_processes(server.pid, port)) == 2
    token = _token(port)
    # Every request on a new connection: the kernel spreads them over both processes, and a
    # token one of them issued must be good in the other (one signing key for the run).
    for _ in range(20):
        request = urllib.request.Request(f"http://127.0.0.1:{port}/v1/people?q=smith",
                                         headers={"Authorization": f"Bearer {token}", "X-Watchhouse-Purpose": "TEST-1"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            assert json.loads(response.read()) == {"results": []}


def test_stopping_the_server_stops_every_process(served):
    server, port, _ = served
    workers = _listening_processes(server.pid, port)
    server.send_signal(signal.SIGTERM)
    assert server.wait(timeout=30) == 0
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_a_port_already_in_use_is_refused_with_a_message(served, tmp_path):
    _, port, url = served
    refused = subprocess.run(
        [sys.executable, "-m", "watchhouse", "serve", "--db", url, "--port", str(port), "--workers", "2"],
        capture_output=True, text=True, timeout=60)
    assert refused.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in refused.stderr


def test_a_dead_process_stops_the_server_with_an_error(served):
    server, port, _ = served
    victim = sorted(_listening_processes(server.pid, port))[0]
    os.kill(victim, signal.SIGKILL)
    assert server.wait(timeout=30) == 1
