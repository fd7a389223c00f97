"""Failures of the HTTP backends (Replicate, Gemini) that do not depend on
which API answered: the way to it is down, or a create was sent and its
answer lost."""

from __future__ import annotations

import httpx

from services.media.backends.base import BackendError, FailureReason

# Failures before the request left this machine: nothing can exist upstream.
NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


def unavailable(message: str) -> BackendError:
    """Worth retrying here, and worth another backend."""
    return BackendError(FailureReason.BACKEND_UNAVAILABLE, message, retryable=True, failover=True)


def unknown_create(what: str, detail: str) -> BackendError:
    """A create whose outcome is unknown: neither retried nor failed over,
    because the work may exist upstream and a second create would be paid
    twice."""
    return BackendError(
        FailureReason.BACKEND_UNAVAILABLE,
        f"{what}: {detail}; it may have been made upstream, so it is not asked for again (that could be paid twice)",
    )
