"""Byte-level forwarding of every method of the exposed services.

The gateway never decodes a service message: requests and responses pass as
bytes. It forwards metadata (minus credentials), the remaining deadline,
cancellation, initial and trailing metadata, and upstream errors with their
``grpc-status-details-bin`` trailer, so rich error details survive. Streams
are forwarded message by message in both directions, never buffered whole.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import AsyncIterator, Callable, Mapping

import grpc

from gateway.admission import Admission, Admitted
from gateway.routes import MethodRoute
from services.runtime import metrics
from services.runtime.call_wrapper import abort_with_status
from services.runtime.errors import PrevisError, Unavailable
from services.runtime.rich_status import STATUS_DETAILS_KEY, status_from_error
from services.runtime.stream_status import StatusWitness

_LOGGER = logging.getLogger(__name__)

LABEL = "gateway"
# What a client is told to wait before retrying when an upstream cannot be
# reached (the gateway reconnects at least this often).
UPSTREAM_RETRY_DELAY_SECONDS = 1.0
_HOP_BY_HOP = frozenset({"user-agent", "te", "content-type", "grpc-accept-encoding", "grpc-encoding", "grpc-timeout"})


def _passable(metadata) -> tuple[tuple[str, object], ...]:
    """Upstream initial or trailing metadata that may go back to the client."""
    return tuple((k, v) for k, v in (metadata or ()) if not k.startswith(":") and k not in _HOP_BY_HOP)


async def _pass_response_metadata(context: grpc.aio.ServicerContext, upstream_call) -> None:
    """Initial (when there is any) and trailing metadata of a finished
    upstream call with a single response, for the client."""
    initial = _passable(await upstream_call.initial_metadata())
    if initial:
        await context.send_initial_metadata(initial)
    context.set_trailing_metadata(_passable(await upstream_call.trailing_metadata()))


class _MethodMetrics:
    """The metric children of one method, looked up once (label lookups take
    a lock and a dict probe, which shows at thousands of calls per second)."""

    __slots__ = ("method", "in_flight", "latency", "_requests")

    def __init__(self, method: str) -> None:
        self.method = method
        self.in_flight = metrics.IN_FLIGHT.labels(LABEL, method)
        self.latency = metrics.LATENCY.labels(LABEL, method)
        self._requests: dict[str, object] = {}

    def count(self, code: str) -> None:
        counter = self._requests.get(code)
        if counter is None:
            counter = self._requests[code] = metrics.REQUESTS.labels(LABEL, self.method, code)
        counter.inc()


class _Call:
    """Bookkeeping for one forwarded call: metrics and the final code."""

    __slots__ = ("metrics", "started", "code")

    def __init__(self, method_metrics: _MethodMetrics) -> None:
        self.metrics = method_metrics
        self.started = time.perf_counter()
        self.code = "OK"
        method_metrics.in_flight.inc()

    def finish(self) -> None:
        self.metrics.in_flight.dec()
        self.metrics.count(self.code)
        self.metrics.latency.observe(time.perf_counter() - self.started)


class GatewayProxy(grpc.GenericRpcHandler):
    """A generic handler that forwards each routed method to its upstream."""

    def __init__(
        self,
        routes: Mapping[str, MethodRoute],
        channel_for: Callable[[str], grpc.aio.Channel],
        admission: Admission,
        default_unary_timeout: float | None = None,
    ) -> None:
        self._admission = admission
        self._default_unary_timeout = default_unary_timeout
        self._handlers = {path: self._handler(route, channel_for(route.upstream)) for path, route in routes.items()}

    def service(self, handler_call_details: grpc.HandlerCallDetails) -> grpc.RpcMethodHandler | None:
        return self._handlers.get(handler_call_details.method)

    def _handler(self, route: MethodRoute, channel: grpc.aio.Channel) -> grpc.RpcMethodHandler:
        method = route.method
        method_metrics = _MethodMetrics(method)
        if not route.client_streaming and not route.server_streaming:
            upstream = channel.unary_unary(method)
            return grpc.unary_unary_rpc_method_handler(self._unary_unary(method_metrics, upstream))
        if not route.client_streaming:
            upstream = channel.unary_stream(method)
            return grpc.unary_stream_rpc_method_handler(self._streaming(method_metrics, upstream))
        if not route.server_streaming:
            upstream = channel.stream_unary(method)
            return grpc.stream_unary_rpc_method_handler(self._stream_unary(method_metrics, upstream))
        upstream = channel.stream_stream(method)
        return grpc.stream_stream_rpc_method_handler(self._streaming(method_metrics, upstream))

    async def _admit(self, context: grpc.aio.ServicerContext, call: _Call, streaming: bool) -> Admitted:
        """The call admitted and its turn come (its rate-limit token, a slot of
        its key); the caller gives back what it holds with ``release``."""
        remaining = context.time_remaining()
        try:
            admitted = self._admission.admit(context.invocation_metadata(), streaming, remaining)
            await self._admission.wait_turn(admitted, remaining)
        except PrevisError as error:
            call.code = error.code.name
            request_id = self._admission.request_id_of(context.invocation_metadata())
            await abort_with_status(context, status_from_error(error, request_id), request_id)
            raise  # unreachable: abort raises
        return admitted

    async def _relay_error(
        self, context: grpc.aio.ServicerContext, call: _Call, error: grpc.aio.AioRpcError, admitted: Admitted
    ) -> None:
        """Ends the call with the upstream's status, details and trailers. An
        UNAVAILABLE that the gateway's own channel made up (the upstream
        cannot be reached: no status details from a server) becomes one with
        ErrorInfo and RetryInfo, and without the internal address that the
        channel's message names."""
        call.code = error.code().name
        trailing = _passable(error.trailing_metadata())
        if error.code() == grpc.StatusCode.UNAVAILABLE and not any(k == STATUS_DETAILS_KEY for k, _ in trailing):
            service = call.metrics.method.split("/")[1]
            _LOGGER.warning("upstream of %s unavailable: %s", service, error.details())
            unreachable = Unavailable(
                f"{service} is unavailable; retry shortly",
                reason="UPSTREAM_UNAVAILABLE",
                metadata={"service": service},
                retry_delay_seconds=UPSTREAM_RETRY_DELAY_SECONDS,
            )
            request_id = self._admission.request_id_of(admitted.metadata)
            await abort_with_status(context, status_from_error(unreachable, request_id), request_id)
        await context.abort(error.code(), error.details() or "", trailing_metadata=trailing)

    def _unary_unary(self, method: _MethodMetrics, upstream: grpc.aio.UnaryUnaryMultiCallable):
        async def forward(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
            call = _Call(method)
            admitted = None
            try:
                admitted = await self._admit(context, call, streaming=False)
                remaining = context.time_remaining()
                timeout = self._default_unary_timeout if remaining is None else remaining
                upstream_call = upstream(request, metadata=admitted.metadata, timeout=timeout)
                try:
                    response = await upstream_call
                except grpc.aio.AioRpcError as error:
                    await self._relay_error(context, call, error, admitted)
                except asyncio.CancelledError:
                    call.code = "CANCELLED"
                    upstream_call.cancel()
                    raise
                await _pass_response_metadata(context, upstream_call)
                return response
            finally:
                if admitted is not None:
                    self._admission.release(admitted)
                call.finish()

        return forward

    def _stream_unary(self, method: _MethodMetrics, upstream: grpc.aio.StreamUnaryMultiCallable):
        async def forward(requests: AsyncIterator[bytes], context: grpc.aio.ServicerContext) -> bytes:
            call = _Call(method)
            admitted = None
            try:
                admitted = await self._admit(context, call, streaming=True)
                upstream_call = upstream(requests, metadata=admitted.metadata, timeout=context.time_remaining())
                witness = StatusWitness(upstream_call)
                try:
                    response = await upstream_call
                except grpc.aio.AioRpcError as error:
                    await self._relay_error(context, call, witness.server_error(error), admitted)
                except asyncio.CancelledError:
                    call.code = "CANCELLED"
                    upstream_call.cancel()
                    raise
                await _pass_response_metadata(context, upstream_call)
                return response
            finally:
                if admitted is not None:
                    self._admission.release(admitted)
                call.finish()

        return forward

    def _streaming(self, method: _MethodMetrics, upstream):
        """Server-streaming and bidirectional methods: the request side is a
        single message or the client's iterator, passed on as it arrives."""

        async def forward(request_or_requests, context: grpc.aio.ServicerContext):
            call = _Call(method)
            admitted = None
            upstream_call = None
            try:
                admitted = await self._admit(context, call, streaming=True)
                upstream_call = upstream(
                    request_or_requests, metadata=admitted.metadata, timeout=context.time_remaining()
                )
                witness = StatusWitness(upstream_call)
                try:
                    await context.send_initial_metadata(_passable(await upstream_call.initial_metadata()))
                    async for response in upstream_call:
                        yield response
                except grpc.aio.AioRpcError as error:
                    await self._relay_error(context, call, witness.server_error(error), admitted)
                context.set_trailing_metadata(_passable(await upstream_call.trailing_metadata()))
            except asyncio.CancelledError:
                call.code = "CANCELLED"
                raise
            finally:
                if upstream_call is not None and not upstream_call.done():
                    upstream_call.cancel()
                if admitted is not None:
                    self._admission.release(admitted)
                call.finish()

        return forward
