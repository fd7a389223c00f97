"""Gemini backend: Imagen images and Veo video through ``google-genai`` (API-key mode).

Images: one ``client.aio.models.generate_images`` call (Imagen's ``:predict``
is synchronous, so there is no upstream id to hand to ``started`` and nothing
to resume). Video: ``generate_videos`` creates a long-running operation whose
name goes to ``started`` at once; we poll it with ``operations.get`` on a
bounded, growing interval under an overall deadline, then download the file
with ``files.download``. ``resume`` polls an existing operation name again
without creating a new one.

What google-genai 2.19 does not do for us (see /work/shared/FACTS.md and
pyproject.toml for the pin):

- No timeout and no retries by default: every call runs with a per-request
  ``HttpOptions(timeout=...)`` and under ``asyncio.wait_for``; this backend
  retries only polls and downloads (creates are never retried here: a second
  create would be paid twice; the job runner decides, from ``retryable`` and
  ``failover`` on :class:`BackendError`).
- API-key mode refuses several parameters with ``ValueError`` before sending:
  Imagen ``negative_prompt`` and ``seed``, Veo ``seed`` and
  ``generate_audio``, ``BLOCK_NONE`` and ``ALLOW_ALL``. A negative prompt for
  Imagen is folded into the prompt; ignored settings are listed in
  ``RenderOutput.extra``.
- ``files.download`` only understands ``files/<id>`` or an ``https://``
  URI; any other URI (e.g. a plain-http test server) turns into a bogus path.
  We extract ``files/<id>`` from the operation's video URI ourselves, and
  the SDK always downloads from its own base URL with the API key.
- There is no operation cancel in the SDK (nor a documented one for Veo in
  the Gemini API): :meth:`GeminiMediaBackend.cancel` stops our polling at
  once and never calls upstream again for that operation.
- A safety-filtered result is not an error: Imagen answers with no image (or
  ``raiFilteredReason`` only) and Veo finishes ``done`` with
  ``raiMediaFilteredCount`` and no video (googleapis/python-genai#1560). Both
  become ``CONTENT_POLICY_VIOLATION``.

Imagen answers 16:9 as 1408x768 and 4:3 as 1280x896, 6–7 % off the exact
ratio, so the aspect check here allows ``aspect_tolerance`` (8 %) and mainly
catches portrait-for-landscape answers.
"""

from __future__ import annotations

import asyncio
import collections
import io
import json
import logging
import os
import re
import struct
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Awaitable, Callable, TypeVar
from urllib.parse import urlsplit

import httpx

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
from services.runtime.retry_hints import google_retry_hint as retry_hint_seconds

if TYPE_CHECKING:
    from services.media.settings import MediaSettings

_LOGGER = logging.getLogger(__name__)

IMAGE_MODEL = "imagen-4.0-generate-001"
VIDEO_MODEL = "veo-3.1-generate-preview"

IMAGEN_ASPECT_RATIOS = frozenset({"1:1", "3:4", "4:3", "9:16", "16:9"})
IMAGEN_SAFETY_LEVELS = frozenset({"BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH"})
IMAGEN_PERSON_GENERATION = frozenset({"DONT_ALLOW", "ALLOW_ADULT"})
IMAGEN_OUTPUT_FORMATS = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}
VEO_ASPECT_RATIOS = frozenset({"16:9", "9:16"})

_MIB = 1024 * 1024
_MODEL_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{0,127}$")
_OPERATION_NAME = re.compile(r"^models/([a-z0-9][a-z0-9.\-]{0,127})/operations/([a-z0-9]{1,128})$")
_FILE_ID = re.compile(r"(?:^|/)files/([a-z0-9]{1,128})(?::download)?$")
_CONTENT_POLICY = re.compile(
    r"safety|usage guidelines|responsible ai|\brai\b|blocked|sensitive|prohibited|policy", re.IGNORECASE
)
# google.rpc.Code numbers of an operation's ``error``.
_RPC_RETRYABLE = {2: "UNKNOWN", 4: "DEADLINE_EXCEEDED", 10: "ABORTED", 13: "INTERNAL", 14: "UNAVAILABLE"}
_CANCELLED_MEMORY = 10_000

