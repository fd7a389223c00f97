"""Replicate backend: ``google/imagen-4`` images and ``google/veo-3.1`` video.

Flow: create the prediction without ``Prefer: wait``, hand its id to
``started`` at once (so the job is durable before any polling), poll it on a
bounded, growing interval under an overall deadline, read progress from its
logs, then stream the output file to disk with a size bound. ``resume``
re-attaches to an existing prediction id without creating a new one.

Things the ``replicate`` 1.0.7 SDK does not do for us (see /work/shared/FACTS.md):

- ``wait()``/``run()`` have no overall timeout and ``"aborted"`` is not a status
  its ``Prediction`` model accepts: ``predictions.get`` raises a pydantic
  ``ValidationError`` for it. We poll ourselves and read the status out of that
  error.
- A create ``POST`` is never retried by the SDK (good: no double charge), but its
  transport retries ``GET``s on 429/503/504, sleeping for the whole
  ``Retry-After`` without a cap: every SDK call here runs under ``wait_for``.
- ``ReplicateError`` keeps the problem+json fields but not the response headers,
  so ``Retry-After`` is captured by an httpx response hook.
- ``predictions.get`` returns output URLs as plain strings (``FileOutput`` only
  comes from ``run()`` and only for https/data URLs), so we download them with
  our own httpx client, which never sends the API token to the output host.
- An NSFW result can be ``succeeded`` with an empty output (#397).

A create whose answer is lost (reset, unreadable body, no answer in time) may
or may not have made a prediction, which would then run and bill with no id we
know. It is reconciled against the account's recent predictions
(``predictions.async_list``, newest first, at most two pages, within one
request timeout): a prediction of the same model, with the same input, created
at most a minute (clock skew) before the create was sent and not already
followed by this backend, is adopted as if the create had answered with it.
When the listing shows that nothing was made, the create is sent again (at
most three creates in all). When that cannot be told (the listing fails, does
not reach back far enough, or holds an input file that cannot be checked), the
job fails as before, without a second create: it could be paid twice. After a
timeout the request may still be in flight, so "not listed" is not proof that
nothing will be made: the listing is repeated until one request timeout has
passed and the create is never sent again. File inputs are compared by
content: a ``data:`` URL by its decoded bytes, an uploaded file by the sha256
the files API reports for it.

Cancelling the asyncio task that runs a generation does not cancel the upstream
prediction (a service shutdown must leave it running so that ``resume`` can
re-attach); the job runner calls :meth:`ReplicateBackend.cancel` for a user's
cancel.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import contextvars
import hashlib
import json
import logging
import os
import re
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence, TypeVar

import httpx
import replicate
from replicate.exceptions import ModelError, ReplicateError
from replicate.resource import pydantic as _sdk_pydantic

from services.media.backends.base import (
    BackendError,
    FailureReason,
    ImageRequest,
    ProgressSink,
    RenderOutput,
    UpstreamStarted,
    VideoRequest,
    check_polling_settings,
)
from services.media.backends.http_failures import NOT_SENT, unavailable, unknown_create
from services.runtime.retry_hints import parse_retry_after

_LOGGER = logging.getLogger(__name__)

IMAGE_MODEL = "google/imagen-4"
VIDEO_MODEL = "google/veo-3.1"

IMAGEN_ASPECT_RATIOS = frozenset({"1:1", "9:16", "16:9", "3:4", "4:3"})
IMAGEN_OUTPUT_FORMATS = {"png": "png", "jpg": "jpg", "jpeg": "jpg"}
IMAGEN_SAFETY_LEVELS = frozenset({"block_low_and_above", "block_medium_and_above", "block_only_high"})
VEO_ASPECT_RATIOS = frozenset({"16:9", "9:16"})
VEO_DURATIONS = frozenset({4, 6, 8})
VEO_RESOLUTIONS = frozenset({"720p", "1080p"})
VEO_MAX_REFERENCE_IMAGES = 3

FINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})

MAX_CREATES = 3  # creates per render when earlier ones lost their answers and made nothing
CREATE_CLOCK_SKEW = timedelta(seconds=60)  # how far before our send a prediction's created_at may be
RECONCILE_PAGES = 2  # pages of the prediction listing read to find a lost create's prediction
_CLAIMED_LIMIT = 4096  # prediction ids remembered as followed by this backend

_MIB = 1024 * 1024
_MODEL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*$")
_PREDICTION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")
_CONTENT_POLICY = re.compile(
    r"nsfw|flagged as sensitive|sensitive content|content polic|safety|\bE005\b|responsible ai", re.IGNORECASE
)
_THROTTLE_DETAIL = re.compile(r"available in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)
_FILE_URL = re.compile(r"^https?://[^/?#]+/v1/files/([A-Za-z0-9_-]{1,64})$")

T = TypeVar("T")

# A per-call holder the httpx response hook writes Retry-After into. It is a
# mutable dict so that the value survives the context copy made by wait_for.
_RESPONSE_NOTES: contextvars.ContextVar[dict[str, str] | None] = contextvars.ContextVar(
    "replicate_response_notes", default=None
)


async def _note_response(response: httpx.Response) -> None:
    notes = _RESPONSE_NOTES.get()
    if notes is not None and response.status_code == 429:
        notes["retry-after"] = response.headers.get("retry-after", "")


@dataclass(frozen=True)
class _Snapshot:
    """What we need of a prediction, from the SDK object or from an error."""

    id: str
    status: str
    model: str = ""
    version: str = ""
    output: Any = None
    error: str | None = None
    logs: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    created_at: str | None = None


class _LostCreate(Exception):
    """A create was sent and its answer not read. ``in_flight``: we stopped
    waiting, so the server may still be making it; else the exchange ended."""

    def __init__(self, what: str, detail: str, *, in_flight: bool) -> None:
        super().__init__(f"{what}: {detail}")
        self.what = what
        self.detail = detail
        self.in_flight = in_flight


class _Inconclusive(Exception):
    """Whether a lost create made a prediction cannot be told."""


class ReplicateBackend:
    """:class:`~services.media.backends.base.MediaBackend` over the Replicate API.

    ``allow_http_outputs`` (default: whether ``base_url`` is plain http) lets
    output URLs be fetched over plain http; production outputs are https.
    Create one instance per event loop (the SDK's httpx client binds to it) and
    ``await aclose()`` it on shutdown.
    """

    name = "replicate"

    def __init__(
        self,
        api_token: str,
        *,
        base_url: str | None = None,
        image_model: str = IMAGE_MODEL,
        video_model: str = VIDEO_MODEL,
        poll_interval_seconds: float = 2.0,
        max_poll_interval_seconds: float = 10.0,
        image_timeout_seconds: float = 300.0,
        video_timeout_seconds: float = 900.0,
        request_timeout_seconds: float = 60.0,
        max_poll_errors: int = 3,
        max_image_bytes: int = 50 * _MIB,
        max_video_bytes: int = 512 * _MIB,
        max_reference_bytes: int = 20 * _MIB,
        download_timeout_seconds: float = 300.0,
        download_attempts: int = 3,
        file_encoding_strategy: str = "url",
        allow_http_outputs: bool | None = None,
    ) -> None:
        if not api_token:
            raise ValueError("api_token is required")
        check_polling_settings(
            {
                "poll_interval_seconds": poll_interval_seconds,
                "image_timeout_seconds": image_timeout_seconds,
                "video_timeout_seconds": video_timeout_seconds,
                "request_timeout_seconds": request_timeout_seconds,
                "download_timeout_seconds": download_timeout_seconds,
            },
            poll_interval_seconds=poll_interval_seconds,
            max_poll_interval_seconds=max_poll_interval_seconds,
            download_attempts=download_attempts,
            max_poll_errors=max_poll_errors,
        )
        if file_encoding_strategy not in ("url", "base64"):
            raise ValueError("file_encoding_strategy must be 'url' or 'base64'")
        self._image_model = _checked_model(image_model)
        self._video_model = _checked_model(video_model)
        self._poll_interval = poll_interval_seconds
        self._max_poll_interval = max_poll_interval_seconds
        self._timeouts = {"image": image_timeout_seconds, "video": video_timeout_seconds}
        self._request_timeout = request_timeout_seconds
        self._max_poll_errors = max_poll_errors
        self._max_bytes = {"image": max_image_bytes, "video": max_video_bytes}
        self._max_reference_bytes = max_reference_bytes
        self._download_timeout = download_timeout_seconds
        self._download_attempts = download_attempts
        self._file_encoding_strategy = file_encoding_strategy
        if allow_http_outputs is None:
            allow_http_outputs = bool(base_url and base_url.startswith("http://"))
        self._allow_http_outputs = allow_http_outputs
        # We own the transport so that aclose() can release its connections.
        self._transport = httpx.AsyncHTTPTransport()
        self._client = replicate.Client(
            api_token=api_token,
            base_url=base_url,
            timeout=httpx.Timeout(request_timeout_seconds, connect=min(10.0, request_timeout_seconds)),
            transport=self._transport,
            event_hooks={"response": [_note_response]},
        )
        # Ids of predictions this backend follows: never adopted for another create.
        self._claimed: OrderedDict[str, None] = OrderedDict()
        self._downloads = httpx.AsyncClient(
            timeout=httpx.Timeout(60.0, connect=10.0),
            follow_redirects=True,
            headers={"User-Agent": "previs-media"},
        )

    async def aclose(self) -> None:
        await self._downloads.aclose()
        await self._transport.aclose()

    # ------------------------------------------------------------ MediaBackend
    async def generate_image(
        self, request: ImageRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput:
        model = _model_for(request.model, self._image_model)
        return await self._render("image", model, imagen_input(request), out_dir, progress, started)

    async def generate_video(
        self,
        request: VideoRequest,
        out_dir: Path,
        progress: ProgressSink,
        started: UpstreamStarted,
        *,
        reference_images: Sequence[Path] = (),
    ) -> RenderOutput:
        """``reference_images`` (1–3 local files, 16:9 and 8 s only) asks Veo
        for subject-consistent video; ``request.reference_image`` is the first
        frame and ``request.last_frame`` the last."""
        model = _model_for(request.model, self._video_model)
        input_ = veo_input(request, reference_images)
        self._check_reference_sizes(input_)
        return await self._render("video", model, input_, out_dir, progress, started)

    async def resume(self, upstream_id: str, kind: str, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        _checked_id(upstream_id)
        if kind not in self._timeouts:
            raise BackendError(FailureReason.INVALID_INPUT, f"unknown output kind {kind!r}")
        self._claim(upstream_id)
        snapshot = await self._fetch(upstream_id, self._request_timeout)
        loop = asyncio.get_running_loop()
        remaining = self._timeouts[kind] - _age_seconds(snapshot.created_at)
        _LOGGER.info("re-attaching to replicate prediction %s (%s, %.0fs left)", upstream_id, snapshot.status, remaining)
        return await self._follow(snapshot, kind, out_dir, progress, loop.time() + max(remaining, 0.0))

    async def cancel(self, upstream_id: str) -> None:
        _checked_id(upstream_id)
        try:
            await self._call("cancel", lambda: self._client.predictions.async_cancel(upstream_id), self._request_timeout)
        except _sdk_pydantic.ValidationError:
            return  # finished with a status the SDK does not know ("aborted")
        except BackendError as exc:
            _LOGGER.warning("cancel of replicate prediction %s failed: %s", upstream_id, exc.message)

    # ------------------------------------------------------------ create/poll
    async def _render(
        self,
        kind: str,
        model: str,
        input_: dict[str, Any],
        out_dir: Path,
        progress: ProgressSink,
        started: UpstreamStarted,
    ) -> RenderOutput:
        deadline = asyncio.get_running_loop().time() + self._timeouts[kind]
        snapshot = await self._create(model, input_)
        _LOGGER.info("replicate prediction %s created for %s", snapshot.id, model)
        try:
            await started(snapshot.id)
        except BaseException:
            # Nobody could re-attach to it: do not leave it running and billing.
            await self._cancel_quietly(snapshot.id)
            raise
        return await self._follow(snapshot, kind, out_dir, progress, deadline)

    async def _create(self, model: str, input_: dict[str, Any]) -> _Snapshot:
        """Create the prediction; a create whose answer was lost is reconciled
        (adopted when found, sent again when surely never made)."""
        for attempt in range(1, MAX_CREATES + 1):
            sent_at = datetime.now(timezone.utc)
            try:
                snapshot = await self._create_once(model, input_)
            except _LostCreate as lost:
                found = await self._reconcile(model, input_, sent_at, lost)
                if found is None:
                    _LOGGER.warning("create %d on %s made no prediction (%s)", attempt, model, lost.detail)
                    continue
                snapshot = found
            self._claim(snapshot.id)
            return snapshot
        raise unavailable(f"create on {model}: {MAX_CREATES} creates lost their answers and none made a prediction")

    async def _create_once(self, model: str, input_: dict[str, Any]) -> _Snapshot:
        what = f"create on {model}"
        with contextlib.ExitStack() as files:
            sdk_input = {key: _open_files(files, value) for key, value in input_.items()}
            try:
                prediction = await self._call(
                    what,
                    lambda: self._client.models.predictions.async_create(
                        model=model, input=sdk_input, file_encoding_strategy=self._file_encoding_strategy
                    ),
                    self._request_timeout,
                    create=True,
                )
            except _sdk_pydantic.ValidationError as exc:
                raise _LostCreate(what, f"unreadable prediction: {exc}", in_flight=False) from exc
        return _snapshot(prediction)

    # ------------------------------------------------------------ lost creates
    async def _reconcile(
        self, model: str, input_: dict[str, Any], sent_at: datetime, lost: _LostCreate
    ) -> _Snapshot | None:
        """The prediction a lost create made (adopted), or None when the
        listing shows it made none; raises the unknown-create failure when
        that cannot be told. After a timeout the create may still be in
        flight: the listing is read again until one request timeout has
        passed, and "not listed" is never taken as "not made"."""
        _LOGGER.warning("answer to %s lost (%s); looking for the prediction it made", lost.what, lost.detail)
        loop = asyncio.get_running_loop()
        until = loop.time() + self._request_timeout
        pause = min(max(self._request_timeout / 4, self._poll_interval), 5.0)
        while True:
            try:
                found = await self._look_for(model, input_, sent_at - CREATE_CLOCK_SKEW, until)
            except _Inconclusive as exc:
                raise unknown_create(lost.what, f"{lost.detail}; {exc}") from lost
            if found is not None:
                return await self._adopt(found)
            if not lost.in_flight:
                return None
            if loop.time() + pause >= until:
                raise unknown_create(lost.what, f"{lost.detail}; not listed yet, and it may still be in flight")
            await asyncio.sleep(pause)

    async def _look_for(self, model: str, input_: dict[str, Any], since: datetime, until: float) -> Any | None:
        """The first listed prediction that is this create's, or None when
        the listing reaches back past ``since`` without one. The one found
        is claimed at once, so no other create adopts it."""
        cursor: Any = ...
        for _ in range(RECONCILE_PAGES):
            page = await self._list_page(cursor, until)
            for prediction in page.results:
                created = _parse_time(prediction.created_at)
                if created is not None and created < since:
                    return None  # newest first: the rest is older still
                if await self._is_ours(prediction, model, input_, created, until):
                    self._claim(prediction.id)
                    return prediction
            if page.next is None:
                return None
            cursor = page.next
        raise _Inconclusive(f"{RECONCILE_PAGES} pages of predictions did not reach back to {since.isoformat()}")

    async def _list_page(self, cursor: Any, until: float) -> Any:
        timeout = max(0.05, until - asyncio.get_running_loop().time())
        try:
            return await self._call(
                "list predictions", lambda: self._client.predictions.async_list(cursor), timeout
            )
        except BackendError as exc:
            raise _Inconclusive(f"the prediction listing failed: {exc.message}") from exc
        except (_sdk_pydantic.ValidationError, KeyError, TypeError) as exc:
            # e.g. an "aborted" prediction on the page, which the SDK cannot read
            raise _Inconclusive(f"the prediction listing could not be read: {type(exc).__name__}") from exc

    async def _is_ours(
        self, prediction: Any, model: str, input_: dict[str, Any], created: datetime | None, until: float
    ) -> bool:
        """Same model, same input (files by content), not already followed."""
        if prediction.model != model or prediction.id in self._claimed:
            return False
        if not isinstance(prediction.input, dict):
            raise _Inconclusive(f"prediction {prediction.id} of {model} is listed without its input")
        if not _same_plain_input(input_, prediction.input):
            return False
        if created is None:
            raise _Inconclusive(f"prediction {prediction.id} has an unreadable created_at {prediction.created_at!r}")
        for key, value in input_.items():
            if _is_file_value(value) and not await self._same_files(value, prediction.input[key], until):
                return False
        return prediction.id not in self._claimed  # another create may have claimed it meanwhile

    async def _same_files(self, ours: Path | list[Path], theirs: Any, until: float) -> bool:
        pairs = zip(ours, theirs) if isinstance(ours, list) else [(ours, theirs)]
        for path, reference in pairs:
            if await self._reference_digest(reference, until) != await asyncio.to_thread(_file_sha256, path):
                return False
        return True

    async def _reference_digest(self, reference: str, until: float) -> str | None:
        """The sha256 of a file input as Replicate holds it: a data URL's
        bytes, or what the files API reports for an uploaded file."""
        if reference.startswith("data:"):
            return _data_url_sha256(reference)
        match = _FILE_URL.match(reference)
        if match is None:
            raise _Inconclusive(f"file input {reference[:80]!r} cannot be checked")
        timeout = max(0.05, until - asyncio.get_running_loop().time())
        try:
            uploaded = await self._call(
                f"get file {match[1]}", lambda: self._client.files.async_get(match[1]), timeout
            )
        except (BackendError, _sdk_pydantic.ValidationError) as exc:
            raise _Inconclusive(f"file input {match[1]} could not be checked") from exc
        digest = (uploaded.checksums or {}).get("sha256")
        if not digest:
            raise _Inconclusive(f"file input {match[1]} has no sha256")
        return digest.lower()

    async def _adopt(self, prediction: Any) -> _Snapshot:
        _LOGGER.info(
            "adopting replicate prediction %s (%s), made by a create whose answer was lost",
            prediction.id,
            prediction.status,
        )
        try:
            return await self._fetch(prediction.id, self._request_timeout)
        except BackendError as exc:
            # The listing may leave the output out: the poll loop reads it.
            _LOGGER.warning("first read of adopted prediction %s failed: %s", prediction.id, exc.message)
            return _Snapshot(
                id=prediction.id, status="starting", model=prediction.model or "", created_at=prediction.created_at
            )

    def _claim(self, prediction_id: str) -> None:
        self._claimed[prediction_id] = None
        self._claimed.move_to_end(prediction_id)
        while len(self._claimed) > _CLAIMED_LIMIT:
            self._claimed.popitem(last=False)

    async def _follow(
        self, snapshot: _Snapshot, kind: str, out_dir: Path, progress: ProgressSink, deadline: float
    ) -> RenderOutput:
        loop = asyncio.get_running_loop()
        reporter = _ProgressReporter(progress)
        await reporter.update(snapshot)
        interval, errors = self._poll_interval, 0
        while snapshot.status not in FINAL_STATUSES:
            remaining = deadline - loop.time()
            if remaining <= 0:
                await self._cancel_quietly(snapshot.id)
                raise BackendError(
                    FailureReason.TIMEOUT,
                    f"replicate prediction {snapshot.id} not finished within {self._timeouts[kind]:.0f}s "
                    f"(last status {snapshot.status}); cancelled upstream",
                )
            await asyncio.sleep(min(interval, remaining))
            interval = min(interval * 1.5, self._max_poll_interval)
            try:
                call_timeout = max(0.05, min(self._request_timeout, deadline - loop.time()))
                snapshot = await self._fetch(snapshot.id, call_timeout)
                errors = 0
            except BackendError as exc:
                errors += 1
                if not exc.retryable or errors > self._max_poll_errors:
                    await self._cancel_quietly(snapshot.id)
                    raise
                _LOGGER.warning("poll %d of replicate prediction %s failed: %s", errors, snapshot.id, exc.message)
                continue
            await reporter.update(snapshot)
        return await self._finish(snapshot, kind, out_dir, reporter)

    async def _fetch(self, prediction_id: str, timeout: float) -> _Snapshot:
        try:
            prediction = await self._call(
                f"get {prediction_id}", lambda: self._client.predictions.async_get(prediction_id), timeout
            )
        except _sdk_pydantic.ValidationError as exc:
            status = _unlisted_status(exc)
            if status is None:
                raise unavailable(f"get {prediction_id}: unreadable prediction: {exc}") from exc
            return _Snapshot(id=prediction_id, status=status)
        return _snapshot(prediction)

    async def _cancel_quietly(self, prediction_id: str) -> None:
        with contextlib.suppress(Exception):
            async with asyncio.timeout(min(self._request_timeout, 10.0)):
                await self.cancel(prediction_id)

    async def _call(self, what: str, call: Callable[[], Awaitable[T]], timeout: float, *, create: bool = False) -> T:
        """Run one SDK call under a deadline and map its errors. A create
        whose request may have reached Replicate without us reading the
        answer (timeout, reset, unreadable body) raises :class:`_LostCreate`
        for ``_create`` to reconcile: the prediction may exist, and a blind
        second create could be paid twice."""
        notes: dict[str, str] = {}
        token = _RESPONSE_NOTES.set(notes)
        try:
            async with asyncio.timeout(timeout):
                return await call()
        except ReplicateError as exc:
            raise _from_replicate_error(exc, what, notes.get("retry-after")) from exc
        except ModelError as exc:
            raise _from_failed(str(exc.prediction.error or exc), what) from exc
        except NOT_SENT as exc:
            raise unavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        except httpx.TransportError as exc:
            if create:
                in_flight = isinstance(exc, httpx.TimeoutException)
                raise _LostCreate(what, f"{type(exc).__name__}: {exc}", in_flight=in_flight) from exc
            raise unavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        except asyncio.TimeoutError as exc:
            if create:
                raise _LostCreate(what, f"no answer within {timeout:.1f}s", in_flight=True) from exc
            raise unavailable(f"{what}: no answer within {timeout:.1f}s") from exc
        except _sdk_pydantic.ValidationError:
            raise  # a status the SDK does not know: read by the caller
        except ValueError as exc:  # a body that is not JSON (json.JSONDecodeError)
            if create:
                raise _LostCreate(what, f"unreadable answer: {exc}", in_flight=False) from exc
            raise unavailable(f"{what}: unreadable answer: {exc}") from exc
        finally:
            _RESPONSE_NOTES.reset(token)

    # ------------------------------------------------------------ outputs
    async def _finish(self, snapshot: _Snapshot, kind: str, out_dir: Path, reporter: "_ProgressReporter") -> RenderOutput:
        if snapshot.status == "canceled":
            raise BackendError(FailureReason.CANCELLED, f"replicate prediction {snapshot.id} was cancelled")
        if snapshot.status == "aborted":
            raise BackendError(
                FailureReason.BACKEND_UNAVAILABLE,
                f"replicate prediction {snapshot.id} was aborted upstream",
                retryable=True,
                failover=True,
                upstream_ended=True,
            )
        if snapshot.status == "failed":
            raise _from_failed(snapshot.error or "no error given", f"prediction {snapshot.id}")
        url = _output_url(snapshot.output)
        if url is None:
            raise BackendError(
                FailureReason.CONTENT_POLICY_VIOLATION,
                f"replicate prediction {snapshot.id} succeeded with an empty output (filtered as unsafe)",
            )
        await reporter.emit(0.92, "downloading output")
        path, media_type = await self._download(url, kind, out_dir, snapshot.id)
        await reporter.emit(1.0, "output downloaded")
        predict_time = snapshot.metrics.get("predict_time")
        return RenderOutput(
            path=path,
            media_type=media_type,
            backend=self.name,
            model=snapshot.model,
            upstream_id=snapshot.id,
            predict_time_seconds=float(predict_time) if isinstance(predict_time, (int, float)) else None,
            extra={"replicate_version": snapshot.version} if snapshot.version else {},
        )

    async def _download(self, url: str, kind: str, out_dir: Path, prediction_id: str) -> tuple[Path, str]:
        limit = self._max_bytes[kind]
        out_dir.mkdir(parents=True, exist_ok=True)
        part = out_dir / f".replicate-{uuid.uuid4().hex}.part"
        try:
            if url.startswith("data:"):
                _write_data_url(url, part, limit)
            else:
                await self._fetch_file(self._checked_output_url(url), part, limit, prediction_id)
            media_type, suffix = _sniff(part)
            if not media_type.startswith(f"{kind}/"):
                raise BackendError(
                    FailureReason.INVALID_OUTPUT, f"prediction {prediction_id} returned {media_type}, wanted {kind}"
                )
            final = out_dir / f"replicate-{kind}-{uuid.uuid4().hex}{suffix}"
            os.replace(part, final)
            return final, media_type
        finally:
            part.unlink(missing_ok=True)

    def _checked_output_url(self, url: str) -> str:
        scheme = url.split(":", 1)[0].lower()
        if scheme == "https" or (scheme == "http" and self._allow_http_outputs):
            return url
        raise BackendError(FailureReason.INVALID_OUTPUT, f"refusing to download output over {scheme!r}")

    async def _fetch_file(self, url: str, part: Path, limit: int, prediction_id: str) -> None:
        last_error = ""
        for attempt in range(1, self._download_attempts + 1):
            try:
                async with asyncio.timeout(self._download_timeout):
                    await self._stream_to(url, part, limit)
                return
            except (httpx.TransportError, _TransientDownload, asyncio.TimeoutError) as exc:
                last_error = f"{type(exc).__name__}: {exc}"
                _LOGGER.warning("download %d of prediction %s output failed: %s", attempt, prediction_id, last_error)
            if attempt < self._download_attempts:
                await asyncio.sleep(min(0.2 * attempt, 2.0))
        raise unavailable(
            f"output of prediction {prediction_id} could not be downloaded in "
            f"{self._download_attempts} attempts ({last_error})"
        )

    async def _stream_to(self, url: str, part: Path, limit: int) -> None:
        async with self._downloads.stream("GET", url) as response:
            if response.status_code == 429 or response.status_code >= 500:
                raise _TransientDownload(f"output host answered {response.status_code}")
            if response.status_code >= 400:
                raise BackendError(FailureReason.INVALID_OUTPUT, f"output host answered {response.status_code}")
            declared = _content_length(response)
            if declared is not None and declared > limit:
                raise BackendError(FailureReason.INVALID_OUTPUT, f"output is {declared} bytes, limit {limit}")
            written = 0
            with part.open("wb") as sink:
                async for chunk in response.aiter_bytes(256 * 1024):
                    written += len(chunk)
                    if written > limit:
                        raise BackendError(FailureReason.INVALID_OUTPUT, f"output exceeds the {limit}-byte limit")
                    sink.write(chunk)
            if declared is not None and written != declared:
                raise _TransientDownload(f"output truncated at {written} of {declared} bytes")

    def _check_reference_sizes(self, input_: dict[str, Any]) -> None:
        for value in input_.values():
            for path in value if isinstance(value, list) else [value]:
                if isinstance(path, Path) and path.stat().st_size > self._max_reference_bytes:
                    raise BackendError(
                        FailureReason.INVALID_INPUT,
                        f"reference image {path.name} is over {self._max_reference_bytes} bytes",
                    )


# ---------------------------------------------------------------- inputs
def imagen_input(request: ImageRequest) -> dict[str, Any]:
    """The ``google/imagen-4`` input for an image request (it takes no seed,
    negative prompt or reference images)."""
    prompt = _checked_prompt(request.prompt)
    if request.aspect_ratio not in IMAGEN_ASPECT_RATIOS:
        raise _unsupported(f"aspect_ratio {request.aspect_ratio!r} (imagen-4 takes {sorted(IMAGEN_ASPECT_RATIOS)})")
    output_format = IMAGEN_OUTPUT_FORMATS.get(request.output_format.lower())
    if output_format is None:
        raise _unsupported(f"output_format {request.output_format!r} (imagen-4 makes png or jpg)")
    if request.safety_filter_level not in IMAGEN_SAFETY_LEVELS:
        raise BackendError(FailureReason.INVALID_INPUT, f"unknown safety_filter_level {request.safety_filter_level!r}")
    return {
        "prompt": prompt,
        "aspect_ratio": request.aspect_ratio,
        "safety_filter_level": request.safety_filter_level,
        "output_format": output_format,
    }


def veo_input(request: VideoRequest, reference_images: Sequence[Path] = ()) -> dict[str, Any]:
    """The ``google/veo-3.1`` input; local files stay ``Path`` values and are
    opened as file handles for the SDK at create time."""
    if request.aspect_ratio not in VEO_ASPECT_RATIOS:
        raise _unsupported(f"aspect_ratio {request.aspect_ratio!r} (veo-3.1 takes 16:9 or 9:16)")
    if request.duration_seconds not in VEO_DURATIONS:
        raise _unsupported(f"duration {request.duration_seconds}s (veo-3.1 makes 4, 6 or 8 s)")
    if request.resolution not in VEO_RESOLUTIONS:
        raise _unsupported(f"resolution {request.resolution!r} (veo-3.1 makes 720p or 1080p)")
    input_: dict[str, Any] = {
        "prompt": _checked_prompt(request.prompt),
        "aspect_ratio": request.aspect_ratio,
        "duration": request.duration_seconds,
        "resolution": request.resolution,
        "generate_audio": bool(request.generate_audio),
    }
    if request.negative_prompt.strip():
        input_["negative_prompt"] = request.negative_prompt.strip()
    if request.seed is not None:
        if not 0 <= request.seed <= 0xFFFFFFFF:
            raise BackendError(FailureReason.INVALID_INPUT, f"seed {request.seed} is outside 0..2^32-1")
        input_["seed"] = int(request.seed)
    if request.reference_image is not None:
        input_["image"] = _checked_file(request.reference_image, "reference_image")
    if request.last_frame is not None:
        input_["last_frame"] = _checked_file(request.last_frame, "last_frame")
    if reference_images:
        if len(reference_images) > VEO_MAX_REFERENCE_IMAGES:
            raise _unsupported(f"{len(reference_images)} reference images (veo-3.1 takes 1 to 3)")
        if request.aspect_ratio != "16:9" or request.duration_seconds != 8:
            raise _unsupported("reference images with veo-3.1 need 16:9 and 8 seconds")
        input_["reference_images"] = [_checked_file(p, "reference_images") for p in reference_images]
    return input_


def progress_from_logs(logs: str | None) -> float | None:
    """The last percentage in the logs as a fraction in [0, 1], if any."""
    for match in reversed(_PERCENT.findall(logs or "")):
        value = float(match)
        if 0.0 <= value <= 100.0:
            return value / 100.0
    return None


# ---------------------------------------------------------------- helpers
class _TransientDownload(Exception):
    """A download failure worth another attempt (5xx, truncated body)."""


class _ProgressReporter:
    """Reports monotonic progress, once per change."""

    def __init__(self, sink: ProgressSink) -> None:
        self._sink = sink
        self._fraction = 0.0
        self._last: tuple[float, str] | None = None

    async def emit(self, fraction: float, message: str) -> None:
        self._fraction = max(self._fraction, min(max(fraction, 0.0), 1.0))
        current = (round(self._fraction, 4), message)
        if current != self._last:
            self._last = current
            await self._sink(self._fraction, message)

    async def update(self, snapshot: _Snapshot) -> None:
        if snapshot.status == "starting":
            await self.emit(0.0, "queued at Replicate")
        elif snapshot.status == "processing":
            fraction = progress_from_logs(snapshot.logs)
            if fraction is None:
                await self.emit(0.05, "rendering")
            else:
                await self.emit(0.05 + 0.85 * fraction, f"rendering {fraction * 100:.0f}%")


def _snapshot(prediction: Any) -> _Snapshot:
    return _Snapshot(
        id=prediction.id,
        status=prediction.status,
        model=prediction.model or "",
        version=prediction.version or "",
        output=prediction.output,
        error=prediction.error,
        logs=prediction.logs or "",
        metrics=dict(prediction.metrics or {}),
        created_at=prediction.created_at,
    )


def _unlisted_status(exc: Exception) -> str | None:
    """The status named in the SDK's validation error for a status its model
    does not list (``aborted`` in 1.0.7), else None."""
    for error in exc.errors():  # type: ignore[attr-defined]
        given = (error.get("ctx") or {}).get("given")
        if error.get("loc") == ("status",) and isinstance(given, str):
            return given
    return None


def _from_replicate_error(exc: ReplicateError, what: str, retry_after_header: str | None) -> BackendError:
    status = exc.status or 0
    text = " ".join(part for part in (exc.title, exc.detail) if part) or str(exc)
    message = f"{what}: Replicate answered {status or 'an error'}: {text}"
    if status == 429:
        return BackendError(
            FailureReason.RATE_LIMITED,
            message,
            retryable=True,
            failover=True,
            retry_after_seconds=_retry_after(retry_after_header, exc.detail),
        )
    if status in (400, 422):
        if _CONTENT_POLICY.search(text):
            return BackendError(FailureReason.CONTENT_POLICY_VIOLATION, message)
        return BackendError(FailureReason.INVALID_INPUT, message)
    if status >= 500 or status == 0:
        return BackendError(FailureReason.BACKEND_UNAVAILABLE, message, retryable=True, failover=True)
    # 401/402/403/404/409: this backend cannot serve the request; another may.
    return BackendError(FailureReason.BACKEND_UNAVAILABLE, message, failover=True)


def _from_failed(error: str, what: str) -> BackendError:
    if _CONTENT_POLICY.search(error):
        return BackendError(FailureReason.CONTENT_POLICY_VIOLATION, f"{what} was refused by the safety filter: {error}")
    return BackendError(FailureReason.BACKEND_UNAVAILABLE, f"{what} failed: {error}", failover=True)


def _retry_after(header: str | None, detail: str | None) -> float | None:
    hinted = parse_retry_after(header)
    if hinted is not None:
        return hinted
    match = _THROTTLE_DETAIL.search(detail or "")
    return float(match[1]) if match else None





def _unsupported(what: str) -> BackendError:
    return BackendError(FailureReason.INVALID_INPUT, f"unsupported by replicate: {what}", failover=True)


def _checked_prompt(prompt: str) -> str:
    if not prompt or not prompt.strip():
        raise BackendError(FailureReason.INVALID_INPUT, "prompt is empty")
    return prompt.strip()


def _checked_file(path: Path, label: str) -> Path:
    if not Path(path).is_file():
        raise BackendError(FailureReason.INVALID_INPUT, f"{label}: {path} is not a readable file")
    return Path(path)


def _checked_model(model: str) -> str:
    if not _MODEL_NAME.match(model):
        raise ValueError(f"not a Replicate model name (owner/name): {model!r}")
    return model


def _model_for(requested: str, default: str) -> str:
    if not requested:
        return default
    if not _MODEL_NAME.match(requested):
        raise _unsupported(f"model {requested!r} is not a Replicate owner/name")
    return requested


def _checked_id(upstream_id: str) -> str:
    if not _PREDICTION_ID.match(upstream_id or ""):
        raise BackendError(FailureReason.INVALID_INPUT, f"not a Replicate prediction id: {upstream_id!r}")
    return upstream_id


def _is_file_value(value: Any) -> bool:
    return isinstance(value, Path) or (isinstance(value, list) and any(isinstance(v, Path) for v in value))


def _same_plain_input(ours: dict[str, Any], theirs: Any) -> bool:
    """Same keys, equal non-file values (as JSON, so ``true`` is not ``1``),
    and a reference (a list of as many) where we sent a file (a list of them).
    File contents are compared apart, as that may need a request."""
    if not isinstance(theirs, dict) or set(theirs) != set(ours):
        return False
    for key, value in ours.items():
        other = theirs[key]
        if isinstance(value, Path):
            same = isinstance(other, str)
        elif _is_file_value(value):
            same = isinstance(other, list) and len(other) == len(value) and all(isinstance(o, str) for o in other)
        else:
            same = json.dumps(value, sort_keys=True) == json.dumps(other, sort_keys=True)
        if not same:
            return False
    return True


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as source:
        for chunk in iter(lambda: source.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _data_url_sha256(url: str) -> str | None:
    header, _, payload = url.partition(",")
    if not header.endswith(";base64"):
        return None
    try:
        return hashlib.sha256(base64.b64decode(payload, validate=True)).hexdigest()
    except binascii.Error:
        return None


def _parse_time(value: Any) -> datetime | None:
    """An RFC 3339 timestamp (``Z`` or an offset) as an aware datetime."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _open_files(files: contextlib.ExitStack, value: Any) -> Any:
    """Local paths become open binary handles; the SDK uploads them (or inlines
    them as data URLs with ``file_encoding_strategy="base64"``)."""
    if isinstance(value, Path):
        return files.enter_context(value.open("rb"))
    if isinstance(value, list):
        return [_open_files(files, item) for item in value]
    return value


def _output_url(output: Any) -> str | None:
    """Imagen and Veo answer one URL; some models a list of them."""
    if isinstance(output, list):
        output = next((item for item in output if item), None)
    if output is None or output == "":
        return None
    if not isinstance(output, str):
        raise BackendError(FailureReason.INVALID_OUTPUT, f"unexpected output shape {type(output).__name__}")
    return output


def _content_length(response: httpx.Response) -> int | None:
    with contextlib.suppress(TypeError, ValueError):
        return int(response.headers["content-length"])
    return None


def _write_data_url(url: str, part: Path, limit: int) -> None:
    header, _, payload = url.partition(",")
    if not header.endswith(";base64"):
        raise BackendError(FailureReason.INVALID_OUTPUT, "output data URL is not base64")
    if len(payload) * 3 // 4 > limit:
        raise BackendError(FailureReason.INVALID_OUTPUT, f"output exceeds the {limit}-byte limit")
    try:
        part.write_bytes(base64.b64decode(payload, validate=True))
    except binascii.Error as exc:
        raise BackendError(FailureReason.INVALID_OUTPUT, f"output data URL does not decode: {exc}") from exc


def _sniff(path: Path) -> tuple[str, str]:
    """Media type and suffix from the file's first bytes, never from the URL."""
    with path.open("rb") as source:
        head = source.read(16)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", ".png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", ".jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    if head[4:8] == b"ftyp":
        return "video/mp4", ".mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm", ".webm"
    raise BackendError(FailureReason.INVALID_OUTPUT, "output is not a PNG, JPEG, WebP, MP4 or WebM file")


def _age_seconds(created_at: str | None) -> float:
    if not created_at:
        return 0.0
    try:
        created = datetime.fromisoformat(created_at)
    except ValueError:
        return 0.0
    if created.tzinfo is None:
        created = created.replace(tzinfo=timezone.utc)
    return max((datetime.now(timezone.utc) - created).total_seconds(), 0.0)
