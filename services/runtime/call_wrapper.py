"""The one server interceptor of every previs service.

For each call it: rejects request bytes that do not parse with
INVALID_ARGUMENT (grpc.aio would answer UNKNOWN, since decoding runs before
the handler); sets the request id, identity and deadline context; checks the
internal credential; counts and times the call; and maps domain errors to a
status with ``google.rpc`` details. Anything unexpected is logged with its
traceback and answered INTERNAL with the request id, never UNKNOWN.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from typing import Any, AsyncIterator, Awaitable, Callable

import grpc
from google.rpc import status_pb2

from services.runtime import metrics
from services.runtime.errors import Code, FieldViolation, InvalidArgument, PrevisError
from services.runtime.internal_auth import InternalAuth
from services.runtime.request_context import (
    REQUEST_ID_KEY,
    deadline_var,
    identity_var,
    new_request_id,
    request_id_var,
)
from services.runtime.rich_status import STATUS_DETAILS_KEY, internal_status, status_from_error

_LOGGER = logging.getLogger(__name__)

_STATUS_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}
UNWRAPPED_SERVICE_PREFIXES = ("/grpc.health.v1.", "/grpc.reflection.")


class _Malformed:
    """Stands in for a request message whose bytes did not parse."""

    __slots__ = ("error",)

    def __init__(self, error: Exception) -> None:
        self.error = error


def _tolerant(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def deserialize(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as error:  # a DecodeError, or anything a parser raises
            return _Malformed(error)

    return deserialize


def _reject_if_malformed(request: Any) -> None:
    if isinstance(request, _Malformed):
        raise InvalidArgument(
            f"the request message could not be parsed: {request.error}",
            reason="MALFORMED_REQUEST",
            field_violations=[FieldViolation("request", "bytes are not a valid serialized request message")],
        )


async def _checked_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    async for request in requests:
        _reject_if_malformed(request)
        yield request


async def abort_with_status(context: grpc.aio.ServicerContext, status: status_pb2.Status, request_id: str) -> None:
    """Ends the call with ``status``; details travel in the standard
    ``grpc-status-details-bin`` trailer. Raises (as ``context.abort`` does)."""
    await context.abort(
        _STATUS_BY_NUMBER[status.code],
        status.message,
        trailing_metadata=(
            (STATUS_DETAILS_KEY, status.SerializeToString()),
            (REQUEST_ID_KEY, request_id),
        ),
    )


class ServerCallInterceptor(grpc.aio.ServerInterceptor):
    """Wraps every handler of a service process (not health and reflection)."""

    def __init__(self, server_label: str, auth: InternalAuth) -> None:
        self._label = server_label
        self._auth = auth

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method.startswith(UNWRAPPED_SERVICE_PREFIXES):
            return handler
        return self._wrap(handler, method)

    def _wrap(self, handler: grpc.RpcMethodHandler, method: str) -> grpc.RpcMethodHandler:
        deserializer = _tolerant(handler.request_deserializer)
        serializer = handler.response_serializer
        scope = self._scope

        if handler.unary_unary:
            inner_uu = handler.unary_unary

            async def unary_unary(request, context):
                async with scope(method, context):
                    _reject_if_malformed(request)
                    return await inner_uu(request, context)

            return grpc.unary_unary_rpc_method_handler(unary_unary, deserializer, serializer)

        if handler.unary_stream:
            inner_us = handler.unary_stream

            async def unary_stream(request, context):
                async with scope(method, context):
                    _reject_if_malformed(request)
                    result = inner_us(request, context)
                    if inspect.isasyncgen(result):
                        async for response in result:
                            yield response
                    else:
                        await result

            return grpc.unary_stream_rpc_method_handler(unary_stream, deserializer, serializer)

        if handler.stream_unary:
            inner_su = handler.stream_unary

            async def stream_unary(requests, context):
                async with scope(method, context):
                    return await inner_su(_checked_stream(requests), context)

            return grpc.stream_unary_rpc_method_handler(stream_unary, deserializer, serializer)

        inner_ss = handler.stream_stream

        async def stream_stream(requests, context):
            async with scope(method, context):
                result = inner_ss(_checked_stream(requests), context)
                if inspect.isasyncgen(result):
                    async for response in result:
                        yield response
                else:
                    await result

        return grpc.stream_stream_rpc_method_handler(stream_stream, deserializer, serializer)

    @contextlib.asynccontextmanager
    async def _scope(self, method: str, context: grpc.aio.ServicerContext):
        metadata = {key: value for key, value in (context.invocation_metadata() or ()) if isinstance(value, str)}
        request_id = metadata.get(REQUEST_ID_KEY) or new_request_id()
        remaining = context.time_remaining()
        # Every RPC runs in its own task, hence its own copy of the context:
        # these values cannot leak into other calls, so they are never reset
        # (a reset fails when a cancelled stream's generator is finalized
        # from another context).
        request_id_var.set(request_id)
        deadline_var.set(None if remaining is None else time.monotonic() + remaining)
        code = Code.OK
        started = time.perf_counter()
        in_flight = metrics.IN_FLIGHT.labels(self._label, method)
        in_flight.inc()
        try:
            identity_var.set(self._auth.identify(metadata))
            yield
        except PrevisError as error:
            code = error.code
            _LOGGER.info("%s failed: %s", method, error)
            await abort_with_status(context, status_from_error(error, request_id), request_id)
        except asyncio.CancelledError:
            code = Code.CANCELLED
            raise
        except grpc.aio.AbortError:
            code = Code(_status_number(context.code()))
            raise
        except NotImplementedError:  # a generated base method: an RPC in the protos no servicer overrides yet
            code = Code.UNIMPLEMENTED
            error = PrevisError(f"{method} is not implemented yet", reason="NOT_IMPLEMENTED")
            status = status_from_error(error, request_id)
            status.code = int(Code.UNIMPLEMENTED)
            await abort_with_status(context, status, request_id)
        except Exception:
            code = Code.INTERNAL
            _LOGGER.exception("%s raised an unexpected error", method)
            await abort_with_status(context, internal_status(request_id), request_id)
        finally:
            in_flight.dec()
            metrics.REQUESTS.labels(self._label, method, code.name).inc()
            metrics.LATENCY.labels(self._label, method).observe(time.perf_counter() - started)


def _status_number(code: grpc.StatusCode | None) -> int:
    if code is None:
        return int(Code.UNKNOWN)
    return code.value[0]
