"""Opaque, tamper-evident page tokens.

A token is base64url(JSON position + HMAC). It is bound to the query it was
issued for (a digest of the list's filters), so reusing it with other filters,
or changing a byte of it, answers INVALID_ARGUMENT.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Any, Mapping

from services.runtime.errors import InvalidArgument

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000


def page_size_or_default(page_size: int, field: str = "page_size") -> int:
    """0 → the default; negative → INVALID_ARGUMENT; large → capped."""
    if page_size < 0:
        raise InvalidArgument.for_field(field, "must not be negative")
    if page_size == 0:
        return DEFAULT_PAGE_SIZE
    return min(page_size, MAX_PAGE_SIZE)


class PageTokenCodec:
    """Encodes and verifies page tokens with a secret key."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._key = secret or secrets.token_bytes(32)

    @staticmethod
    def _query_digest(query: Mapping[str, Any]) -> str:
        canonical = json.dumps(query, sort_keys=True, separators=(",", ":"), default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def encode(self, position: Mapping[str, Any], query: Mapping[str, Any]) -> str:
        body = json.dumps({"p": position, "q": self._query_digest(query)}, separators=(",", ":")).encode()
        mac = hmac.new(self._key, body, hashlib.sha256).digest()[:16]
        return base64.urlsafe_b64encode(mac + body).decode().rstrip("=")

    def decode(self, token: str, query: Mapping[str, Any], field: str = "page_token") -> dict[str, Any] | None:
        """The position a token encodes; ``None`` for an empty token."""
        if not token:
            return None
        invalid = InvalidArgument.for_field(field, "is not a page token issued for this query", "INVALID_PAGE_TOKEN")
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except (ValueError, TypeError):
            raise invalid from None
        mac, body = raw[:16], raw[16:]
        if len(mac) != 16 or not hmac.compare_digest(mac, hmac.new(self._key, body, hashlib.sha256).digest()[:16]):
            raise invalid
        try:
            decoded = json.loads(body)
        except ValueError:
            raise invalid from None
        if decoded.get("q") != self._query_digest(query) or not isinstance(decoded.get("p"), dict):
            raise invalid
        return decoded["p"]
