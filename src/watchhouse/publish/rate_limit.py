"""The public API's leaky bucket, per client address, as data.police.uk runs it.

Each client has a bucket of capacity ``burst`` that drains at ``rate`` requests per second;
a request adds one. A request that would overflow the bucket is refused (HTTP 429) and adds
nothing, so a client that backs off is served again as soon as the bucket has drained
enough. With the default 15/30 a client may send 30 requests at once, then 15 a second.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from watchhouse.config import RateLimit


class LeakyBucketLimiter:
    def __init__(self, limit: RateLimit, clock: Callable[[], float] = time.monotonic) -> None:
        if limit.enabled and (limit.rate <= 0 or limit.burst < 1):
            raise ValueError(f"rate limit needs a positive rate and a burst of at least 1, got {limit}")
        self.limit = limit
        self.clock = clock
        self._levels: dict[str, tuple[float, float]] = {}  # client -> (level, at)
        self._last_sweep = clock()

    def retry_after(self, client: str) -> float | None:
        """Admit one request from ``client``: None when admitted, else seconds until it would be."""
        if not self.limit.enabled:
            return None
        now = self.clock()
        level, at = self._levels.get(client, (0.0, now))
        level = max(0.0, level - (now - at) * self.limit.rate)
        if level + 1 > self.limit.burst:
            self._levels[client] = (level, now)
            return (level + 1 - self.limit.burst) / self.limit.rate
        self._levels[client] = (level + 1, now)
        self._sweep(now)
        return None

    def _sweep(self, now: float) -> None:
        # Forget clients whose bucket has drained, so memory follows active clients only.
        if now - self._last_sweep < 60:
            return
        self._last_sweep = now
        drain_time = self.limit.burst / self.limit.rate
        for client, (_, at) in list(self._levels.items()):
            if now - at > drain_time:
                del self._levels[client]


def retry_after_header(seconds: float) -> str:
    return str(max(1, math.ceil(seconds)))
