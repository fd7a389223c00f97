"""Builds ``google.rpc.Status`` protos (with details) from domain errors."""

from __future__ import annotations

from google.protobuf import any_pb2, duration_pb2
from google.rpc import error_details_pb2, status_pb2

from services.runtime.errors import ERROR_DOMAIN, Code, PrevisError

STATUS_DETAILS_KEY = "grpc-status-details-bin"


def _pack(message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def status_from_error(error: PrevisError, request_id: str) -> status_pb2.Status:
    """ErrorInfo always; BadRequest, QuotaFailure, RetryInfo when the error has
    them; RequestInfo with the request id so logs and clients meet."""
    metadata = {str(k): str(v) for k, v in error.metadata.items()}
    details = [_pack(error_details_pb2.ErrorInfo(reason=error.reason, domain=ERROR_DOMAIN, metadata=metadata))]
    if error.field_violations:
        details.append(
            _pack(
                error_details_pb2.BadRequest(
                    field_violations=[
                        error_details_pb2.BadRequest.FieldViolation(field=v.field, description=v.description)
                        for v in error.field_violations
                    ]
                )
            )
        )
    if error.quota_violations:
        details.append(
            _pack(
                error_details_pb2.QuotaFailure(
                    violations=[
                        error_details_pb2.QuotaFailure.Violation(subject=v.subject, description=v.description)
                        for v in error.quota_violations
                    ]
                )
            )
        )
    if error.retry_delay_seconds is not None:
        delay = duration_pb2.Duration()
        delay.FromNanoseconds(int(error.retry_delay_seconds * 1e9))
        details.append(_pack(error_details_pb2.RetryInfo(retry_delay=delay)))
    if request_id:
        details.append(_pack(error_details_pb2.RequestInfo(request_id=request_id)))
    return status_pb2.Status(code=int(error.code), message=error.message, details=details)


def internal_status(request_id: str) -> status_pb2.Status:
    """The answer to an unexpected exception: no traceback, a request id to
    find it in the logs."""
    error = PrevisError(
        f"internal error; quote request id {request_id} when reporting it",
        reason="INTERNAL_ERROR",
        metadata={"request_id": request_id},
    )
    status = status_from_error(error, request_id)
    status.code = int(Code.INTERNAL)
    return status
