"""Etags of projects and assets: an opaque tag of the row's version number,
which every change increments."""

from __future__ import annotations

from services.runtime.errors import Aborted


def etag_of(version: int) -> str:
    return f"v{version}"


def matches(etag: str, version: int) -> bool:
    return etag == etag_of(version)


def check_etag(etag: str, version: int, field: str) -> None:
    """An empty etag matches anything; a stale one is ABORTED."""
    if etag and not matches(etag, version):
        raise Aborted(
            f"{field} {etag[:80]!r} is stale: the resource changed since it was read",
            reason="ETAG_MISMATCH",
            metadata={"field": field, "current_etag": etag_of(version)},
        )
