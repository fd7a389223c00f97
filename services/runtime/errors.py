"""Typed domain errors that carry their gRPC status code and error details.

Domain modules raise these and never import ``grpc``; one server interceptor
(``services.runtime.error_mapping``) turns them into a status with
``google.rpc`` details: ``ErrorInfo`` always, ``BadRequest`` field violations,
``RetryInfo`` and ``QuotaFailure`` where they apply.
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
from dataclasses import dataclass, field
from typing import ClassVar, Iterator, Mapping, Sequence

ERROR_DOMAIN = "previs.dev"


class Code(enum.IntEnum):
    """The canonical status codes (numbers as in ``google.rpc.Code``)."""

    OK = 0
    CANCELLED = 1
    UNKNOWN = 2
    INVALID_ARGUMENT = 3
    DEADLINE_EXCEEDED = 4
    NOT_FOUND = 5
    ALREADY_EXISTS = 6
    PERMISSION_DENIED = 7
    RESOURCE_EXHAUSTED = 8
    FAILED_PRECONDITION = 9
    ABORTED = 10
    OUT_OF_RANGE = 11
    UNIMPLEMENTED = 12
    INTERNAL = 13
    UNAVAILABLE = 14
    DATA_LOSS = 15
    UNAUTHENTICATED = 16


@dataclass(frozen=True)
class FieldViolation:
    """One invalid field: ``field`` is a path such as ``patches[2].path``."""

    field: str
    description: str


@dataclass(frozen=True)
class QuotaViolation:
    """One exceeded quota, e.g. subject ``projects/p1``, a project budget."""

    subject: str
    description: str


@dataclass
class PrevisError(Exception):
    """Base of every error a caller can cause or observe.

    ``reason`` is an UPPER_SNAKE_CASE constant that clients can switch on
    (it becomes ``ErrorInfo.reason``); ``metadata`` goes to
    ``ErrorInfo.metadata``.
    """

    message: str
    reason: str = "UNSPECIFIED"
    metadata: Mapping[str, str] = field(default_factory=dict)
    field_violations: Sequence[FieldViolation] = ()
    quota_violations: Sequence[QuotaViolation] = ()
    retry_delay_seconds: float | None = None

    code: ClassVar[Code] = Code.INTERNAL

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.code.name}: {self.message} [{self.reason}]"

    def nested_in(self, prefix: str) -> "PrevisError":
        """The same error about an element of a repeated field: field paths
        become ``prefix.path`` (``requests[3].revision.message``), and an
        error that named no field names ``prefix``."""
        field_path = self.metadata.get("field")
        nested_field = f"{prefix}.{field_path}" if field_path else prefix
        message = f"{prefix}.{self.message}" if field_path and self.message.startswith(field_path) else f"{prefix}: {self.message}"
        return dataclasses.replace(
            self,
            message=message,
            metadata={**self.metadata, "field": nested_field},
            field_violations=[FieldViolation(f"{prefix}.{v.field}", v.description) for v in self.field_violations],
        )


class InvalidArgument(PrevisError):
    code = Code.INVALID_ARGUMENT

    @classmethod
    def for_field(cls, field_path: str, description: str, reason: str = "INVALID_FIELD") -> "InvalidArgument":
        """An INVALID_ARGUMENT naming exactly one field."""
        return cls(
            f"{field_path}: {description}",
            reason=reason,
            metadata={"field": field_path},
            field_violations=[FieldViolation(field_path, description)],
        )


class NotFound(PrevisError):
    code = Code.NOT_FOUND


class AlreadyExists(PrevisError):
    code = Code.ALREADY_EXISTS


class FailedPrecondition(PrevisError):
    code = Code.FAILED_PRECONDITION


class Aborted(PrevisError):
    code = Code.ABORTED


class ResourceExhausted(PrevisError):
    code = Code.RESOURCE_EXHAUSTED


class Unavailable(PrevisError):
    code = Code.UNAVAILABLE


class DataLoss(PrevisError):
    code = Code.DATA_LOSS


class DeadlineExceeded(PrevisError):
    code = Code.DEADLINE_EXCEEDED


class Cancelled(PrevisError):
    code = Code.CANCELLED


class Unauthenticated(PrevisError):
    code = Code.UNAUTHENTICATED


class PermissionDenied(PrevisError):
    code = Code.PERMISSION_DENIED


class Unimplemented(PrevisError):
    code = Code.UNIMPLEMENTED


class Internal(PrevisError):
    code = Code.INTERNAL


@contextlib.contextmanager
def errors_nested_in(prefix: str) -> Iterator[None]:
    """Raises the errors of the block as errors about element ``prefix`` of a
    repeated field (see ``PrevisError.nested_in``)."""
    try:
        yield
    except PrevisError as error:
        raise error.nested_in(prefix) from None


def not_found(kind: str, name: str) -> NotFound:
    """The one NOT_FOUND answer for a resource, also used for another tenant's
    resource so that existence does not leak."""
    return NotFound(f"{kind} {name!r} was not found", reason=f"{kind.upper()}_NOT_FOUND", metadata={"name": name})
