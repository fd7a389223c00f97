"""Per-call context that crosses service boundaries in metadata.

The server side sets these context variables from incoming metadata
(``call_wrapper``); the client side (``channels``) copies them into outgoing
metadata, so a request id, the caller's principal and the remaining deadline
follow a call through gateway → media → planner → storage.
"""

from __future__ import annotations

import contextvars
import time
import uuid
from dataclasses import dataclass

REQUEST_ID_KEY = "x-request-id"
PRINCIPAL_KEY = "x-previs-principal"
TENANT_KEY = "x-previs-tenant"
INTERNAL_TOKEN_KEY = "x-previs-internal-token"

DEFAULT_TENANT = "default"
DEFAULT_PRINCIPAL = "anonymous"


@dataclass(frozen=True)
class CallIdentity:
    """Who a call acts for: a principal inside a tenant."""

    principal: str = DEFAULT_PRINCIPAL
    tenant: str = DEFAULT_TENANT


request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("previs_request_id", default="")
identity_var: contextvars.ContextVar[CallIdentity] = contextvars.ContextVar(
    "previs_identity", default=CallIdentity()
)
deadline_var: contextvars.ContextVar[float | None] = contextvars.ContextVar("previs_deadline", default=None)


def new_request_id() -> str:
    return uuid.uuid4().hex


def current_request_id() -> str:
    return request_id_var.get()


def current_identity() -> CallIdentity:
    return identity_var.get()


def remaining_seconds(default: float) -> float:
    """Seconds left before the incoming call's deadline, or ``default`` when
    the caller set none. Used as the timeout of internal calls."""
    deadline = deadline_var.get()
    if deadline is None:
        return default
    return max(0.0, deadline - time.monotonic())