T = TypeVar("T")


@dataclass(frozen=True)
class _Media:
    data: bytes
    media_type: str
    suffix: str


class GeminiMediaBackend:
    """:class:`~services.media.backends.base.MediaBackend` over the Gemini API.

    Create one instance per event loop (the SDK's async HTTP client binds to
    it) and ``await aclose()`` it on shutdown.
    """

    name = "gemini"

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str | None = None,
        api_version: str = "v1beta",
        image_model: str = IMAGE_MODEL,
        video_model: str = VIDEO_MODEL,
        request_timeout_seconds: float = 60.0,
        image_timeout_seconds: float = 120.0,
        video_timeout_seconds: float = 900.0,
        poll_interval_seconds: float = 10.0,
        max_poll_interval_seconds: float = 30.0,
        max_poll_errors: int = 3,
        expected_video_seconds: float = 90.0,
        download_timeout_seconds: float = 300.0,
        download_attempts: int = 3,
        max_reference_bytes: int = 20 * _MIB,
        aspect_tolerance: float = 0.08,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        check_polling_settings(
            {
                "request_timeout_seconds": request_timeout_seconds,
                "image_timeout_seconds": image_timeout_seconds,
                "video_timeout_seconds": video_timeout_seconds,
                "poll_interval_seconds": poll_interval_seconds,
                "expected_video_seconds": expected_video_seconds,
                "download_timeout_seconds": download_timeout_seconds,
                "aspect_tolerance": aspect_tolerance,
            },
            poll_interval_seconds=poll_interval_seconds,
            max_poll_interval_seconds=max_poll_interval_seconds,
            download_attempts=download_attempts,
            max_poll_errors=max_poll_errors,
        )
        from google import genai
        from google.genai import types

        self._types = types
        self._image_model = _checked_model(image_model)
        self._video_model = _checked_model(video_model)
        self._request_timeout = request_timeout_seconds
        self._image_timeout = image_timeout_seconds
        self._video_timeout = video_timeout_seconds
        self._poll_interval = poll_interval_seconds
        self._max_poll_interval = max_poll_interval_seconds
        self._max_poll_errors = max_poll_errors
        self._expected_video_seconds = expected_video_seconds
        self._download_timeout = download_timeout_seconds
        self._download_attempts = download_attempts
        self._max_reference_bytes = max_reference_bytes
        self._aspect_tolerance = aspect_tolerance
        self._client = genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=base_url, api_version=api_version, timeout=_millis(request_timeout_seconds)
            ),
        )
        self._following: dict[str, asyncio.Event] = {}
        self._cancelled: collections.OrderedDict[str, None] = collections.OrderedDict()

    @classmethod
    def from_settings(cls, settings: "MediaSettings", **overrides: Any) -> "GeminiMediaBackend":
        if settings.gemini_api_key is None:
            raise ValueError("gemini_api_key is not set")
        options: dict[str, Any] = {
            "base_url": settings.gemini_base_url,
            "video_timeout_seconds": settings.job_timeout_seconds,
        }
        options.update(overrides)
        return cls(settings.gemini_api_key.get_secret_value(), **options)

    async def aclose(self) -> None:
        await self._client.aio.aclose()

    # ------------------------------------------------------------ MediaBackend
    async def generate_image(
        self, request: ImageRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput:
        """One Imagen image. ``started`` is not called: Imagen is synchronous."""
        model = _checked_model(request.model) if request.model else self._image_model
        config, extra = self._image_config(request)
        prompt = _checked_prompt(request.prompt)
        if request.negative_prompt.strip():
            prompt = f"{prompt}\n\nAvoid: {request.negative_prompt.strip()}"
            extra["negative_prompt"] = "folded_into_prompt"
        await progress(0.05, f"asking {model} for an image")
        began = time.monotonic()
        response = await self._call(
            f"imagen {model}",
            lambda: self._client.aio.models.generate_images(model=model, prompt=prompt, config=config),
            self._image_timeout,
            create=True,
        )
        media = self._first_image(response, model)
        width, height = self._checked_image(media, request.aspect_ratio, model)
        await progress(0.9, "image received")
        path = _write_atomically(out_dir, f"gemini-image-{uuid.uuid4().hex}{media.suffix}", media.data)
        await progress(1.0, "image written")
        extra.update({"images": "1", "width": str(width), "height": str(height), "aspect_ratio": request.aspect_ratio})
        return RenderOutput(
            path=path,
            media_type=media.media_type,
            backend=self.name,
            model=model,
            predict_time_seconds=time.monotonic() - began,
            extra=extra,
        )

    async def generate_video(
        self, request: VideoRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput:
        model = _checked_model(request.model) if request.model else self._video_model
        source, config, extra = self._video_input(request)
        await progress(0.02, f"asking {model} for a {request.duration_seconds}s video")
        deadline = asyncio.get_running_loop().time() + self._video_timeout
        operation = await self._call(
            f"veo {model}",
            lambda: self._client.aio.models.generate_videos(model=model, source=source, config=config),
            self._request_timeout,
            create=True,
        )
        name = _checked_operation_name(operation.name or "")
        _LOGGER.info("veo operation %s started for %s", name, model)
        # If this raises, the operation keeps running upstream (there is no
        # cancel); the caller then has no id to re-attach to and will fail the job.
        await started(name)
        await progress(0.05, "video generation started")
        extra["requested_seconds"] = str(request.duration_seconds)
        return await self._follow(name, out_dir, progress, deadline, operation, extra)

    async def resume(self, upstream_id: str, kind: str, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        if kind != "video":
            raise BackendError(
                FailureReason.INVALID_INPUT,
                f"nothing to re-attach to for kind {kind!r}: only Veo video runs as an operation",
            )
        name = _checked_operation_name(upstream_id)
        _LOGGER.info("re-attaching to veo operation %s", name)
        deadline = asyncio.get_running_loop().time() + self._video_timeout
        return await self._follow(name, out_dir, progress, deadline, None, {"resumed": "true"})

    async def cancel(self, upstream_id: str) -> None:
        """Stops following the operation at once and never polls it again.
        google-genai 2.19 cannot cancel an operation upstream."""
        name = _checked_operation_name(upstream_id)
        self._cancelled[name] = None
        while len(self._cancelled) > _CANCELLED_MEMORY:
            self._cancelled.popitem(last=False)
        event = self._following.get(name)
        if event is not None:
            event.set()
        _LOGGER.info("stopped following veo operation %s (the SDK has no upstream cancel)", name)

    # ------------------------------------------------------------ requests
    def _image_config(self, request: ImageRequest) -> tuple[Any, dict[str, str]]:
        if request.aspect_ratio not in IMAGEN_ASPECT_RATIOS:
            raise _unsupported(f"aspect ratio {request.aspect_ratio!r} (Imagen takes {sorted(IMAGEN_ASPECT_RATIOS)})")
        safety = request.safety_filter_level.upper()
        if safety not in IMAGEN_SAFETY_LEVELS:
            raise _unsupported(f"safety filter level {request.safety_filter_level!r} in API-key mode")
        person = request.person_generation.upper()
        if person not in IMAGEN_PERSON_GENERATION:
            raise _unsupported(f"person generation {request.person_generation!r} in API-key mode")
        mime_type = IMAGEN_OUTPUT_FORMATS.get(request.output_format.lower())
        if mime_type is None:
            raise _unsupported(f"output format {request.output_format!r}")
        extra: dict[str, str] = {}
        if request.seed is not None:
            extra["seed"] = "ignored_in_api_key_mode"
        if request.reference_images:
            extra["reference_images"] = f"ignored_{len(request.reference_images)}"
        config = self._types.GenerateImagesConfig(
            number_of_images=1,
            aspect_ratio=request.aspect_ratio,
            safety_filter_level=safety,
            person_generation=person,
            include_rai_reason=True,
            output_mime_type=mime_type,
            http_options=self._types.HttpOptions(timeout=_millis(self._image_timeout)),
        )
        return config, extra

    def _video_input(self, request: VideoRequest) -> tuple[Any, Any, dict[str, str]]:
        if request.aspect_ratio not in VEO_ASPECT_RATIOS:
            raise _unsupported(f"aspect ratio {request.aspect_ratio!r} (Veo takes {sorted(VEO_ASPECT_RATIOS)})")
        if not isinstance(request.duration_seconds, int) or request.duration_seconds <= 0:
            raise BackendError(FailureReason.INVALID_INPUT, f"bad duration {request.duration_seconds!r}")
        types = self._types
        extra: dict[str, str] = {"aspect_ratio": request.aspect_ratio, "resolution": request.resolution}
        if request.seed is not None:
            extra["seed"] = "ignored_in_api_key_mode"
        extra["generate_audio"] = "model_default"  # not settable in API-key mode
        source = types.GenerateVideosSource(
            prompt=_checked_prompt(request.prompt),
            image=self._reference(request.reference_image, "reference_image"),
        )
        config = types.GenerateVideosConfig(
            number_of_videos=1,
            aspect_ratio=request.aspect_ratio,
            duration_seconds=request.duration_seconds,
            resolution=request.resolution or None,
            negative_prompt=request.negative_prompt.strip() or None,
            last_frame=self._reference(request.last_frame, "last_frame"),
            http_options=types.HttpOptions(timeout=_millis(self._request_timeout)),
        )
        return source, config, extra

    def _reference(self, path: Path | None, label: str) -> Any:
        if path is None:
            return None
        try:
            size = path.stat().st_size
            if size > self._max_reference_bytes:
                raise BackendError(FailureReason.INVALID_INPUT, f"{label} is {size} bytes, over {self._max_reference_bytes}")
            data = path.read_bytes()
        except OSError as exc:
            raise BackendError(FailureReason.INVALID_INPUT, f"{label} cannot be read: {exc.strerror}") from exc
        media = _sniff(data)
        if not media.media_type.startswith("image/"):
            raise BackendError(FailureReason.INVALID_INPUT, f"{label} is not a PNG, JPEG or WebP image")
        return self._types.Image(image_bytes=data, mime_type=media.media_type)

    async def _call(self, what: str, call: Callable[[], Awaitable[T]], timeout: float, *, create: bool = False) -> T:
        """One SDK call under a hard timeout, its failures as BackendError. A
        create (Imagen ``:predict``, Veo ``:predictLongRunning``) that may
        have reached the API without us reading the answer (timeout, reset,
        unreadable body) is not retried: it may have been made and billed."""
        from google.genai import errors

        try:
            async with asyncio.timeout(timeout + 1.0):
                return await call()
        except errors.APIError as exc:
            raise _from_api_error(exc, what) from exc
        except NOT_SENT as exc:
            raise unavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        except (asyncio.TimeoutError, httpx.TimeoutException) as exc:
            if create:
                raise unknown_create(what, f"no answer within {timeout:.1f}s") from exc
            raise unavailable(f"{what}: no answer within {timeout:.1f}s") from exc
        except (httpx.TransportError, json.JSONDecodeError) as exc:
            if create:
                raise unknown_create(what, f"{type(exc).__name__}: {exc}") from exc
            raise unavailable(f"{what}: {type(exc).__name__}: {exc}") from exc
        except ValueError as exc:  # the SDK refusing a parameter before sending
            raise BackendError(FailureReason.INVALID_INPUT, f"{what}: {exc}", failover=True) from exc

    # ------------------------------------------------------------ images
    def _first_image(self, response: Any, model: str) -> _Media:
        generated = list(getattr(response, "generated_images", None) or [])
        for item in generated:
            if item.image is not None and item.image.image_bytes:
                return _sniff(item.image.image_bytes)
        reasons = sorted({item.rai_filtered_reason for item in generated if item.rai_filtered_reason})
        raise BackendError(
            FailureReason.CONTENT_POLICY_VIOLATION,
            f"{model} returned no image" + (f": {'; '.join(reasons)}" if reasons else " (filtered as unsafe)"),
        )

    def _checked_image(self, media: _Media, aspect_ratio: str, model: str) -> tuple[int, int]:
        from PIL import Image, UnidentifiedImageError

        if not media.media_type.startswith("image/"):
            raise BackendError(FailureReason.INVALID_OUTPUT, f"{model} returned {media.media_type}, not an image")
        try:
            with Image.open(io.BytesIO(media.data)) as image:
                image.load()
                width, height = image.size
        except (UnidentifiedImageError, OSError, SyntaxError) as exc:
            raise BackendError(FailureReason.INVALID_OUTPUT, f"{model} returned an image that does not decode: {exc}") from exc
        wanted_w, wanted_h = (float(part) for part in aspect_ratio.split(":"))
        off = (width / height) / (wanted_w / wanted_h) - 1.0
        if abs(off) > self._aspect_tolerance:
            raise BackendError(
                FailureReason.INVALID_OUTPUT,
                f"{model} returned {width}x{height} for aspect ratio {aspect_ratio}",
                retryable=True,
                failover=True,
            )
        return width, height

    # ------------------------------------------------------------ video
    async def _follow(
        self,
        name: str,
        out_dir: Path,
        progress: ProgressSink,
        deadline: float,
        operation: Any | None,
        extra: dict[str, str],
    ) -> RenderOutput:
        if name in self._cancelled:
            raise _cancelled(name)
        if name in self._following:
            raise BackendError(FailureReason.INVALID_INPUT, f"operation {name} is already being followed")
        cancelled = self._following[name] = asyncio.Event()
        began = time.monotonic()
        try:
            operation = await self._poll_until_done(name, progress, deadline, operation, cancelled)
            video = self._finished_video(name, operation)
            await progress(0.92, "downloading the video")
            data = video.video_bytes or await self._download(name, video.uri or "", cancelled)
            seconds = _checked_mp4(data, name)
        finally:
            del self._following[name]
        path = _write_atomically(out_dir, f"gemini-video-{name.rsplit('/', 1)[1]}.mp4", data)
        await progress(1.0, "video downloaded")
        extra.update({"videos": "1", "video_seconds": f"{seconds:.3f}"})
        return RenderOutput(
            path=path,
            media_type="video/mp4",
            backend=self.name,
            model=_OPERATION_NAME.match(name).group(1),  # type: ignore[union-attr]
            upstream_id=name,
            predict_time_seconds=time.monotonic() - began,
            extra=extra,
        )

    async def _poll_until_done(
        self, name: str, progress: ProgressSink, deadline: float, operation: Any | None, cancelled: asyncio.Event
    ) -> Any:
        loop = asyncio.get_running_loop()
        began = loop.time()
        interval = self._poll_interval
        errors = polls = 0
        wait = 0.0 if operation is None else interval
        while operation is None or not operation.done:
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BackendError(
                    FailureReason.TIMEOUT, f"veo operation {name} not done within {self._video_timeout:.0f}s"
                )
            if await _wait_for_event(cancelled, min(wait, remaining)):
                raise _cancelled(name)
            try:
                operation = await self._get_operation(name, min(self._request_timeout, max(remaining, 0.001)))
                errors = 0
                polls += 1
            except BackendError as exc:
                errors += 1
                if not exc.retryable or errors > self._max_poll_errors:
                    raise
                _LOGGER.warning("poll %d of veo operation %s failed: %s", polls + 1, name, exc.message)
                wait = max(interval, exc.retry_after_seconds or 0.0)
                continue
            if cancelled.is_set():
                raise _cancelled(name)
            if not operation.done:
                fraction = 0.05 + 0.85 * min(1.0, (loop.time() - began) / self._expected_video_seconds)
                await progress(fraction, f"rendering (poll {polls})")
                wait, interval = interval, min(interval * 1.5, self._max_poll_interval)
        return operation

    async def _get_operation(self, name: str, timeout: float) -> Any:
        types = self._types
        return await self._call(
            f"poll of {name}",
            lambda: self._client.aio.operations.get(
                types.GenerateVideosOperation(name=name),
                config=types.GetOperationConfig(http_options=types.HttpOptions(timeout=_millis(timeout))),
            ),
            timeout,
        )

    def _finished_video(self, name: str, operation: Any) -> Any:
        if operation.error:
            raise _from_operation_error(name, operation.error)
        result = operation.result or operation.response
        videos = list(getattr(result, "generated_videos", None) or [])
        for generated in videos:
            video = generated.video
            if video is not None and (video.video_bytes or video.uri):
                return video
        reasons = list(getattr(result, "rai_media_filtered_reasons", None) or [])
        count = getattr(result, "rai_media_filtered_count", None)
        detail = "; ".join(reasons) if reasons else f"{count or 0} filtered, no reason given"
        raise BackendError(
            FailureReason.CONTENT_POLICY_VIOLATION, f"veo operation {name} finished without a video: {detail}"
        )

    async def _download(self, name: str, uri: str, cancelled: asyncio.Event) -> bytes:
        file_name = _file_name(uri)
        types = self._types
        config = types.DownloadFileConfig(http_options=types.HttpOptions(timeout=_millis(self._download_timeout)))
        last: BackendError | None = None
        for attempt in range(1, self._download_attempts + 1):
            if cancelled.is_set():
                raise _cancelled(name)
            try:
                data = await self._call(
                    f"download of {file_name}",
                    lambda: self._client.aio.files.download(file=file_name, config=config),
                    self._download_timeout,
                )
                _checked_mp4(data, name)
                return data
            except BackendError as exc:
                if not exc.retryable and exc.reason is not FailureReason.INVALID_OUTPUT:
                    raise
                last = exc
                _LOGGER.warning("download %d of %s failed: %s", attempt, file_name, exc.message)
                if attempt < self._download_attempts:
                    await asyncio.sleep(min(self._poll_interval, 2.0 ** (attempt - 1)))
        assert last is not None
        # The operation is done and paid for: resume() can fetch the file again.
        last.retryable = True
        raise last


# --------------------------------------------------------------------------- helpers
async def _wait_for_event(event: asyncio.Event, seconds: float) -> bool:
    """Waits up to ``seconds``; True when the event was set."""
    if event.is_set():
        return True
    if seconds <= 0:
        return False
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except asyncio.TimeoutError:
        return False
    return True


def _checked_model(model: str) -> str:
    bare = model.removeprefix("models/")
    if not _MODEL_NAME.match(bare):
        raise BackendError(FailureReason.INVALID_INPUT, f"bad Gemini model name {model!r}")
    return bare


def _checked_operation_name(name: str) -> str:
    if not _OPERATION_NAME.match(name):
        raise BackendError(FailureReason.INVALID_INPUT, f"not a Veo operation name: {name[:200]!r}")
    return name


def _checked_prompt(prompt: str) -> str:
    if not prompt.strip():
        raise BackendError(FailureReason.INVALID_INPUT, "the prompt is empty")
    return prompt.strip()


def _file_name(uri: str) -> str:
    """``files/<id>`` from a video URI (``https://…/v1beta/files/<id>:download?alt=media``,
    ``http://…/files/<id>`` or ``files/<id>``)."""
    match = _FILE_ID.search(urlsplit(uri).path if "://" in uri else uri)
    if match is None:
        raise BackendError(FailureReason.INVALID_OUTPUT, f"the video URI names no file: {uri[:200]!r}")
    return f"files/{match.group(1)}"


def _sniff(data: bytes) -> _Media:
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return _Media(data, "image/png", ".png")
    if head.startswith(b"\xff\xd8\xff"):
        return _Media(data, "image/jpeg", ".jpg")
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return _Media(data, "image/webp", ".webp")
    if head[4:8] == b"ftyp":
        return _Media(data, "video/mp4", ".mp4")
    raise BackendError(FailureReason.INVALID_OUTPUT, "the output is not a PNG, JPEG, WebP or MP4 file")


def _checked_mp4(data: bytes, name: str) -> float:
    """Walks the MP4's top-level boxes (complete, with ``ftyp``, ``moov``
    and ``mdat``) and returns the duration from ``mvhd``."""
    boxes: dict[bytes, tuple[int, int]] = {}
    offset = 0
    while offset < len(data):
        if offset + 8 > len(data):
            raise _broken(name, "a box header is cut off")
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        header = 8
        if size == 1:
            if offset + 16 > len(data):
                raise _broken(name, "a box header is cut off")
            size, header = struct.unpack(">Q", data[offset + 8:offset + 16])[0], 16
        elif size == 0:
            size = len(data) - offset
        if size < header or offset + size > len(data):
            raise _broken(name, f"box {kind!r} runs past the end of the file")
        boxes.setdefault(kind, (offset + header, offset + size))
        offset += size
    if not data[4:8] == b"ftyp" or b"moov" not in boxes or b"mdat" not in boxes:
        raise _broken(name, "ftyp, moov or mdat is missing")
    return _mvhd_seconds(data, *boxes[b"moov"], name)


def _mvhd_seconds(data: bytes, start: int, end: int, name: str) -> float:
    offset = start
    while offset + 8 <= end:
        size, kind = struct.unpack(">I4s", data[offset:offset + 8])
        if size < 8 or offset + size > end:
            break
        if kind == b"mvhd":
            body = data[offset + 8:offset + size]
            if body[:1] == b"\x01" and len(body) >= 32:
                timescale, duration = struct.unpack(">IQ", body[20:32])
            elif len(body) >= 20:
                timescale, duration = struct.unpack(">II", body[12:20])
            else:
                break
            if timescale:
                return duration / timescale
            break
        offset += size
    raise _broken(name, "moov has no readable mvhd")


def _broken(name: str, why: str) -> BackendError:
    return BackendError(FailureReason.INVALID_OUTPUT, f"the video of {name} is not a complete MP4: {why}")


def _write_atomically(out_dir: Path, file_name: str, data: bytes) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / file_name
    part = out_dir / f".{file_name}.{uuid.uuid4().hex}.part"
    try:
        part.write_bytes(data)
        os.replace(part, target)
    finally:
        part.unlink(missing_ok=True)
    return target


# --------------------------------------------------------------------------- errors
def _from_api_error(exc: Any, what: str) -> BackendError:
    code = int(getattr(exc, "code", 0) or 0)
    message = f"{what}: HTTP {code} {exc.status or ''}: {exc.message or ''}"
    hint = retry_hint_seconds(exc)
    if code == 429:
        return BackendError(FailureReason.RATE_LIMITED, message, retryable=True, failover=True, retry_after_seconds=hint)
    if code >= 500 or code == 408:
        return BackendError(
            FailureReason.BACKEND_UNAVAILABLE, message, retryable=True, failover=True, retry_after_seconds=hint
        )
    if code in (401, 403, 404) or _error_reason(exc) == "API_KEY_INVALID":
        # The key, the model or the operation is unusable here; another backend may work.
        return BackendError(FailureReason.BACKEND_UNAVAILABLE, message, failover=True)
    if _CONTENT_POLICY.search(exc.message or ""):
        return BackendError(FailureReason.CONTENT_POLICY_VIOLATION, message)
    return BackendError(FailureReason.INVALID_INPUT, message)


def _from_operation_error(name: str, error: dict[str, Any]) -> BackendError:
    code = error.get("code")
    text = str(error.get("message") or "no message")
    message = f"veo operation {name} failed (code {code}): {text}"
    if _CONTENT_POLICY.search(text):
        return BackendError(FailureReason.CONTENT_POLICY_VIOLATION, message)
    if code == 8:
        return BackendError(FailureReason.RATE_LIMITED, message, retryable=True, failover=True)
    if code in _RPC_RETRYABLE:  # the operation is over: a retry makes a new one
        return BackendError(
            FailureReason.BACKEND_UNAVAILABLE, message, retryable=True, failover=True, upstream_ended=True
        )
    if code == 1:
        return BackendError(FailureReason.CANCELLED, message)
    if code in (7, 16):
        return BackendError(FailureReason.BACKEND_UNAVAILABLE, message, failover=True)
    return BackendError(FailureReason.INVALID_INPUT, message)


def _error_reason(exc: Any) -> str:
    body = exc.details if isinstance(getattr(exc, "details", None), dict) else {}
    error = body.get("error", body)
    for detail in (error.get("details") or ()) if isinstance(error, dict) else ():
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.ErrorInfo"):
            return str(detail.get("reason", ""))
    return ""






def _unsupported(what: str) -> BackendError:
    return BackendError(FailureReason.INVALID_INPUT, f"the gemini backend does not support {what}", failover=True)


def _cancelled(name: str) -> BackendError:
    return BackendError(FailureReason.CANCELLED, f"veo operation {name} was cancelled")


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000))
