"""Serialised JSON kept per database and data version, so unchanged answers are not rebuilt.

Two levels: whole responses keyed by their query, and each crime's JSON object keyed by its
id (so a new query over crimes already served only joins bytes). Both belong to one data
version of one database (``watchhouse.crimes.query.data_version``); when the version moves,
everything built from the old one is dropped.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

from sqlalchemy import Engine

MAX_RESPONSES = 512
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
MAX_FRAGMENTS = 250_000


class VersionedCache:
    def __init__(self) -> None:
        self.version: int | None = None
        self.responses: OrderedDict[Hashable, bytes] = OrderedDict()
        self.response_bytes = 0
        self.fragments: dict[int, bytes] = {}
        self.lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def _align(self, version: int) -> bool:
        """Move to ``version``; False when it is older than the one held (a request that read
        the version just before a load committed), which must neither read nor fill the cache."""
        if self.version is not None and version < self.version:
            return False
        if version != self.version:
            self.version = version
            self.responses.clear()
            self.response_bytes = 0
            self.fragments.clear()
        return True

    def response(self, version: int, key: Hashable, build: Callable[[], bytes]) -> bytes:
        """The cached response for ``key`` at ``version``, building (and keeping) it when absent.

        ``build`` runs outside the lock; two concurrent misses may both build, which is
        harmless and keeps a slow build from blocking every other request.
        """
        with self.lock:
            if not self._align(version):
                return build()
            body = self.responses.get(key)
            if body is not None:
                self.responses.move_to_end(key)
                self.hits += 1
                return body
            self.misses += 1
        body = build()
        with self.lock:
            if self.version == version and key not in self.responses:
                self.responses[key] = body
                self.response_bytes += len(body)
                while len(self.responses) > MAX_RESPONSES or self.response_bytes > MAX_RESPONSE_BYTES:
                    _, dropped = self.responses.popitem(last=False)
                    self.response_bytes -= len(dropped)
        return body

    def fragments_for(
        self, version: int, ids: Sequence[int], build: Callable[[list[int]], dict[int, bytes]]
    ) -> list[bytes]:
        """Each id's serialised object, building only those not yet cached at ``version``."""
        with self.lock:
            if not self._align(version):
                built = build(list(ids))
                return [built[i] for i in ids if i in built]
            known = self.fragments
            missing = [i for i in ids if i not in known]
            found = {i: known[i] for i in ids if i in known}
        if missing:
            built = build(missing)
            found.update(built)
            with self.lock:
                if self.version == version and len(self.fragments) + len(built) <= MAX_FRAGMENTS:
                    self.fragments.update(built)
        return [found[i] for i in ids if i in found]


_caches: weakref.WeakKeyDictionary[Engine, VersionedCache] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def cache_for(engine: Engine) -> VersionedCache:
    with _caches_lock:
        cache = _caches.get(engine)
        if cache is None:
            cache = _caches[engine] = VersionedCache()
        return cache


# gzip of recently served bodies, keyed by the body itself: a cached answer's bytes object is
# the same on every hit, and bytes cache their hash, so a hit costs one identity comparison.
# Profiling the server showed sending the 620 KB Leeds answer as the largest cost per request.
MIN_GZIP_BYTES = 1400
MAX_GZIPPED = 256
_gzipped: OrderedDict[bytes, bytes] = OrderedDict()
_gzipped_lock = threading.Lock()


def gzipped(body: bytes) -> bytes:
    """``body`` gzip-compressed (level 1: JSON shrinks about tenfold even so), remembered."""
    import gzip

    with _gzipped_lock:
        packed = _gzipped.get(body)
        if packed is not None:
            _gzipped.move_to_end(body)
            return packed
    packed = gzip.compress(body, compresslevel=1, mtime=0)
    with _gzipped_lock:
        _gzipped[body] = packed
        while len(_gzipped) > MAX_GZIPPED:
            _gzipped.popitem(last=False)
    return packed
