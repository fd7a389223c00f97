"""API keys: ``authorization: Bearer <key>``, each bound to a tenant.

Keys are stored hashed (SHA-256 of the key; keys are 32 random bytes, so a
fast hash is enough) in a JSON keys file::

    {"keys": [{"id": "dev", "tenant": "local", "principal": "dev",
               "sha256": "<hex>", "revoked": false}]}
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Mapping

from services.runtime.errors import Unauthenticated

KEY_PREFIX = "pvk_"


@dataclass(frozen=True)
class ApiKey:
    """A verified key's identity."""

    key_id: str
    tenant: str
    principal: str
    revoked: bool = False


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


class ApiKeyRegistry:
    """Verifies bearer keys against the hashed entries."""

    def __init__(self, entries: Mapping[str, ApiKey]) -> None:
        self._by_hash = dict(entries)

    @classmethod
    def from_file(cls, path: Path) -> "ApiKeyRegistry":
        data = json.loads(path.read_text())
        return cls.from_entries(data.get("keys", []))

    @classmethod
    def from_entries(cls, entries: Iterable[Mapping]) -> "ApiKeyRegistry":
        return cls(
            {
                entry["sha256"]: ApiKey(
                    entry["id"], entry["tenant"], entry.get("principal") or entry["id"], bool(entry.get("revoked"))
                )
                for entry in entries
            }
        )

    def verify(self, authorization: str | None) -> ApiKey:
        if not authorization:
            raise Unauthenticated("missing 'authorization: Bearer <api key>' metadata", reason="API_KEY_MISSING")
        scheme, _, key = authorization.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise Unauthenticated("authorization must be 'Bearer <api key>'", reason="API_KEY_MALFORMED")
        entry = self._by_hash.get(hash_key(key))
        if entry is None or entry.revoked:
            raise Unauthenticated("the API key is not valid", reason="API_KEY_INVALID")
        return entry


def write_keys_file(path: Path, keys: Iterable[tuple[ApiKey, str]]) -> None:
    """Writes a keys file (mode 0600) from (identity, plaintext key) pairs."""
    entries = [
        {"id": k.key_id, "tenant": k.tenant, "principal": k.principal, "sha256": hash_key(plain), "revoked": k.revoked}
        for k, plain in keys
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".tmp")
    temp.write_text(json.dumps({"keys": entries}, indent=2))
    temp.chmod(0o600)
    temp.replace(path)
