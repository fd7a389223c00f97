"""Per-key slots for unary calls on their way upstream.

A key may have at most ``limit`` unary calls upstream at once; more wait, in
arrival order, for a slot to free. A bursting key then queues in the
gateway, where a waiting call costs nothing, instead of filling the
services' queues ahead of other tenants' calls. A call that cannot get a
slot within its wait bound (or its deadline) is refused with
RESOURCE_EXHAUSTED. Streams are counted apart (``RateLimiter.open_stream``):
they live long and would hold a slot for minutes.
"""

from __future__ import annotations

import asyncio

from services.runtime.errors import QuotaViolation, ResourceExhausted


class CallSlots:
    def __init__(self, limit: int, max_wait: float) -> None:
        self._limit = limit
        self._max_wait = max_wait
        self._slots: dict[str, asyncio.Semaphore] = {}

    async def acquire(self, key_id: str, may_wait: float | None = None) -> None:
        """Takes one of ``key_id``'s slots, waiting at most the bound (or
        ``may_wait``, the call's remaining deadline); give it back with
        ``release``."""
        if self._limit <= 0:
            return
        slots = self._slots.get(key_id)
        if slots is None:
            slots = self._slots[key_id] = asyncio.Semaphore(self._limit)
        if not slots.locked():
            await slots.acquire()  # free: returns without suspending
            return
        bound = self._max_wait if may_wait is None else min(self._max_wait, may_wait)
        try:
            async with asyncio.timeout(max(bound, 0.0)):
                await slots.acquire()
        except TimeoutError:
            raise ResourceExhausted(
                f"at most {self._limit} calls of this API key may be in progress at once",
                reason="TOO_MANY_CALLS",
                metadata={"key_id": key_id},
                quota_violations=[QuotaViolation(f"api_key:{key_id}", "calls in progress")],
                retry_delay_seconds=max(self._max_wait, 0.1),
            ) from None

    def release(self, key_id: str) -> None:
        if self._limit > 0:
            self._slots[key_id].release()
