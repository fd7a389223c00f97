"""Every LLM call stored as a revision of the project's LLM trace asset.

:class:`TraceRecorder` is the :data:`TraceSink` of the Gemini client. The
client is shared by all calls of the process, so the project and request id
a trace belongs to come from a per-call scope (:meth:`TraceRecorder.scope`,
a context variable that follows the call into the tasks it starts). Each
trace is stored with a request id derived from the planner call's request
id, the task key (:func:`trace_key`, for calls made concurrently) and the
attempt, so a retried planner call stores no trace twice.

Listing reads the trace asset newest first; a purpose filter scans storage
pages (a bounded number per call) and resumes from a token that says where
the scan stopped.
"""

from __future__ import annotations

import base64
import contextlib
import contextvars
import json
import logging
from dataclasses import dataclass, field
from typing import Iterator

from previs.planner.v1 import planner_pb2
from services.planner.backends.gemini import LlmTrace
from services.planner.planner_store import TRACE_ASSET_ID, PlannerStore, child_request_id
from services.runtime.errors import InvalidArgument, NotFound
from services.runtime.page_tokens import page_size_or_default

_LOGGER = logging.getLogger(__name__)

PURPOSES = ("plan", "shot_plan", "repair", "feedback")
SCAN_PAGE_SIZE = 200
MAX_SCANNED_PAGES = 10


@dataclass
class TraceScope:
    """The planner call that LLM calls belong to, and the traces stored."""

    project: str
    request_id: str
    revisions: list[str] = field(default_factory=list)

    def since(self, count: int) -> list[str]:
        return sorted(self.revisions[count:], key=_revision_number)


_scope: contextvars.ContextVar[TraceScope | None] = contextvars.ContextVar("planner_trace_scope", default=None)
_key: contextvars.ContextVar[str] = contextvars.ContextVar("planner_trace_key", default="")


def _revision_number(name: str) -> int:
    return int(name.rsplit("/", 1)[-1])


@contextlib.contextmanager
def trace_key(key: str) -> Iterator[None]:
    """Names the LLM calls of one concurrent task (e.g. one scene chunk)."""
    token = _key.set(f"{_key.get()}.{key}" if _key.get() else key)
    try:
        yield
    finally:
        _key.reset(token)


def trace_message(trace: LlmTrace, revision: str = "") -> planner_pb2.LlmTrace:
    message = planner_pb2.LlmTrace(
        revision=revision,
        model=trace.model,
        purpose=trace.purpose,
        prompt=trace.prompt,
        response=trace.response,
        input_tokens=trace.input_tokens,
        output_tokens=trace.output_tokens,
        attempt=trace.attempt,
        outcome=planner_pb2.LlmTrace.Outcome.Value(f"OUTCOME_{trace.outcome.value}"),
        error=trace.error,
        request_id=trace.request_id,
    )
    message.latency.FromNanoseconds(round(trace.latency_seconds * 1e9))
    return message


class TraceRecorder:
    """Stores LLM traces; use :meth:`scope` around the LLM work of a call."""

    def __init__(self, store: PlannerStore) -> None:
        self._store = store

    @contextlib.contextmanager
    def scope(self, project: str, request_id: str) -> Iterator[TraceScope]:
        scope = TraceScope(project, request_id)
        token = _scope.set(scope)
        try:
            yield scope
        finally:
            _scope.reset(token)

    async def __call__(self, trace: LlmTrace) -> None:
        scope = _scope.get()
        if scope is None:
            _LOGGER.warning("an LLM trace (%s, attempt %d) outside a planner call was not stored", trace.purpose, trace.attempt)
            return
        asset = await self._store.trace_asset(scope.project)
        key = _key.get()
        part = f"trace:{trace.purpose}:{key + ':' if key else ''}{trace.attempt}"
        revision = await self._store.append(
            asset,
            trace_message(trace),
            request_id=child_request_id(scope.request_id, part),
            labels={"purpose": trace.purpose[:60] or "unspecified", "outcome": trace.outcome.value.lower()},
            message=f"{trace.purpose} attempt {trace.attempt}: {trace.outcome.value}",
        )
        scope.revisions.append(revision.name)


# --------------------------------------------------------------------------- listing
def _encode_token(position: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(position, separators=(",", ":")).encode()).decode().rstrip("=")


def _decode_token(token: str, purpose: str) -> dict:
    invalid = InvalidArgument.for_field("page_token", "is not a page token of this list", "INVALID_PAGE_TOKEN")
    try:
        position = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, TypeError):
        raise invalid from None
    if (
        not isinstance(position, dict)
        or position.get("q") != purpose
        or not isinstance(position.get("s"), str)
        or not isinstance(position.get("k"), int)
        or not 0 <= position["k"] <= SCAN_PAGE_SIZE
    ):
        raise invalid
    return position


async def list_traces(
    store: PlannerStore, project: str, *, page_size: int, page_token: str, purpose: str
) -> tuple[list[planner_pb2.LlmTrace], str]:
    """A page of the project's traces, newest first, optionally of one
    purpose; and the token of the next page ("" on the last)."""
    size = page_size_or_default(page_size)
    if purpose and purpose not in PURPOSES:
        raise InvalidArgument.for_field("purpose", f"must be one of {', '.join(PURPOSES)}", "INVALID_PURPOSE")
    position = _decode_token(page_token, purpose) if page_token else {"s": "", "k": 0, "q": purpose}
    try:
        asset = (await store.get_asset(f"{project}/assets/{TRACE_ASSET_ID}")).name
    except NotFound:
        await store.get_project(project)  # NOT_FOUND for a missing project, else: no traces yet
        return [], ""
    storage_token, skip = position["s"], position["k"]
    page_length = SCAN_PAGE_SIZE if purpose else size
    found: list[planner_pb2.LlmTrace] = []
    for _ in range(MAX_SCANNED_PAGES):
        page = await store.list_revisions(asset, page_size=page_length, page_token=storage_token)
        for offset, revision in enumerate(page.revisions):
            if offset < skip:
                continue
            if purpose and revision.labels.get("purpose") != purpose:
                continue
            trace = planner_pb2.LlmTrace()
            if not revision.payload.Unpack(trace):
                continue
            trace.revision = revision.name
            found.append(trace)
            if len(found) == size:
                if offset + 1 < len(page.revisions):
                    return found, _encode_token({"s": storage_token, "k": offset + 1, "q": purpose})
                return found, _encode_token({"s": page.next_page_token, "k": 0, "q": purpose}) if page.next_page_token else ""
        if not page.next_page_token:
            return found, ""
        storage_token, skip = page.next_page_token, 0
    return found, _encode_token({"s": storage_token, "k": 0, "q": purpose})


async def get_trace(store: PlannerStore, name: str) -> planner_pb2.LlmTrace:
    revision, trace = await store.read(name, planner_pb2.LlmTrace, field="name", what="an LLM trace")
    trace.revision = revision.name
    return trace
