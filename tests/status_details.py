"""Reads google.rpc error details back from a failed call, as clients do."""

from __future__ import annotations

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status


def details_of(error: grpc.RpcError) -> dict[str, object]:
    """Maps detail type name (``ErrorInfo``, ``BadRequest``...) to the message."""
    status = rpc_status.from_call(error)
    found: dict[str, object] = {}
    if status is None:
        return found
    for packed in status.details:
        for cls in (
            error_details_pb2.ErrorInfo,
            error_details_pb2.BadRequest,
            error_details_pb2.RetryInfo,
            error_details_pb2.QuotaFailure,
            error_details_pb2.RequestInfo,
        ):
            if packed.Is(cls.DESCRIPTOR):
                message = cls()
                packed.Unpack(message)
                found[cls.DESCRIPTOR.name] = message
    return found


def reason_of(error: grpc.RpcError) -> str:
    info = details_of(error).get("ErrorInfo")
    return info.reason if info is not None else ""


def violated_fields(error: grpc.RpcError) -> list[str]:
    bad_request = details_of(error).get("BadRequest")
    return [v.field for v in bad_request.field_violations] if bad_request is not None else []
