"""The internal credential between previs processes.

When ``internal_token`` is configured, every call to a service must carry it
in ``x-previs-internal-token``; only then are the principal and tenant in the
metadata trusted. The gateway strips these keys from client metadata and sets
them from the API key it verified, so a client cannot forge an identity, and a
direct call to a service without the token is refused.
"""

from __future__ import annotations

import hmac
from typing import Mapping

from services.runtime.errors import Unauthenticated
from services.runtime.request_context import (
    DEFAULT_PRINCIPAL,
    DEFAULT_TENANT,
    INTERNAL_TOKEN_KEY,
    PRINCIPAL_KEY,
    TENANT_KEY,
    CallIdentity,
)


class InternalAuth:
    """Checks the internal credential and derives the call's identity."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token else None

    @property
    def enabled(self) -> bool:
        return self._token is not None

    def identify(self, metadata: Mapping[str, str]) -> CallIdentity:
        if self._token is not None:
            presented = metadata.get(INTERNAL_TOKEN_KEY, "").encode()
            if not hmac.compare_digest(presented, self._token):
                raise Unauthenticated(
                    "this service accepts only calls from the previs gateway and services",
                    reason="INTERNAL_CREDENTIAL_REQUIRED",
                )
        return CallIdentity(
            principal=metadata.get(PRINCIPAL_KEY) or DEFAULT_PRINCIPAL,
            tenant=metadata.get(TENANT_KEY) or DEFAULT_TENANT,
        )
