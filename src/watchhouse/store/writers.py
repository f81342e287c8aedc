"""Writers to one SQLite file take turns in the kernel, not in SQLite's busy handler.

SQLite lets one connection write at a time. A connection that finds the file locked polls it,
sleeping 1, 2, 5, ... up to 100 ms between tries, and a newcomer can take the lock between two
polls: under ten concurrent clients, each request appending its audit entry, a few requests
waited half a second while others came and went. Here a connection about to write first takes
an exclusive ``flock`` on ``<database>-writers``; waiters sleep in the kernel and one wakes as
soon as the lock is let go, at the transaction's commit or rollback. Reads never wait for it.

SQLite's own lock stays the authority (and its busy timeout the fallback for any writer that
does not come through here); this only decides who asks for it next. A writer waits for its
turn no longer than SQLite's busy timeout: behind a long write (``watchhouse link`` rebuilding
the index) it then goes on to SQLite's own lock, and fails there as it always did.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time

from sqlalchemy import Engine, event

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER", "BEGIN")
_FD, _HELD = "watchhouse_writers_fd", "watchhouse_writers_held"  # keys of a pooled connection's info
_holders: dict[int, int] = {}  # thread id -> writer locks it holds (a pool may release from elsewhere)
_holders_lock = threading.Lock()
TURN_TIMEOUT = 10.0  # seconds, as the store's PRAGMA busy_timeout
_POLL = 0.0005  # a waiter looks again every half millisecond: no growing back-off, so no starving


def _lock_path(database: str) -> str:
    return f"{database}-writers"


def queue_writers(engine: Engine, database: str) -> None:
    """Make every connection of ``engine`` take the file's writer lock before its first write."""
    path = _lock_path(database)

    @event.listens_for(engine, "connect")
    def _open(dbapi_connection, record) -> None:
        record.info[_FD] = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)

    @event.listens_for(engine, "close")
    def _close(dbapi_connection, record) -> None:
        _release(record.info)
        fd = record.info.pop(_FD, None)
        if fd is not None:
            os.close(fd)

    @event.listens_for(engine, "before_cursor_execute")
    def _before(connection, cursor, statement, parameters, context, executemany) -> None:
        info = connection.connection.info
        if _HELD in info or _FD not in info or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return
        me = threading.get_ident()
        if _holders.get(me):
            # This thread already writes through another connection: waiting on itself would
            # never end, so this one is left to SQLite's busy handler as before.
            return
        if not _take_turn(info[_FD]):
            return  # waited long enough: SQLite's busy handler decides from here
        with _holders_lock:
            info[_HELD] = me
            _holders[me] = _holders.get(me, 0) + 1

    def _done(connection) -> None:
        # Let go as the commit (or rollback) is issued: the next writer may find SQLite's lock
        # still held for the few microseconds that takes, and retries after a millisecond. An
        # invalidated connection has no DBAPI connection to ask; its close lets go instead.
        if connection.invalidated or connection.closed:
            return
        _release(connection.connection.info)

    event.listen(engine, "commit", _done)
    event.listen(engine, "rollback", _done)

    @event.listens_for(engine, "checkin")
    def _checkin(dbapi_connection, record) -> None:
        _release(record.info)


def _take_turn(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        pass
    deadline = time.monotonic() + TURN_TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(_POLL)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except BlockingIOError:
            continue
    return False


def _release(info: dict) -> None:
    with _holders_lock:
        holder = info.pop(_HELD, None)
        if holder is None:
            return
        _holders[holder] -= 1
        if not _holders[holder]:
            del _holders[holder]
    fcntl.flock(info[_FD], fcntl.LOCK_UN)
