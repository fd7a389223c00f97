"""The upstream fault matrix: each media backend (Replicate, Gemini), over
its real SDK against the fake server, × {429 with Retry-After, 500,
timeout, connection reset, truncated download, malformed JSON, empty
safety-filtered result, ``aborted``}, each where it can strike (the create
or the polling that follows it). Every job ends within its time budget
(hangs 0) in success after retries or in a typed failure (never INTERNAL);
nothing partial is stored (a stored output decodes to its end; a failed job
stored nothing) and no scratch file is left behind; work that was started
upstream and not used is not left running (cancelled or finished).

A create whose answer was lost (timeout, reset or unreadable body after the
request was sent) is never retried blindly: the work may exist upstream, and a
second create would be paid twice. The Replicate backend reconciles it against
the account's prediction listing: a prediction it made is adopted (one create,
success), one surely never made is asked for again (success, two create
requests, one prediction), and when that cannot be told (a create timed out
and may still be in flight) the job is a typed failure. Gemini has no such
listing: its lost creates stay typed failures.

``PREVIS_LONG_TESTS=1`` runs the matrix several rounds and prints one line
per case (outcome, attempts, creates, seconds).
"""

from __future__ import annotations

import asyncio
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pytest
from PIL import Image

from services.media.backends.base import ImageRequest, VideoRequest
from services.media.job_retry import RetryPolicy
from services.media.jobs import ErrorReason, ItemPlan, JobKind, JobState, SpecEcho
from services.media.output_checks import check_video
from tests.fakes.engine_backends import gemini_backend, output_gate, replicate_backend
from tests.fakes.gemini_server import (
    DOWNLOAD,
    GET_OPERATION,
    PREDICT,
    PREDICT_LONG_RUNNING,
    FakeGemini,
    HttpError,
    ImagesFiltered,
    Operation,
    OperationFailed,
    RawBody,
    Reset,
    Slow,
    Truncated,
    VideoFiltered,
    VideoResult,
)
from tests.fakes.replicate_server import (
    IMAGEN_MODEL,
    TERMINAL_STATUSES,
    VEO_MODEL,
    Fault,
    FakeReplicate,
    PredictionScript,
)
from tests.media.job_doubles import Harness, events_until_end, fast_options

LONG = os.environ.get("PREVIS_LONG_TESTS") == "1"
ROUNDS = 5 if LONG else 1
BUDGET_SECONDS = 20.0  # the job's whole time budget in this matrix
ATTEMPTS = 3
CREATE_IMAGE = f"/v1/models/{IMAGEN_MODEL}/predictions"
CREATE_VIDEO = f"/v1/models/{VEO_MODEL}/predictions"
POLL = "/v1/predictions/"
SUCCESS = "SUCCEEDED"
UNAVAILABLE = ErrorReason.BACKEND_UNAVAILABLE.value
POLICY = ErrorReason.CONTENT_POLICY_VIOLATION.value
TIMEOUT_SECONDS = 0.5  # one upstream request; the slow faults take longer


@dataclass(frozen=True)
class Case:
    backend: str
    fault: str
    media: str  # "image" or "video"
    arrange: Callable[[object], None]
    expect: str  # SUCCESS or an ErrorReason value
    creates: int | None = None  # upstream creates the fake must have seen
    made: int | None = None  # predictions made upstream (Replicate), when it differs from creates

    @property
    def id(self) -> str:
        return f"{self.backend}-{self.fault}"


def _r(*faults: Fault, script: PredictionScript | None = None, model: str = IMAGEN_MODEL,
       once: PredictionScript | None = None):
    def arrange(fake: FakeReplicate) -> None:
        for fault in faults:
            fake.add_fault(fault)
        if script is not None:
            fake.script(model, script)
        if once is not None:
            fake.script_once(model, once)
    return arrange


def _g(route: str | None = None, *behaviours, default: tuple[str, object] | None = None):
    def arrange(fake: FakeGemini) -> None:
        if route is not None:
            fake.enqueue(route, *behaviours)
        if default is not None:
            fake.set_default(*default)
    return arrange


VIDEO_OK = PredictionScript(video_seconds=4.0)
VEO_OK = (PREDICT_LONG_RUNNING, Operation(polls=2, outcome=VideoResult(seconds=4.0)))

