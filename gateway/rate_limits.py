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
    """``rate`` calls per second per key with bursts up to ``burst``; a
    refused call gets RESOURCE_EXHAUSTED with the delay until a token is
    free (RetryInfo)."""

    def __init__(self, rate: float, burst: float, max_streams: int) -> None:
        self._rate = rate
        self._burst = burst
        self._max_streams = max_streams
        self._buckets: dict[str, _Bucket] = {}
        self._streams: dict[str, int] = {}

    def take(self, key_id: str) -> None:
        if self._rate <= 0:
            return
        now = time.monotonic()
        bucket = self._buckets.get(key_id)
        if bucket is None:
            bucket = self._buckets[key_id] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
        bucket.updated = now
        if bucket.tokens < 1.0:
            wait = (1.0 - bucket.tokens) / self._rate
            raise ResourceExhausted(
                f"rate limit of {self._rate:g} calls/s exceeded for this API key",
                reason="RATE_LIMITED",
                metadata={"key_id": key_id},
                quota_violations=[QuotaViolation(f"api_key:{key_id}", "calls per second")],
                retry_delay_seconds=wait,
            )
        bucket.tokens -= 1.0

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
