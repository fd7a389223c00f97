"""How long to wait before trying a backend again, and when to stop.

Exponential backoff with "equal jitter" (half the step fixed, half random, so
retries of many jobs spread out but never come back at once), raised to the
server's ``Retry-After`` when it asks for longer. A server that asks for
longer than ``max_delay_seconds`` is not waited for: the item fails over to
the next backend, or fails RATE_LIMITED when there is none.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds of retries on one backend for one item."""

    max_attempts: int = 4
    initial_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    multiplier: float = 2.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random | None = None) -> float | None:
        """Seconds to wait after failed attempt number ``attempt`` (from 1),
        or ``None`` when no further attempt should be made."""
        if attempt >= self.max_attempts:
            return None
        if retry_after is not None and retry_after > self.max_delay_seconds:
            return None
        step = min(self.initial_delay_seconds * self.multiplier ** (attempt - 1), self.max_delay_seconds)
        jittered = step / 2 + (rng or random).uniform(0, step / 2)
        return min(max(jittered, retry_after or 0.0), self.max_delay_seconds)
