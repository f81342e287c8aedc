"""Serving in several processes, each with a listening socket of its own on the same port.

One Python process works on one core at a time (the interpreter lock), so a busy server runs
several. uvicorn's own ``--workers`` shares one listening socket between them, and whichever
process wakes first accepts every connection waiting: a burst of keep-alive clients can land
all on one process while the others idle (measured with 10 clients and 2 processes: all 10 on
one process in some runs, the server then at the speed of one). Here each process listens on
its own socket with SO_REUSEPORT, and the kernel spreads new connections over them by hash, as
they arrive rather than by which process happened to be awake.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import signal
import socket
import sys
import time


class ServeError(RuntimeError):
    """The server cannot start (address in use, no SO_REUSEPORT on this system)."""


def _tcp_socket(host: str) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return sock


def _check_address_free(host: str, port: int) -> None:
    """Refuse a port another server holds: a socket with SO_REUSEPORT would otherwise quietly
    share it with any earlier server of the same account, which would then get half the clients."""
    with _tcp_socket(host) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise ServeError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None


def listening_socket(host: str, port: int) -> socket.socket:
    sock = _tcp_socket(host)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _worker(database_url: str, host: str, port: int, options: dict) -> None:
    import uvicorn

    from watchhouse.web.app import create_app

    sock = listening_socket(host, port)
    # The parent migrated the database once; every process doing it at start-up would race.
    config = uvicorn.Config(create_app(database_url, migrate=False), **options)
    uvicorn.Server(config).run(sockets=[sock])


def serve_processes(database_url: str, host: str, port: int, workers: int, **options) -> int:
    """Serve with ``workers`` processes until interrupted; the exit status to return.

    A process that dies stops the others: a server half its size would keep answering, slower,
    with nothing to say why."""
    if not hasattr(socket, "SO_REUSEPORT"):
        raise ServeError("this system has no SO_REUSEPORT: serve with one process, or run several behind a proxy")
    _check_address_free(host, port)
    from watchhouse.store import get_engine
    from watchhouse.web.app import prepare_database

    engine = get_engine(database_url)
    prepare_database(engine)
    engine.dispose()  # the processes open their own connections
    # Tokens are signed with the secret key: every process must hold the same one, or a token
    # one process issued fails in the others. Without a configured key, one for this run.
    os.environ.setdefault("WATCHHOUSE_SECRET_KEY", secrets.token_hex(32))
    context = multiprocessing.get_context("spawn")
    processes = [context.Process(target=_worker, args=(database_url, host, port, {**options, "host": host, "port": port}),
                                 name=f"watchhouse-worker-{i}") for i in range(workers)]
    stopping = False

    def stop(signum, _frame) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for process in processes:
            process.start()
        while not stopping and all(process.is_alive() for process in processes):
            time.sleep(0.2)
        failed = [p for p in processes if not p.is_alive() and p.exitcode not in (0, None)]
        if failed and not stopping:
            print(f"watchhouse: {failed[0].name} exited with status {failed[0].exitcode}; stopping the others",
                  file=sys.stderr)
        return 1 if failed and not stopping else 0
    finally:
        for process in processes:
            if process.is_alive():
                process.terminate()
        for process in processes:
            process.join(timeout=15)
            if process.is_alive():
                process.kill()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