CASES = [
    # ------------------------------------------------------------ Replicate
    Case("replicate", "429-retry-after", "image",
         _r(Fault("POST", CREATE_IMAGE, status=429, headers={"Retry-After": "0.3"})), SUCCESS, creates=2),
    Case("replicate", "500-create", "image", _r(Fault("POST", CREATE_IMAGE, status=500)), SUCCESS, creates=2),
    Case("replicate", "500-poll", "image", _r(Fault("GET", POLL, status=500, times=2)), SUCCESS, creates=1),
    Case("replicate", "timeout-poll", "image",
         _r(Fault("GET", POLL, kind="delay", delay_seconds=1.5)), SUCCESS, creates=1),
    # Made only long after the backend stopped looking (the request was in
    # flight for 3 s; it looks for one request timeout after its own): not
    # sent again.
    Case("replicate", "timeout-create", "image",
         _r(Fault("POST", CREATE_IMAGE, kind="delay", delay_seconds=3.0)), UNAVAILABLE, creates=1),
    # Made, and then the answer was lost: found in the listing and adopted.
    Case("replicate", "timeout-after-create", "image",
         _r(Fault("POST", CREATE_IMAGE, kind="delay_after", delay_seconds=1.5)), SUCCESS, creates=1),
    Case("replicate", "reset-after-create", "video",
         _r(Fault("POST", CREATE_VIDEO, kind="reset_after"), script=VIDEO_OK, model=VEO_MODEL), SUCCESS, creates=1),
    Case("replicate", "timeout-download", "image",
         _r(Fault("GET", "/files/", kind="delay", delay_seconds=3.0)), SUCCESS, creates=1),
    Case("replicate", "reset-poll", "image", _r(Fault("GET", POLL, kind="reset", times=2)), SUCCESS, creates=1),
    # Nothing was made (the fake resets before serving): sent again once.
    Case("replicate", "reset-create", "image", _r(Fault("POST", CREATE_IMAGE, kind="reset")), SUCCESS, creates=2,
         made=1),
    Case("replicate", "truncated-download", "video",
         _r(Fault("GET", "/files/", kind="truncate"), script=VIDEO_OK, model=VEO_MODEL), SUCCESS, creates=1),
    Case("replicate", "truncated-download-always", "image",
         _r(Fault("GET", "/files/", kind="truncate", times=None)), UNAVAILABLE, creates=1),
    Case("replicate", "malformed-json-poll", "image",
         _r(Fault("GET", POLL, kind="raw", body=b'{"id": "x", "status": "proc')), SUCCESS, creates=1),
    Case("replicate", "malformed-json-create", "image",
         _r(Fault("POST", CREATE_IMAGE, kind="raw", body=b'{"id": ,}')), SUCCESS, creates=2, made=1),
    Case("replicate", "safety-filtered-empty", "image",
         _r(script=PredictionScript(output="empty_list")), POLICY, creates=1),
    Case("replicate", "aborted-once", "image", _r(once=PredictionScript(outcome="aborted")), SUCCESS, creates=2),
    Case("replicate", "aborted-always", "image", _r(script=PredictionScript(outcome="aborted")), UNAVAILABLE,
         creates=ATTEMPTS),
    # ------------------------------------------------------------ Gemini
    Case("gemini", "429-retry-after", "image", _g(PREDICT, HttpError(429, retry_after="0.3")), SUCCESS, creates=2),
    Case("gemini", "500-create", "image", _g(PREDICT, HttpError(500)), SUCCESS, creates=2),
    Case("gemini", "500-poll", "video", _g(GET_OPERATION, HttpError(500), default=VEO_OK), SUCCESS, creates=1),
    Case("gemini", "timeout-poll", "video", _g(GET_OPERATION, Slow(1.5), default=VEO_OK), SUCCESS, creates=1),
    Case("gemini", "timeout-create", "image", _g(PREDICT, Slow(2.5)), UNAVAILABLE, creates=1),
    Case("gemini", "timeout-download", "video", _g(DOWNLOAD, Slow(3.0), default=VEO_OK), SUCCESS, creates=1),
    Case("gemini", "reset-poll", "video", _g(GET_OPERATION, Reset(), default=VEO_OK), SUCCESS, creates=1),
    Case("gemini", "reset-create", "image", _g(PREDICT, Reset()), UNAVAILABLE, creates=1),
    Case("gemini", "truncated-download", "video", _g(DOWNLOAD, Truncated(), default=VEO_OK), SUCCESS, creates=1),
    Case("gemini", "malformed-json-poll", "video",
         _g(GET_OPERATION, RawBody(b'{"name": "models/x/operations/1", "done": tr'), default=VEO_OK), SUCCESS,
         creates=1),
    Case("gemini", "malformed-json-create", "image", _g(PREDICT, RawBody(b'{"predictions": [{"bytes')),
         UNAVAILABLE, creates=1),
    Case("gemini", "safety-filtered-empty-image", "image", _g(PREDICT, ImagesFiltered()), POLICY, creates=1),
    Case("gemini", "safety-filtered-empty-video", "video",
         _g(PREDICT_LONG_RUNNING, Operation(polls=1, outcome=VideoFiltered()), default=VEO_OK), POLICY, creates=1),
    Case("gemini", "aborted", "video",
         _g(PREDICT_LONG_RUNNING, Operation(polls=1, outcome=OperationFailed(10, "The operation was aborted.")),
            default=VEO_OK), SUCCESS, creates=2),
]


