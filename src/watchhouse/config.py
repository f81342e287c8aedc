"""Settings read from the environment; every name here is a contract with operators."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite:///watchhouse.db"


def database_url() -> str:
    return os.environ.get("WATCHHOUSE_DATABASE_URL", DEFAULT_DATABASE_URL)


@dataclass(frozen=True)
class RateLimit:
    """Leaky bucket: `rate` requests/s sustained, bursts of `burst`."""

    rate: float
    burst: int
    enabled: bool = True


def rate_limit() -> RateLimit:
    """WATCHHOUSE_RATE_LIMIT: 'off', or 'RATE/BURST' (default 15/30, as data.police.uk)."""
    raw = os.environ.get("WATCHHOUSE_RATE_LIMIT", "15/30").strip().lower()
    if raw in {"off", "0", "false", "no"}:
        return RateLimit(rate=0, burst=0, enabled=False)
    rate, _, burst = raw.partition("/")
    return RateLimit(rate=float(rate), burst=int(burst or max(1, int(float(rate) * 2))))


def tile_url() -> str:
    """Map tiles are optional: empty means the map draws boundaries and points on a plain background."""
    return os.environ.get("WATCHHOUSE_TILE_URL", "")
