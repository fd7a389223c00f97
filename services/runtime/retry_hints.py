"""Reading a server's retry hint from an HTTP API error: the
``google.rpc.RetryInfo`` detail of a Google API error body (``"19s"``), or a
``Retry-After`` header in seconds or as an HTTP date."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def parse_retry_after(header: str | None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value; ``None`` if absent or unreadable."""
    if not header:
        return None
    try:
        return max(0.0, float(header))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def google_retry_hint(exc: Any) -> float | None:
    """The hint of a ``google.genai.errors.APIError`` (or anything with a
    Google error body in ``.details`` and an HTTP ``.response``): RetryInfo
    first, then ``Retry-After``."""
    body = exc.details if isinstance(getattr(exc, "details", None), dict) else {}
    error = body.get("error", body) if isinstance(body.get("error", body), dict) else {}
    for detail in error.get("details") or ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    return parse_retry_after(headers.get("retry-after") if headers is not None else None)
