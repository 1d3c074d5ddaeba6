"""Per-client token buckets: a flood from one client gets 429, the others carry on.

Each client (its address; an IPv6 address counts by its /64, since one host commonly holds
a whole /64) has a bucket of ``burst`` tokens refilled at ``per_second``; a request takes
one token, or is refused with the time until the next token (``Retry-After``). Writes and
reads have separate buckets (writes cost verification and an fsync; reads are cheap).

Memory is bounded: at most ``max_clients`` buckets are kept, least recently seen evicted
first. An evicted client comes back with a full bucket, which only matters for a flood
spread over more than ``max_clients`` addresses; that is a job for a firewall, not here.
"""

from __future__ import annotations

import functools
import ipaddress
import time
from collections import OrderedDict
from collections.abc import Callable

from .config import RateLimit

__all__ = ["RateLimiter", "client_key"]


@functools.lru_cache(maxsize=4096)
def client_key(address: str | None) -> str:
    """The bucket key for a client address (IPv6 grouped by /64); remembered for the last
    4,096 addresses (parsing one costs more than the rest of a rate-limit check)."""
    if not address:
        return "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network((ip, 64), strict=False))
    return str(ip)


class RateLimiter:
    """Token buckets keyed by client. Not thread-safe: used from the event loop only."""

    def __init__(self, limit: RateLimit, *, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.limit = limit
        self.max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def acquire(self, client: str) -> float:
        """Take a token for ``client``: 0.0 when allowed, else the seconds to wait."""
        if not self.limit.enabled:
            return 0.0
        now = self._clock()
        rate, burst = self.limit.per_second, float(self.limit.burst)
        tokens, updated = self._buckets.pop(client, (burst, now))
        tokens = min(burst, tokens + (now - updated) * rate)
        if tokens >= 1.0:
            self._buckets[client] = (tokens - 1.0, now)
            wait = 0.0
        else:
            self._buckets[client] = (tokens, now)
            wait = (1.0 - tokens) / rate
        while len(self._buckets) > self.max_clients:
            self._buckets.popitem(last=False)
        return wait

    def __len__(self) -> int:
        return len(self._buckets)
