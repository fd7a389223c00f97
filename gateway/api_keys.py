"""API keys: ``authorization: Bearer <key>``, each bound to a tenant.

Keys are stored hashed (SHA-256 of the key; keys are 32 random bytes, so a
fast hash is enough), in a JSON keys file and/or in settings
(``PREVIS_GATEWAY_API_KEYS``)::

    {"keys": [{"id": "dev", "tenant": "local", "principal": "dev",
               "sha256": "<hex>", "revoked": false}]}

The keys file is re-read when it changes (checked every few seconds), so a
key revoked or added there takes effect without restarting the gateway.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from pydantic import ValidationError

from gateway.settings import ApiKeyEntry
from services.runtime.errors import Unauthenticated

_LOGGER = logging.getLogger(__name__)

KEY_PREFIX = "pvk_"


@dataclass(frozen=True)
class ApiKey:
    """A verified key's identity."""

    key_id: str
    tenant: str
    principal: str
    revoked: bool = False


class ApiKeysFileError(ValueError):
    """The keys file cannot be read or does not have the expected shape."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def _index(entries: Iterable[ApiKeyEntry]) -> dict[str, ApiKey]:
    return {e.sha256: ApiKey(e.id, e.tenant, e.principal or e.id, e.revoked) for e in entries}


def read_keys_file(path: Path) -> list[ApiKeyEntry]:
    try:
        data = json.loads(path.read_text())
        return [ApiKeyEntry.model_validate(entry) for entry in data["keys"]]
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
        raise ApiKeysFileError(f"API keys file {path}: {error}") from None


class ApiKeyRegistry:
    """Verifies bearer keys against the hashed entries of settings and of the
    keys file (re-read when its modification time, size or inode changes)."""

    def __init__(
        self,
        entries: Iterable[ApiKeyEntry] = (),
        keys_file: Path | None = None,
        reload_seconds: float = 0.0,
    ) -> None:
        self._static = _index(entries)
        self._file = keys_file
        self._reload_seconds = reload_seconds
        self._stamp: tuple[int, int, int] | None = None
        self._next_check = 0.0
        self._by_hash = dict(self._static)
        if keys_file is not None:
            self._load(self._file_stamp())

    def _file_stamp(self) -> tuple[int, int, int]:
        try:
            stat = os.stat(self._file)
        except OSError as error:
            raise ApiKeysFileError(f"API keys file {self._file}: {error}") from None
        return stat.st_mtime_ns, stat.st_size, stat.st_ino

    def _load(self, stamp: tuple[int, int, int]) -> None:
        from_file = _index(read_keys_file(self._file))
        merged = {**from_file, **self._static}
        for digest in from_file.keys() & self._static.keys():  # revoked in either place: revoked
            if from_file[digest].revoked:
                merged[digest] = from_file[digest]
        self._by_hash = merged
        self._stamp = stamp
        _LOGGER.info("loaded %d API keys (%d from %s)", len(self._by_hash), len(from_file), self._file)

    def _reload_if_changed(self) -> None:
        now = time.monotonic()
        if now < self._next_check:
            return
        self._next_check = now + self._reload_seconds
        try:
            stamp = self._file_stamp()
            if stamp != self._stamp:
                self._load(stamp)
        except ApiKeysFileError as error:
            # Keep serving with the keys last read; a half-edited file must
            # not lock every client out (nor let anyone in).
            _LOGGER.error("keeping the previous API keys: %s", error)

    def verify(self, authorization: str | None) -> ApiKey:
        if self._file is not None and self._reload_seconds > 0:
            self._reload_if_changed()
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
