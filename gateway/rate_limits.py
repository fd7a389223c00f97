"""Per-key limits: a token bucket for call rate and a cap on open streams."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from services.runtime.errors import QuotaViolation, ResourceExhausted


@dataclass
class _Bucket:
    tokens: float
    updated: float = field(default_factory=time.monotonic)


class RateLimiter:
    """``rate`` calls per second per key with bursts up to ``burst``. A call
    over the rate waits for its token when that is at most ``max_wait``
    seconds away (a burst is smoothed to the rate instead of being answered
    with errors that the caller resends at once, each costing the gateway as
    much as a call); otherwise it is refused with RESOURCE_EXHAUSTED and the
    delay after which it would fit (RetryInfo)."""

    def __init__(self, rate: float, burst: float, max_streams: int, max_wait: float = 0.0) -> None:
        self._rate = rate
        self._burst = burst
        self._max_streams = max_streams
        self._max_wait = max_wait
        self._buckets: dict[str, _Bucket] = {}
        self._streams: dict[str, int] = {}

    def take(self, key_id: str, may_wait: float | None = None) -> float:
        """Takes a token for one call of ``key_id``; returns how many seconds
        the call must wait before it goes on (0.0 when a token was free).
        ``may_wait`` lowers the wait allowed (the call's remaining deadline)."""
        if self._rate <= 0:
            return 0.0
        now = time.monotonic()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        wait = max(0.0, (1.0 - bucket.tokens) / self._rate)
        allowed = self._max_wait if may_wait is None else min(self._max_wait, may_wait)
        if wait > allowed:
            raise ResourceExhausted(
                f"rate limit of {self._rate:g} calls/s exceeded for this API key",
                reason="RATE_LIMITED",
                metadata={"key_id": key_id},
                quota_violations=[QuotaViolation(f"api_key:{key_id}", "calls per second")],
                # After this delay the call would be let through (waiting at most max_wait).
                retry_delay_seconds=wait - self._max_wait if wait > self._max_wait else wait,
            )
        bucket.tokens -= 1.0
        return wait

    def open_stream(self, key_id: str) -> None:
        open_now = self._streams.get(key_id, 0)
        if self._max_streams > 0 and open_now >= self._max_streams:
            raise ResourceExhausted(
                f"at most {self._max_streams} streams may be open at once per API key",
                reason="TOO_MANY_STREAMS",
                metadata={"key_id": key_id},
                quota_violations=[QuotaViolation(f"api_key:{key_id}", "concurrent streams")],
                retry_delay_seconds=1.0,
            )
        self._streams[key_id] = open_now + 1

    def close_stream(self, key_id: str) -> None:
        remaining = self._streams.get(key_id, 1) - 1
        if remaining <= 0:
            self._streams.pop(key_id, None)
        else:
            self._streams[key_id] = remaining
