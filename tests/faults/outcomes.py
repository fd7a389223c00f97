"""Calling any public method by its descriptor and judging the answer.

An answer is acceptable when it is OK, or a defined error code (never
UNKNOWN or INTERNAL) whose ``grpc-status-details-bin`` trailer agrees with
the status and carries an ``ErrorInfo`` in the ``previs.dev`` domain, and
when no text a client can read looks like a Python traceback.
"""

from __future__ import annotations

import asyncio
import collections
from dataclasses import dataclass, field
from typing import Iterable, Sequence

import grpc
from google.protobuf import text_format
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from services.runtime.errors import ERROR_DOMAIN
from services.runtime.request_context import INTERNAL_TOKEN_KEY
from services.runtime.stream_status import StatusWitness
from tests.faults.message_strategies import message_class, method_path

FORBIDDEN_CODES = frozenset({grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL})
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "', ".py\", line ")
STREAM_READ_LIMIT = 20  # server-streaming answers are read this far, then cancelled
STREAM_IDLE_SECONDS = 5.0  # a stream quiet this long (a live WatchJob) is cancelled: "OPEN"
CALL_TIMEOUT_SECONDS = 30.0


def bearer(key: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {key}"),)


def internal(token: str, tenant: str = "tenant-a") -> tuple[tuple[str, str], ...]:
    return ((INTERNAL_TOKEN_KEY, token), ("x-previs-tenant", tenant), ("x-previs-principal", "fuzzer"))


@dataclass
class Outcome:
    """What one call answered, as a client sees it."""

    method: str
    code: grpc.StatusCode
    message: str = ""
    details: list[Message] = field(default_factory=list)
    responses: list[bytes | Message] = field(default_factory=list)
    open_stream: bool = False  # a server stream still open when we stopped reading
    status_mismatch: str = ""

    @property
    def label(self) -> str:
        return "OK (stream left open)" if self.open_stream else self.code.name

    @property
    def error_info(self) -> error_details_pb2.ErrorInfo | None:
        return next((d for d in self.details if isinstance(d, error_details_pb2.ErrorInfo)), None)

    @property
    def reason(self) -> str:
        info = self.error_info
        return info.reason if info is not None else ""

    def detail(self, cls) -> Message | None:
        return next((d for d in self.details if isinstance(d, cls)), None)

    def problems(self) -> list[str]:
        """Every way this answer breaks the error contract (empty: fine)."""
        found: list[str] = []
        if self.code in FORBIDDEN_CODES:
            found.append(f"{self.code.name} answered")
        if self.status_mismatch:
            found.append(f"status details disagree with the status: {self.status_mismatch}")
        if self.code != grpc.StatusCode.OK:
            info = self.error_info
            if info is None:
                found.append(f"{self.code.name} without an ErrorInfo detail")
            elif info.domain != ERROR_DOMAIN or not info.reason:
                found.append(f"ErrorInfo without domain/reason: {info}")
        readable = [self.message, *(str(d) for d in self.details)]
        if any(marker in text for text in readable for marker in TRACEBACK_MARKERS):
            found.append("a traceback reached the client")
        return found


_DETAIL_TYPES = (
    error_details_pb2.ErrorInfo,
    error_details_pb2.BadRequest,
    error_details_pb2.RetryInfo,
    error_details_pb2.QuotaFailure,
    error_details_pb2.RequestInfo,
    error_details_pb2.ResourceInfo,
    error_details_pb2.PreconditionFailure,
    error_details_pb2.DebugInfo,
    error_details_pb2.Help,
    error_details_pb2.LocalizedMessage,
)


def _failed(method: str, error: grpc.aio.AioRpcError) -> Outcome:
    outcome = Outcome(method, error.code(), error.details() or "")
    try:
        status = rpc_status.from_call(error)
    except ValueError as mismatch:
        outcome.status_mismatch = str(mismatch)
        return outcome
    for packed in status.details if status is not None else ():
        for cls in _DETAIL_TYPES:
            if packed.Is(cls.DESCRIPTOR):
                unpacked = cls()
                packed.Unpack(unpacked)
                outcome.details.append(unpacked)
                break
        else:
            outcome.details.append(packed)
    return outcome


class Caller:
    """Calls methods on one channel, with messages or raw bytes."""

    def __init__(self, channel: grpc.aio.Channel, metadata: Sequence[tuple[str, str]] = ()) -> None:
        self._channel = channel
        self._metadata = tuple(metadata)

    def _serializers(self, method: MethodDescriptor, raw: bool):
        if raw:
            return None, None
        return (lambda m: m.SerializeToString()), message_class(method.output_type).FromString

    async def call(
        self,
        method: MethodDescriptor,
        request: Message | bytes | Iterable[Message | bytes],
        *,
        metadata: Sequence[tuple[str, str]] | None = None,
        timeout: float = CALL_TIMEOUT_SECONDS,
    ) -> Outcome:
        """One call; ``request`` is a list for client-streaming methods.
        Bytes (or lists of bytes) go on the wire as they are."""
        first = request[0] if isinstance(request, list) and request else request
        raw = isinstance(first, bytes)
        serialize, deserialize = self._serializers(method, raw)
        path = method_path(method)
        md = self._metadata if metadata is None else tuple(metadata)
        try:
            if method.server_streaming:
                return await self._server_stream(method, path, request, md, timeout, serialize, deserialize)
            if method.client_streaming:
                callable_ = self._channel.stream_unary(path, serialize, deserialize)
                stream_call = callable_(_stream_of(request), metadata=md, timeout=timeout)
                witness = StatusWitness(stream_call)
                try:
                    response = await stream_call
                except grpc.aio.AioRpcError as error:
                    # grpc.aio may hide the server's status behind a failed
                    # write when the server ends the stream early.
                    raise witness.server_error(error) from None
            else:
                callable_ = self._channel.unary_unary(path, serialize, deserialize)
                response = await callable_(request, metadata=md, timeout=timeout)
        except grpc.aio.AioRpcError as error:
            return _failed(path, error)
        return Outcome(path, grpc.StatusCode.OK, responses=[response])

    async def _server_stream(self, method, path, request, md, timeout, serialize, deserialize) -> Outcome:
        if method.client_streaming:
            call = self._channel.stream_stream(path, serialize, deserialize)(_stream_of(request), metadata=md, timeout=timeout)
        else:
            call = self._channel.unary_stream(path, serialize, deserialize)(request, metadata=md, timeout=timeout)
        outcome = Outcome(path, grpc.StatusCode.OK)
        try:
            while len(outcome.responses) < STREAM_READ_LIMIT:
                try:
                    response = await asyncio.wait_for(call.read(), STREAM_IDLE_SECONDS)
                except asyncio.TimeoutError:
                    outcome.open_stream = True
                    break
                if response is grpc.aio.EOF:
                    return outcome
                outcome.responses.append(response)
            else:
                outcome.open_stream = True
        except grpc.aio.AioRpcError as error:
            return _failed(path, error)
        finally:
            if not call.done():
                call.cancel()
        return outcome


def describe(request) -> str:
    """A request (or a list of streamed ones) as short text."""
    if request is None:
        return ""
    parts = request if isinstance(request, list) else [request]
    text = " | ".join(repr(p[:200]) if isinstance(p, bytes) else text_format.MessageToString(p, as_one_line=True) for p in parts)
    return text[:2000]


async def _stream_of(items):
    for item in items:
        yield item


class Tally:
    """Status-code histogram per method and the problems found."""

    def __init__(self) -> None:
        self.codes: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
        self.reasons: collections.Counter = collections.Counter()
        self.problems: list[tuple[str, list[str], str]] = []

    def add(self, outcome: Outcome, request=None) -> None:
        self.codes[outcome.method][outcome.label] += 1
        if outcome.code != grpc.StatusCode.OK:
            self.reasons[f"{outcome.code.name} {outcome.reason}"] += 1
        found = outcome.problems()
        if not found:
            return
        self.problems.append((outcome.method, found, f"{outcome.code.name}: {outcome.message[:300]}\n{describe(request)}"))

    @property
    def total(self) -> int:
        return sum(sum(c.values()) for c in self.codes.values())

    def histogram(self) -> collections.Counter:
        overall: collections.Counter = collections.Counter()
        for counter in self.codes.values():
            overall.update(counter)
        return overall

    def render(self, title: str) -> str:
        lines = [f"{title}: {self.total} requests"]
        lines += [f"  {code:<24} {count}" for code, count in sorted(self.histogram().items(), key=lambda kv: -kv[1])]
        top = ", ".join(f"{reason} {count}" for reason, count in self.reasons.most_common(8))
        lines.append(f"  most common reasons: {top}")
        for method, counter in sorted(self.codes.items()):
            summary = ", ".join(f"{code} {count}" for code, count in sorted(counter.items(), key=lambda kv: -kv[1]))
            lines.append(f"    {method.rsplit('/', 1)[-1]:<28} {summary}")
        return "\n".join(lines)

    def failure_report(self, limit: int = 5) -> str:
        by_kind: dict[str, list[str]] = collections.defaultdict(list)
        for method, found, text in self.problems:
            for problem in found:
                by_kind[f"{method}: {problem}"].append(text)
        lines = []
        for kind, examples in sorted(by_kind.items()):
            smallest = sorted(examples, key=len)[:limit]
            lines.append(f"{kind} ({len(examples)}x); smallest:\n    " + "\n    ".join(e[:600] for e in smallest))
        return "\n".join(lines)
