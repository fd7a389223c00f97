"""The local renderer: storyboard panels and camera-move clips, made on this
machine with Pillow and ffmpeg. No network, no cost, deterministic: the same
request gives the same pixels (and the same file name).

Images are panels composed from the request's :class:`PanelSpec` (see
``services/media/panels.py``) or, for a free prompt, from a hash of the prompt
and seed with the prompt as the caption. Videos move the camera over the
request's reference image when it has one (so a shot's clip matches its
storyboard frame) and otherwise over a panel rendered without caption and
movement marks, following the shot's camera movement.

Blocking work runs in a worker thread; progress is forwarded to the
``ProgressSink`` on the event loop, and cancelling the calling task stops the
thread at its next frame and removes the partial file.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import uuid
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TypeVar

from PIL import Image, UnidentifiedImageError

from services.media.backends.base import (
    BackendError,
    FailureReason,
    ImageRequest,
    PanelSpec,
    ProgressSink,
    RenderOutput,
    UpstreamStarted,
    VideoRequest,
)
from services.media.clips import MOVEMENTS, OVERSCAN, EncoderSettings, render_camera_move
from services.media.panel_sizes import image_size, video_size
from services.media.panels import render_panel, spec_for_prompt
from services.runtime.errors import Cancelled, Internal, InvalidArgument

_LOGGER = logging.getLogger(__name__)

# imageio-ffmpeg starts ffmpeg with ``preexec_fn=os.setpgrp`` unless this is
# set, which makes CPython fork() (not vfork/posix_spawn) and run gRPC's
# fork handlers in the child of a process full of gRPC threads: under load
# the child then fails before exec ("epoll_wait error: Bad file descriptor")
# and a good clip fails its check ("Could not load meta information"), or
# the fork hangs (imageio-ffmpeg #58). Every ffmpeg this process starts
# through imageio-ffmpeg (renders and output checks) reads it per call.
os.environ.setdefault("IMAGEIO_FFMPEG_NO_PREVENT_SIGINT", "1")

BACKEND_NAME = "local"
IMAGE_MODEL = "local-panels-v1"
VIDEO_MODEL = "local-camera-v1"
IMAGE_FORMATS = {"png": ("PNG", "image/png", "png"), "jpg": ("JPEG", "image/jpeg", "jpg"),
                 "jpeg": ("JPEG", "image/jpeg", "jpg")}
MAX_VIDEO_SECONDS = 60
MAX_PROMPT_CHARS = 10_000

T = TypeVar("T")
Report = Callable[[float, str], None]


@dataclass(frozen=True)
class LocalRendererSettings:
    """Encoding settings for local clips."""

    fps: int = 24
    x264_preset: str = "veryfast"
    crf: int = 23
    ffmpeg_exe: str | None = None
    encoder_timeout_seconds: float = 120.0

    def encoder(self) -> EncoderSettings:
        return EncoderSettings(fps=self.fps, preset=self.x264_preset, crf=self.crf, ffmpeg_exe=self.ffmpeg_exe,
                               timeout_seconds=self.encoder_timeout_seconds)


class LocalBackend:
    """:class:`~services.media.backends.base.MediaBackend` that renders
    locally."""

    name = BACKEND_NAME

    def __init__(self, settings: LocalRendererSettings | None = None) -> None:
        self._settings = settings or LocalRendererSettings()

    async def generate_image(
        self, request: ImageRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput:
        spec = _panel_for(request.panel, request.prompt, request.seed)
        pil_format, media_type, extension = _image_format(request.output_format)
        size = _checked(lambda: image_size(request.aspect_ratio))
        path = out_dir / f"local-{_request_digest(request)}.{extension}"

        def work(report: Report, cancel: threading.Event) -> None:
            report(0.1, "composing panel")
            panel = render_panel(spec, size, seed=request.seed)
            if cancel.is_set():
                raise Cancelled("image rendering was cancelled", reason="CANCELLED")
            out_dir.mkdir(parents=True, exist_ok=True)
            save_options = {"quality": 92} if pil_format == "JPEG" else {"optimize": False}
            with _written_atomically(path) as part:
                panel.save(part, pil_format, **save_options)
            report(1.0, "panel rendered")

        await self._run(work, progress)
        return RenderOutput(path=path, media_type=media_type, backend=BACKEND_NAME, model=IMAGE_MODEL,
                            extra={"width": str(size[0]), "height": str(size[1]), "shot_size": spec.shot_size,
                                   "seed": "" if request.seed is None else str(request.seed)})

    async def generate_video(
        self, request: VideoRequest, out_dir: Path, progress: ProgressSink, started: UpstreamStarted
    ) -> RenderOutput:
        spec = _panel_for(request.panel, request.prompt, request.seed)
        if not 0 < request.duration_seconds <= MAX_VIDEO_SECONDS:
            raise BackendError(FailureReason.INVALID_INPUT,
                               f"duration_seconds must be 1..{MAX_VIDEO_SECONDS}, got {request.duration_seconds}")
        size = _checked(lambda: video_size(request.aspect_ratio, request.resolution))
        movement = spec.camera_movement if spec.camera_movement in MOVEMENTS else "STATIC"
        seed = request.seed if request.seed is not None else int(_request_digest(request)[:8], 16)
        path = out_dir / f"local-{_request_digest(request)}.mp4"
        encoder = self._settings.encoder()

        def work(report: Report, cancel: threading.Event) -> int:
            report(0.02, "composing panel")
            still = _video_source(request, spec, size)
            out_dir.mkdir(parents=True, exist_ok=True)

            def frames_done(done: int, total: int) -> None:
                report(1.0 if done >= total else 0.05 + 0.95 * done / total, f"encoding frame {done}/{total}")

            # The encoder writes a file of its own that is renamed into place
            # when complete: an ffmpeg orphaned by a killed media process
            # finishes its file on stdin EOF, and must not write over the
            # render of the restarted process.
            with _written_atomically(path) as part:
                return render_camera_move(still, part, size, movement, request.duration_seconds, encoder,
                                          screen_direction=spec.screen_direction, seed=seed,
                                          on_progress=frames_done, cancel=cancel)

        frames = await self._run(work, progress)
        return RenderOutput(path=path, media_type="video/mp4", backend=BACKEND_NAME, model=VIDEO_MODEL,
                            extra={"width": str(size[0]), "height": str(size[1]), "frames": str(frames),
                                   "fps": str(encoder.fps), "camera_movement": movement})

    async def resume(self, upstream_id: str, kind: str, out_dir: Path, progress: ProgressSink) -> RenderOutput:
        """Local renders have no upstream work to re-attach to; they are free
        and deterministic, so the runner should simply render again."""
        raise BackendError(FailureReason.BACKEND_UNAVAILABLE,
                           "the local renderer keeps no work across restarts; render the item again", retryable=True)

    async def cancel(self, upstream_id: str) -> None:
        """Nothing upstream to cancel: cancelling the job's task stops a local
        render."""

    async def _run(self, work: Callable[[Report, threading.Event], T], progress: ProgressSink) -> T:
        """Runs ``work`` in a thread, forwarding its progress reports (in
        order, the newest when several are pending) to ``progress``."""
        loop = asyncio.get_running_loop()
        reports: asyncio.Queue[tuple[float, str]] = asyncio.Queue()
        cancel = threading.Event()

        def report(fraction: float, message: str) -> None:
            loop.call_soon_threadsafe(reports.put_nowait, (fraction, message))

        task = asyncio.ensure_future(asyncio.to_thread(work, report, cancel))
        try:
            while not task.done():
                getter = asyncio.ensure_future(reports.get())
                await asyncio.wait({task, getter}, return_when=asyncio.FIRST_COMPLETED)
                if getter.done():
                    await progress(*_newest(getter.result(), reports))
                else:
                    getter.cancel()
            if not reports.empty():
                await progress(*_newest(reports.get_nowait(), reports))
            return task.result()
        except asyncio.CancelledError:
            cancel.set()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.shield(task), timeout=10)
            raise
        except Cancelled as error:
            raise BackendError(FailureReason.CANCELLED, error.message) from error
        except InvalidArgument as error:
            raise BackendError(FailureReason.INVALID_INPUT, error.message) from error
        except Internal as error:
            _LOGGER.error("local render failed: %s", error.message)
            raise BackendError(FailureReason.BACKEND_UNAVAILABLE, f"local renderer failed: {error.message}") from error
        except OSError as error:
            _LOGGER.error("local render failed writing its output: %s", error)
            raise BackendError(FailureReason.BACKEND_UNAVAILABLE, f"local renderer could not write its output: {error}") from error


def _newest(first: tuple[float, str], reports: asyncio.Queue[tuple[float, str]]) -> tuple[float, str]:
    newest = first
    while not reports.empty():
        newest = reports.get_nowait()
    return newest


def _panel_for(panel: PanelSpec | None, prompt: str, seed: int | None) -> PanelSpec:
    if panel is not None:
        return panel
    if not prompt or not prompt.strip():
        raise BackendError(FailureReason.INVALID_INPUT, "a prompt or a panel spec is required")
    if len(prompt) > MAX_PROMPT_CHARS:
        raise BackendError(FailureReason.INVALID_INPUT, f"the prompt is longer than {MAX_PROMPT_CHARS} characters")
    spec = spec_for_prompt(prompt.strip(), seed)
    movement = random.Random(_text_digest(prompt, seed)).choice(("PUSH_IN", "PAN_RIGHT", "PAN_LEFT", "PULL_OUT", "TILT_UP"))
    return PanelSpec(**{**vars(spec), "camera_movement": movement})


def _image_format(output_format: str) -> tuple[str, str, str]:
    found = IMAGE_FORMATS.get((output_format or "png").lower())
    if found is None:
        raise BackendError(FailureReason.INVALID_INPUT, f"output_format {output_format!r} is not png or jpeg")
    return found


def _checked(compute: Callable[[], T]) -> T:
    try:
        return compute()
    except InvalidArgument as error:
        raise BackendError(FailureReason.INVALID_INPUT, error.message) from error


def _video_source(request: VideoRequest, spec: PanelSpec, size: tuple[int, int]) -> Image.Image:
    """The still the camera moves over: the reference image when given,
    else a clean panel rendered larger than the video so zooms stay sharp."""
    if request.reference_image is not None:
        try:
            with Image.open(request.reference_image) as reference:
                reference.load()
                return reference.convert("RGB")
        except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
            raise InvalidArgument.for_field("reference_image", f"cannot be read as an image: {error}") from error
    oversize = (round(size[0] * OVERSCAN), round(size[1] * OVERSCAN))
    return render_panel(spec, oversize, seed=request.seed, caption=False, marks=False)


def _request_digest(request: ImageRequest | VideoRequest) -> str:
    """A stable name for a request's output (no client text in paths)."""
    parts = [repr(request.__class__.__name__), repr(request.prompt), repr(request.aspect_ratio), repr(request.seed),
             repr(request.panel)]
    if isinstance(request, ImageRequest):
        parts.append(repr(request.output_format))
    else:
        parts += [repr(request.duration_seconds), repr(request.resolution)]
        if request.reference_image is not None:
            parts.append(_file_digest(request.reference_image))
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:32]


@contextlib.contextmanager
def _written_atomically(path: Path):
    """A unique temporary path beside ``path`` (same suffix, so encoders
    pick the same format), renamed to ``path`` when the block succeeds and
    removed when it fails."""
    part = path.with_name(f".{path.stem}-{uuid.uuid4().hex}.part{path.suffix}")
    try:
        yield part
        os.replace(part, path)
    finally:
        part.unlink(missing_ok=True)


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError as error:
        raise BackendError(FailureReason.INVALID_INPUT, f"reference image cannot be read: {error}") from error
    return digest.hexdigest()


def _text_digest(text: str, seed: int | None) -> int:
    return int.from_bytes(hashlib.sha256(f"{text}|{seed}".encode("utf-8")).digest()[:8], "big")
