"""Turns a failed call to another previs service back into a domain error
with the same code, message and details, so a NOT_FOUND from storage reaches
the client as NOT_FOUND (not INTERNAL) and a BadRequest keeps its fields."""

from __future__ import annotations

import contextlib
import logging
from typing import Iterator

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.runtime import errors

_LOGGER = logging.getLogger(__name__)

_BY_CODE = {cls.code: cls for cls in errors.PrevisError.__subclasses__()}


def _details(error: grpc.aio.AioRpcError) -> dict[str, object]:
    found: dict[str, object] = {}
    try:
        status = rpc_status.from_call(error)
    except ValueError:
        return found
    for packed in status.details if status else ():
        for cls in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest, error_details_pb2.RetryInfo,
                    error_details_pb2.QuotaFailure):
            if packed.Is(cls.DESCRIPTOR):
                message = cls()
                packed.Unpack(message)
                found[cls.DESCRIPTOR.name] = message
    return found


_TRANSPORT_MESSAGES = {
    errors.Code.UNAVAILABLE: "the {upstream} service is unavailable",
    errors.Code.DEADLINE_EXCEEDED: "the {upstream} service did not answer in time",
    errors.Code.CANCELLED: "the call to the {upstream} service was cancelled",
}


def from_rpc_error(error: grpc.aio.AioRpcError, upstream: str) -> errors.PrevisError:
    code = errors.Code(error.code().value[0])
    details = _details(error)
    info = details.get("ErrorInfo")
    bad_request = details.get("BadRequest")
    quota = details.get("QuotaFailure")
    retry = details.get("RetryInfo")
    message = error.details()
    if info is None and code in (errors.Code.INTERNAL, errors.Code.UNKNOWN):
        # Every previs answer carries ErrorInfo, so this one came from the
        # transport (a stream reset, a connection lost mid-call): worth a
        # retry, like UNAVAILABLE (creates carry request ids for this).
        _LOGGER.warning("call to %s lost: %s %s", upstream, code.name, message)
        code = errors.Code.UNAVAILABLE
    if info is None:
        # Not answered by a previs service (every answer of ours carries
        # ErrorInfo) but by the gRPC library: its text names internal
        # addresses, so callers get a plain message and the log the rest.
        _LOGGER.warning("call to %s failed with %s: %s", upstream, code.name, message)
        message = _TRANSPORT_MESSAGES.get(code, "{upstream} failed with {code}").format(upstream=upstream, code=code.name)
    if code in (errors.Code.UNAVAILABLE, errors.Code.DEADLINE_EXCEEDED) and info is None:
        reason = "UPSTREAM_UNAVAILABLE" if code == errors.Code.UNAVAILABLE else "UPSTREAM_DEADLINE_EXCEEDED"
        info = error_details_pb2.ErrorInfo(reason=reason, metadata={"upstream": upstream})
    cls = _BY_CODE.get(code, errors.Internal)
    return cls(
        message or f"{upstream} failed with {code.name}",
        reason=info.reason if info is not None else f"UPSTREAM_{code.name}",
        metadata=dict(info.metadata) if info is not None else {"upstream": upstream},
        field_violations=[errors.FieldViolation(v.field, v.description) for v in getattr(bad_request, "field_violations", [])],
        quota_violations=[errors.QuotaViolation(v.subject, v.description) for v in getattr(quota, "violations", [])],
        retry_delay_seconds=retry.retry_delay.ToNanoseconds() / 1e9 if retry is not None else (
            1.0 if code == errors.Code.UNAVAILABLE else None
        ),
    )


@contextlib.contextmanager
def translated(upstream: str) -> Iterator[None]:
    """Re-raises a failed internal call as the matching domain error."""
    try:
        yield
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error, upstream) from None
