"""Admission of a client call at the gateway: who is calling (API key),
whether they may (rate and stream limits), and the metadata the upstream
receives (client metadata minus credentials, plus the verified identity and
the internal credential)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from gateway.api_keys import ApiKey, ApiKeyRegistry
from gateway.call_slots import CallSlots
from gateway.rate_limits import RateLimiter
from services.runtime.request_context import (
    DEFAULT_PRINCIPAL,
    DEFAULT_TENANT,
    INTERNAL_TOKEN_KEY,
    PRINCIPAL_KEY,
    REQUEST_ID_KEY,
    TENANT_KEY,
    new_request_id,
)

AUTHORIZATION_KEY = "authorization"
_NOT_FORWARDED = frozenset(
    {AUTHORIZATION_KEY, INTERNAL_TOKEN_KEY, PRINCIPAL_KEY, TENANT_KEY, "user-agent", "te", "content-type"}
)
ANONYMOUS = ApiKey(key_id="anonymous", tenant=DEFAULT_TENANT, principal=DEFAULT_PRINCIPAL)


@dataclass(frozen=True)
class Admitted:
    """An admitted call: the caller and the metadata to send upstream."""

    caller: ApiKey
    metadata: tuple[tuple[str, str | bytes], ...]
    holds_stream: bool
    wait_seconds: float = 0.0  # how long the call waits for its rate-limit token before it goes on


class Admission:
    """Authenticates (unless ``keys`` is None: auth disabled), rate-limits,
    holds each key's calls to its slots and builds upstream metadata."""

    def __init__(
        self, keys: ApiKeyRegistry | None, limiter: RateLimiter, internal_token: str | None, slots: CallSlots | None = None
    ) -> None:
        self._keys = keys
        self._limiter = limiter
        self._internal_token = internal_token
        self._slots = slots or CallSlots(0, 0.0)

    @staticmethod
    def request_id_of(metadata) -> str:
        for key, value in metadata or ():
            if key == REQUEST_ID_KEY and isinstance(value, str):
                return value
        return ""

    def admit(self, metadata, streaming: bool, may_wait: float | None = None) -> Admitted:
        """``may_wait``: the longest the call can wait for a rate-limit token
        (its remaining deadline)."""
        metadata = tuple(metadata or ())
        caller = ANONYMOUS
        if self._keys is not None:
            authorization = next((v for k, v in metadata if k == AUTHORIZATION_KEY and isinstance(v, str)), None)
            caller = self._keys.verify(authorization)
        wait = self._limiter.take(caller.key_id, may_wait)
        if streaming:
            self._limiter.open_stream(caller.key_id)
        return Admitted(caller, self._upstream_metadata(metadata, caller), streaming, wait)

    async def wait_turn(self, admitted: Admitted, may_wait: float | None = None) -> None:
        """Waits for the call's rate-limit token and, for a unary call, a slot
        of its key (RESOURCE_EXHAUSTED when none frees in time); a call that
        gets no turn holds nothing."""
        try:
            if admitted.wait_seconds > 0:
                await asyncio.sleep(admitted.wait_seconds)
            if not admitted.holds_stream:
                remaining = None if may_wait is None else may_wait - admitted.wait_seconds
                await self._slots.acquire(admitted.caller.key_id, remaining)
        except BaseException:
            if admitted.holds_stream:
                self.release(admitted)
            raise

    def release(self, admitted: Admitted) -> None:
        """Gives back what an admitted call held (its stream or its slot)."""
        if admitted.holds_stream:
            self._limiter.close_stream(admitted.caller.key_id)
        else:
            self._slots.release(admitted.caller.key_id)

    def _upstream_metadata(self, metadata, caller: ApiKey) -> tuple[tuple[str, str | bytes], ...]:
        forwarded = [(k, v) for k, v in metadata if k not in _NOT_FORWARDED and not k.startswith(("grpc-", ":"))]
        if not any(k == REQUEST_ID_KEY for k, _ in forwarded):
            forwarded.append((REQUEST_ID_KEY, new_request_id()))
        forwarded.append((PRINCIPAL_KEY, caller.principal))
        forwarded.append((TENANT_KEY, caller.tenant))
        if self._internal_token:
            forwarded.append((INTERNAL_TOKEN_KEY, self._internal_token))
        return tuple(forwarded)
