"""Storage failures as the planner's own domain errors.

A call to storage fails with ``grpc.aio.AioRpcError``. Left alone it would
reach the runtime interceptor as an unexpected exception and answer
INTERNAL, even for a caller's mistake (a missing script answers NOT_FOUND,
a stale patch ABORTED, an outage UNAVAILABLE). :func:`storage_errors`
re-raises it as the :class:`PrevisError` of the same code, with the same
message and the ``google.rpc`` details storage sent (reason, field
violations, retry delay), so callers of the planner see what storage said.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.runtime import errors
from services.runtime.errors import Code, FieldViolation, PrevisError

_ERROR_TYPES: dict[Code, type[PrevisError]] = {
    Code.INVALID_ARGUMENT: errors.InvalidArgument,
    Code.NOT_FOUND: errors.NotFound,
    Code.ALREADY_EXISTS: errors.AlreadyExists,
    Code.FAILED_PRECONDITION: errors.FailedPrecondition,
    Code.ABORTED: errors.Aborted,
    Code.RESOURCE_EXHAUSTED: errors.ResourceExhausted,
    Code.UNAVAILABLE: errors.Unavailable,
    Code.DATA_LOSS: errors.DataLoss,
    Code.DEADLINE_EXCEEDED: errors.DeadlineExceeded,
    Code.CANCELLED: errors.Cancelled,
    Code.UNAUTHENTICATED: errors.Unauthenticated,
    Code.PERMISSION_DENIED: errors.PermissionDenied,
    Code.UNIMPLEMENTED: errors.Unimplemented,
    Code.INTERNAL: errors.Internal,
}


class ForwardedError(PrevisError):
    """A storage error of a code without its own class (OUT_OF_RANGE,
    UNKNOWN); ``code`` is set per instance."""


def from_rpc_error(error: grpc.aio.AioRpcError) -> PrevisError:
    """The domain error with the code, message and details of ``error``."""
    code = Code(error.code().value[0]) if error.code() is not None else Code.UNKNOWN
    reason, metadata, violations, retry_delay = "STORAGE_ERROR", {}, [], None
    status = _status_of(error)
    for packed in status.details if status is not None else ():
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            reason, metadata = info.reason or reason, dict(info.metadata)
        elif packed.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad_request = error_details_pb2.BadRequest()
            packed.Unpack(bad_request)
            violations = [FieldViolation(v.field, v.description) for v in bad_request.field_violations]
        elif packed.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
            retry = error_details_pb2.RetryInfo()
            packed.Unpack(retry)
            retry_delay = retry.retry_delay.ToNanoseconds() / 1e9
    if retry_delay is None and code is Code.UNAVAILABLE:
        retry_delay = 1.0
    error_type = _ERROR_TYPES.get(code, ForwardedError)
    converted = error_type(
        error.details() or f"storage answered {code.name}",
        reason=reason,
        metadata=metadata,
        field_violations=violations,
        retry_delay_seconds=retry_delay,
    )
    if error_type is ForwardedError:
        converted.code = code
    return converted


def _status_of(error: grpc.aio.AioRpcError):
    try:
        return rpc_status.from_call(error)
    except ValueError:  # details that do not match the status: ignore them
        return None


@contextlib.contextmanager
def storage_errors() -> Iterator[None]:
    """Re-raises storage's ``AioRpcError`` as the matching domain error."""
    try:
        yield
    except grpc.aio.AioRpcError as error:
        raise from_rpc_error(error) from None
