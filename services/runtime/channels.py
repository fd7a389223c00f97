"""Channels between previs processes.

Internal channels carry keepalive settings that match the servers', a retry
policy for UNAVAILABLE in service config, and an interceptor that forwards the
request id, the caller's identity, the internal credential and the remaining
deadline of the call being served (deadlines do not propagate by themselves).
"""

from __future__ import annotations

import json
from typing import Sequence

import grpc

from services.runtime.request_context import (
    INTERNAL_TOKEN_KEY,
    PRINCIPAL_KEY,
    REQUEST_ID_KEY,
    TENANT_KEY,
    current_identity,
    current_request_id,
    deadline_var,
    new_request_id,
    remaining_seconds,
)
from services.runtime.settings import MiB

CLIENT_KEEPALIVE_OPTIONS = (
    ("grpc.keepalive_time_ms", 30_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
)

DEFAULT_INTERNAL_TIMEOUT_SECONDS = 30.0


def retry_service_config(max_attempts: int = 4) -> str:
    """Retries calls that fail UNAVAILABLE before the server answered."""
    return json.dumps(
        {
            "methodConfig": [
                {
                    "name": [{}],
                    "retryPolicy": {
                        "maxAttempts": max_attempts,
                        "initialBackoff": "0.1s",
                        "maxBackoff": "2s",
                        "backoffMultiplier": 2,
                        "retryableStatusCodes": ["UNAVAILABLE"],
                    },
                }
            ]
        }
    )


def channel_options(max_message_bytes: int = 8 * MiB, retries: bool = True) -> list[tuple[str, object]]:
    options: list[tuple[str, object]] = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
        *CLIENT_KEEPALIVE_OPTIONS,
    ]
    if retries:
        options += [("grpc.enable_retries", 1), ("grpc.service_config", retry_service_config())]
    else:
        options.append(("grpc.enable_retries", 0))
    return options


def _outgoing_metadata(metadata, internal_token: str | None) -> list[tuple[str, str]]:
    forwarded = [(k, v) for k, v in (metadata or ()) if k not in (INTERNAL_TOKEN_KEY, PRINCIPAL_KEY, TENANT_KEY)]
    keys = {k for k, _ in forwarded}
    if REQUEST_ID_KEY not in keys:
        forwarded.append((REQUEST_ID_KEY, current_request_id() or new_request_id()))
    identity = current_identity()
    forwarded.append((PRINCIPAL_KEY, identity.principal))
    forwarded.append((TENANT_KEY, identity.tenant))
    if internal_token:
        forwarded.append((INTERNAL_TOKEN_KEY, internal_token))
    return forwarded


class _Propagation:
    """Adds identity, request id, credential and deadline to internal calls.

    grpc.aio files each interceptor under one call type only (the first
    isinstance match), so there is one subclass per call type below."""

    def __init__(self, internal_token: str | None, default_timeout: float | None, streaming_default_timeout=None):
        self._token = internal_token
        self._default_timeout = default_timeout
        self._streaming_default_timeout = streaming_default_timeout

    def _details(self, details: grpc.aio.ClientCallDetails, streaming: bool) -> grpc.aio.ClientCallDetails:
        timeout = details.timeout
        if timeout is None:
            fallback = self._streaming_default_timeout if streaming else self._default_timeout
            if deadline_var.get() is not None:
                timeout = remaining_seconds(fallback or DEFAULT_INTERNAL_TIMEOUT_SECONDS)
            else:
                timeout = fallback
        return grpc.aio.ClientCallDetails(
            method=details.method,
            timeout=timeout,
            metadata=_outgoing_metadata(details.metadata, self._token),
            credentials=details.credentials,
            wait_for_ready=details.wait_for_ready,
        )


class _UnaryUnaryPropagation(_Propagation, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details, False), request)


class _UnaryStreamPropagation(_Propagation, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, client_call_details, request):
        return await continuation(self._details(client_call_details, True), request)


class _StreamUnaryPropagation(_Propagation, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return await continuation(self._details(client_call_details, True), request_iterator)


class _StreamStreamPropagation(_Propagation, grpc.aio.StreamStreamClientInterceptor):
    async def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return await continuation(self._details(client_call_details, True), request_iterator)


def propagation_interceptors(
    internal_token: str | None, default_timeout: float | None, streaming_default_timeout: float | None = None
) -> list[grpc.aio.ClientInterceptor]:
    """One propagation interceptor for each of the four call types."""
    return [
        cls(internal_token, default_timeout, streaming_default_timeout)
        for cls in (_UnaryUnaryPropagation, _UnaryStreamPropagation, _StreamUnaryPropagation, _StreamStreamPropagation)
    ]


def internal_channel(
    target: str,
    internal_token: str | None = None,
    *,
    default_timeout: float | None = DEFAULT_INTERNAL_TIMEOUT_SECONDS,
    streaming_default_timeout: float | None = None,
    max_message_bytes: int = 8 * MiB,
    extra_interceptors: Sequence[grpc.aio.ClientInterceptor] = (),
) -> grpc.aio.Channel:
    """A channel from one previs service to another."""
    return grpc.aio.insecure_channel(
        target,
        options=channel_options(max_message_bytes),
        interceptors=[
            *propagation_interceptors(internal_token, default_timeout, streaming_default_timeout),
            *extra_interceptors,
        ],
    )