def _creates(case: Case, fake) -> int:
    if case.backend == "replicate":
        return fake.create_count()
    return fake.count(PREDICT if case.media == "image" else PREDICT_LONG_RUNNING)


def _orphans(case: Case, fake) -> list[str]:
    """Upstream work left running: predictions the job created (its id was
    read) that are neither finished nor cancelled."""
    if case.backend != "replicate":
        return []
    return [pid for pid in fake.prediction_ids if fake.prediction(pid)["status"] not in TERMINAL_STATUSES]


def _assert_complete(media: str, content: bytes, tmp_path: Path) -> None:
    if media == "image":
        with Image.open(io.BytesIO(content)) as image:
            image.load()  # decodes to the last byte
        return
    path = tmp_path / "stored.mp4"
    path.write_bytes(content)
    check_video(path, aspect_ratio="16:9", expected_duration_seconds=4.0)


async def _run(case: Case, fake, tmp_path: Path) -> dict:
    backend = (replicate_backend(fake, request_timeout_seconds=TIMEOUT_SECONDS, download_timeout_seconds=2.0)
               if case.backend == "replicate"
               else gemini_backend(fake, request_timeout_seconds=TIMEOUT_SECONDS, image_timeout_seconds=1.0,
                                   download_timeout_seconds=2.0))
    options = fast_options(
        tmp_path, image_backends=(case.backend,), video_backends=(case.backend,), job_timeout_seconds=BUDGET_SECONDS,
        retry=RetryPolicy(max_attempts=ATTEMPTS, initial_delay_seconds=0.05, max_delay_seconds=2.0),
    )
    harness = Harness(tmp_path, {case.backend: backend}, options)
    harness.checks = output_gate()
    work = (ImageRequest(prompt="the lighthouse in a storm") if case.media == "image"
            else VideoRequest(prompt="waves break on the rocks", duration_seconds=4))
    began = time.monotonic()
    try:
        runner = await harness.runner()
        job = await runner.start_job("projects/p1", JobKind.IMAGE if case.media == "image" else JobKind.VIDEO,
                                     SpecEcho(case.media, b""), items=[ItemPlan("output", work)])
        hung = False
        try:
            await events_until_end(runner, job.name, timeout=BUDGET_SECONDS + 5)
        except TimeoutError:
            hung = True
        done = await runner.get_job(job.name)
    finally:
        await harness.close()
        await backend.aclose()
    return {
        "job": done, "hung": hung, "seconds": time.monotonic() - began, "outputs": harness.outputs,
        "leftovers": [p for p in (tmp_path / "scratch").rglob("*") if p.is_file()],
    }


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
async def test_upstream_fault(case: Case, tmp_path: Path) -> None:
    for round_number in range(ROUNDS):
        fake = FakeReplicate() if case.backend == "replicate" else FakeGemini()
        with fake:
            if case.backend == "gemini" and case.media == "video":
                fake.set_default(*VEO_OK)
            if case.backend == "replicate" and case.media == "video":
                fake.script(VEO_MODEL, VIDEO_OK)
            case.arrange(fake)
            result = await _run(case, fake, tmp_path / f"round-{round_number}")
            creates, orphans = _creates(case, fake), _orphans(case, fake)
            made = len(fake.prediction_ids) if case.backend == "replicate" else None
        job = result["job"]
        outcome = job.state.value if job.state is JobState.SUCCEEDED else (job.error.reason.value if job.error else "")
        if LONG:
            print(f"\n{case.id} round {round_number + 1}: {outcome} after {job.items[0].attempts} attempts, "
                  f"{creates} creates, {result['seconds']:.2f}s, hung={result['hung']}")
        assert not result["hung"], f"{case.id}: no end within {BUDGET_SECONDS}s"
        assert job.state.is_terminal and result["seconds"] < BUDGET_SECONDS + 5
        assert outcome == case.expect, job.error
        if job.state is not JobState.SUCCEEDED:
            assert job.error.reason is not ErrorReason.INTERNAL
            assert result["outputs"].calls == 0 and result["outputs"].contents == {}  # nothing partial stored
        else:
            [content] = result["outputs"].contents.values()
            _assert_complete(case.media, content, tmp_path)
        assert result["leftovers"] == []
        if case.creates is not None:
            assert creates == case.creates
        if case.made is not None:
            assert made == case.made
        if case.backend == "gemini" or case.fault != "timeout-create":
            assert orphans == []
