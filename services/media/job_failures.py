"""One reading of everything that can go wrong while making an item: a
backend's :class:`BackendError`, a domain error from storage, the planner or
a local task, or a plain bug, each as a :class:`Failure` with a typed job
error reason and what the runner may do next (retry the same backend, fail
over to the next)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from services.media.backends.base import BackendError
from services.media.jobs import ErrorReason, JobError
from services.runtime import errors

_LOGGER = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000

_INPUT_ERRORS = (errors.InvalidArgument, errors.NotFound, errors.FailedPrecondition, errors.AlreadyExists)
_TRANSIENT_ERRORS = (errors.Unavailable, errors.DeadlineExceeded, errors.Aborted)


@dataclass(frozen=True)
class Failure:
    """A failed step of an item and what may follow it."""

    reason: ErrorReason
    message: str
    retryable: bool = False
    failover: bool = False
    retry_after_seconds: float | None = None
    upstream_ended: bool = False

    def job_error(self, backend: str = "", item_key: str = "") -> JobError:
        return JobError(self.reason, self.message[:MAX_MESSAGE_CHARS], backend, item_key)


def failure_of(error: BaseException, what: str = "") -> Failure:
    """The :class:`Failure` an exception stands for."""
    prefix = f"{what}: " if what else ""
    if isinstance(error, BackendError):
        return Failure(
            ErrorReason(error.reason.value),
            prefix + error.message,
            retryable=error.retryable,
            failover=error.failover,
            retry_after_seconds=error.retry_after_seconds,
            upstream_ended=error.upstream_ended,
        )
    if isinstance(error, errors.ResourceExhausted):
        if error.quota_violations or "BUDGET" in error.reason:
            return Failure(ErrorReason.BUDGET_EXCEEDED, prefix + error.message)
        return Failure(
            ErrorReason.RATE_LIMITED, prefix + error.message, retryable=True, retry_after_seconds=error.retry_delay_seconds
        )
    if isinstance(error, _TRANSIENT_ERRORS):
        return Failure(
            ErrorReason.BACKEND_UNAVAILABLE,
            prefix + error.message,
            retryable=True,
            retry_after_seconds=error.retry_delay_seconds,
        )
    if isinstance(error, _INPUT_ERRORS):
        return Failure(ErrorReason.INVALID_INPUT, prefix + error.message)
    if isinstance(error, errors.PrevisError):
        return Failure(ErrorReason.INTERNAL, prefix + error.message)
    _LOGGER.error("unexpected fault %s", prefix.rstrip(": ") or "in a job", exc_info=error)
    return Failure(ErrorReason.INTERNAL, f"{prefix}unexpected {type(error).__name__} in the media service")


def is_transient(error: BaseException) -> bool:
    """Worth retrying a call to another previs service (storage, planner)."""
    return isinstance(error, _TRANSIENT_ERRORS)
