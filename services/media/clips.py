"""H.264 clips made by moving a virtual camera over a still.

Frames are produced one at a time with Pillow (a sub-pixel crop box resized
to the output size, so moves are smooth) and piped raw into the ``ffmpeg``
binary that ``imageio-ffmpeg`` ships, which encodes H.264 in yuv420p.
Memory stays flat: one source image and one frame at a time, whatever the
duration.

Camera movements (shared vocabulary): STATIC, PAN_LEFT, PAN_RIGHT, TILT_UP,
TILT_DOWN, PUSH_IN, PULL_OUT, TRACKING (along the screen direction),
HANDHELD (smooth seeded shake), CRANE_UP, CRANE_DOWN.

Blocking code: callers on an event loop run it in a thread and pass a
``threading.Event`` to cancel it.
"""

from __future__ import annotations

import logging
import math
import random
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator

import imageio_ffmpeg
from PIL import Image

from services.media.panel_sizes import ratio_distance
from services.runtime.errors import Cancelled, Internal, InvalidArgument

_LOGGER = logging.getLogger(__name__)

MOVEMENTS = frozenset({
    "STATIC", "PAN_LEFT", "PAN_RIGHT", "TILT_UP", "TILT_DOWN", "PUSH_IN", "PULL_OUT",
    "TRACKING", "HANDHELD", "CRANE_UP", "CRANE_DOWN",
})
OVERSCAN = 1.25
"""Sources are prepared this much larger than the output so that zooms stay sharp."""
LETTERBOX_DISTANCE = 0.15
"""Sources whose aspect ratio is further than this (|ln ratio|) from the
output are letterboxed instead of cropped."""

FrameProgress = Callable[[int, int], None]
"""Called with (frames written, frames in total)."""


@dataclass(frozen=True)
class EncoderSettings:
    """x264 settings; ``preset`` trades speed for size (``ultrafast`` …
    ``veryslow``), ``crf`` is the quality (lower is better, 18–28 sensible)."""

    fps: int = 24
    preset: str = "veryfast"
    crf: int = 23
    ffmpeg_exe: str | None = None
    timeout_seconds: float = 120.0

    def executable(self) -> str:
        return self.ffmpeg_exe or imageio_ffmpeg.get_ffmpeg_exe()


class VideoWriter:
    """Pipes RGB frames of one size into ffmpeg and produces an MP4 (H.264,
    yuv420p, faststart, no metadata). Use as a context manager: leaving it
    with an exception kills ffmpeg and deletes the partial file."""

    def __init__(self, path: Path, size: tuple[int, int], settings: EncoderSettings,
                 cancel: threading.Event | None = None) -> None:
        width, height = size
        if width % 2 or height % 2 or width < 2 or height < 2:
            raise InvalidArgument.for_field("size", f"{width}x{height} must be even for H.264 yuv420p", "INVALID_VIDEO_SIZE")
        self.path = path
        self.size = size
        self.frames = 0
        self._settings = settings
        self._cancel = cancel
        self._stderr = tempfile.TemporaryFile()
        command = [
            settings.executable(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-framerate", str(settings.fps), "-i", "pipe:0",
            "-an", "-c:v", "libx264", "-preset", settings.preset, "-crf", str(settings.crf), "-pix_fmt", "yuv420p",
            "-movflags", "+faststart", "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact",
            str(path),
        ]
        try:
            self._process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=self._stderr)
        except OSError as error:
            self._stderr.close()
            raise Internal(f"cannot start ffmpeg: {error}", reason="VIDEO_ENCODER_FAILED") from error

    def __enter__(self) -> "VideoWriter":
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()

    def write(self, frame: Image.Image) -> None:
        """Appends one frame (converted to RGB if needed)."""
        if frame.size != self.size:
            raise Internal(f"frame {frame.size} does not match the video size {self.size}", reason="VIDEO_FRAME_SIZE")
        self.write_raw(frame.tobytes() if frame.mode == "RGB" else frame.convert("RGB").tobytes())

    def write_raw(self, data: bytes) -> None:
        """Appends one frame given as raw rgb24 bytes."""
        if self._cancel is not None and self._cancel.is_set():
            raise Cancelled("video rendering was cancelled", reason="CANCELLED")
        try:
            self._process.stdin.write(data)  # type: ignore[union-attr]
        except (BrokenPipeError, ValueError) as error:
            raise Internal(f"ffmpeg stopped accepting frames: {self._error_text()}", reason="VIDEO_ENCODER_FAILED") from error
        self.frames += 1

    def close(self) -> None:
        """Finishes the file; raises INTERNAL if ffmpeg fails or hangs."""
        try:
            self._process.stdin.close()  # type: ignore[union-attr]
        except BrokenPipeError:
            pass
        try:
            code = self._process.wait(timeout=self._settings.timeout_seconds)
        except subprocess.TimeoutExpired as error:
            self.abort()
            raise Internal("ffmpeg did not finish in time", reason="VIDEO_ENCODER_TIMEOUT") from error
        message = self._error_text()
        self._stderr.close()
        if code != 0 or self.frames == 0:
            self.path.unlink(missing_ok=True)
            raise Internal(f"ffmpeg failed with exit code {code}: {message}", reason="VIDEO_ENCODER_FAILED")

    def abort(self) -> None:
        """Kills ffmpeg and removes the partial file."""
        if self._process.poll() is None:
            self._process.kill()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _LOGGER.warning("ffmpeg %s did not exit after kill", self._process.pid)
        if self._process.stdin:
            try:
                self._process.stdin.close()
            except BrokenPipeError:
                pass
        if not self._stderr.closed:
            self._stderr.close()
        self.path.unlink(missing_ok=True)

    def _error_text(self) -> str:
        if self._stderr.closed:
            return ""
        self._stderr.seek(0)
        return self._stderr.read(2000).decode("utf-8", "replace").strip()


def prepare_source(image: Image.Image, size: tuple[int, int], overscan: float = OVERSCAN) -> Image.Image:
    """The still resized once so that it covers ``size`` x ``overscan``:
    cropped to the output's aspect ratio when close to it, letterboxed on
    black when far from it (a portrait still in a landscape animatic)."""
    image = image.convert("RGB")
    width, height = size
    target = (max(2, round(width * overscan)), max(2, round(height * overscan)))
    if ratio_distance(image.width, image.height, width / height) > LETTERBOX_DISTANCE:
        scale = min(target[0] / image.width, target[1] / image.height)
        fitted = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))),
                              Image.Resampling.LANCZOS)
        canvas = Image.new("RGB", target, (0, 0, 0))
        canvas.paste(fitted, ((target[0] - fitted.width) // 2, (target[1] - fitted.height) // 2))
        return canvas
    scale = max(target[0] / image.width, target[1] / image.height)
    resized = image.resize((max(target[0], round(image.width * scale)), max(target[1], round(image.height * scale))),
                           Image.Resampling.LANCZOS)
    left, top = (resized.width - target[0]) // 2, (resized.height - target[1]) // 2
    return resized.crop((left, top, left + target[0], top + target[1]))


def camera_box(movement: str, t: float, source: tuple[int, int], *, screen_direction: str = "NEUTRAL",
               seed: int = 0, seconds: float | None = None) -> tuple[float, float, float, float]:
    """The part of ``source`` the camera sees at ``t`` in [0, 1] of the move
    (``seconds`` since its start drives the hand-held shake), as (left, top,
    right, bottom). Zoom 1 is the whole source; no movement zooms past
    :data:`OVERSCAN`, so a source prepared at that scale is never upscaled.
    The box keeps the source's aspect ratio and never leaves it."""
    t = min(1.0, max(0.0, t))
    zoom, cx, cy = _camera_state(movement, t, t * 4 if seconds is None else seconds, screen_direction, seed)
    width, height = source
    box_w, box_h = width / zoom, height / zoom
    centre_x = min(max(cx * width, box_w / 2), width - box_w / 2)
    centre_y = min(max(cy * height, box_h / 2), height - box_h / 2)
    return centre_x - box_w / 2, centre_y - box_h / 2, centre_x + box_w / 2, centre_y + box_h / 2


def _ease(t: float) -> float:
    return t * t * (3 - 2 * t)


def _towards(start: float, end: float, t: float) -> float:
    return start + (end - start) * t


def _camera_state(movement: str, t: float, seconds: float, screen_direction: str, seed: int) -> tuple[float, float, float]:
    """(zoom, centre x, centre y) with the centre in fractions of the source."""
    travel = 1.2
    margin = (1 - 1 / travel) / 2
    low, high = 0.5 - margin, 0.5 + margin
    e = _ease(t)
    if movement == "PUSH_IN":
        return _towards(1.0, OVERSCAN, e), 0.5, _towards(0.5, 0.46, e)
    if movement == "PULL_OUT":
        return _towards(OVERSCAN, 1.0, e), 0.5, _towards(0.46, 0.5, e)
    if movement == "PAN_LEFT":
        return travel, _towards(high, low, e), 0.5
    if movement == "PAN_RIGHT":
        return travel, _towards(low, high, e), 0.5
    if movement == "TILT_UP":
        return travel, 0.5, _towards(high, low, e)
    if movement == "TILT_DOWN":
        return travel, 0.5, _towards(low, high, e)
    if movement == "CRANE_UP":
        return _towards(OVERSCAN, travel, e), 0.5, _towards(high, low, e)
    if movement == "CRANE_DOWN":
        return _towards(travel, OVERSCAN, e), 0.5, _towards(low, high, e)
    if movement == "TRACKING":
        start, end = (high, low) if screen_direction == "RIGHT_TO_LEFT" else (low, high)
        return travel, _towards(start, end, t), 0.5
    if movement == "HANDHELD":
        zoom = 1.1
        shake = (1 - 1 / zoom) / 2 * 0.8
        rng = random.Random(seed)
        phases = [rng.uniform(0, 2 * math.pi) for _ in range(4)]
        dx = 0.6 * math.sin(2 * math.pi * 0.7 * seconds + phases[0]) + 0.4 * math.sin(2 * math.pi * 1.9 * seconds + phases[1])
        dy = 0.6 * math.sin(2 * math.pi * 0.5 * seconds + phases[2]) + 0.4 * math.sin(2 * math.pi * 2.3 * seconds + phases[3])
        return zoom, 0.5 + shake * dx, 0.5 + shake * dy
    return 1.0, 0.5, 0.5


def frame_count(duration_seconds: float, fps: int) -> int:
    """Frames for ``duration_seconds`` at ``fps`` (at least one)."""
    return max(1, round(duration_seconds * fps))


ZOOMING_MOVEMENTS = frozenset({"PUSH_IN", "PULL_OUT", "CRANE_UP", "CRANE_DOWN"})


def camera_frames(source: Image.Image, size: tuple[int, int], movement: str, frames: int, *, fps: int = 24,
                  screen_direction: str = "NEUTRAL", seed: int = 0) -> Iterator[bytes]:
    """Raw rgb24 frames of ``size`` moving over a prepared ``source`` (see
    :func:`prepare_source`).

    Movements that change the zoom resample every frame from a sub-pixel box
    (area-averaging, about 8 ms a frame at 720p). Movements at a constant zoom (pans, tilts,
    tracking, hand-held, static) resample the source once to the scale where
    the box is exactly the output size and then only crop at whole pixels,
    which is ten times cheaper; a static camera renders its frame once."""
    if movement not in MOVEMENTS:
        movement = "STATIC"

    def box_at(index: int) -> tuple[float, float, float, float]:
        t = index / (frames - 1) if frames > 1 else 0.0
        return camera_box(movement, t, source.size, screen_direction=screen_direction, seed=seed, seconds=index / fps)

    if movement in ZOOMING_MOVEMENTS:
        for index in range(frames):
            yield source.resize(size, Image.Resampling.BOX, box=box_at(index)).tobytes()
        return
    first = box_at(0)
    scale = size[0] / (first[2] - first[0])
    scaled = source.resize((max(size[0], round(source.width * scale)), max(size[1], round(source.height * scale))),
                           Image.Resampling.LANCZOS)
    pixels = memoryview(scaled.tobytes())
    if movement == "STATIC":
        still = _crop_at(pixels, scaled.size, first, scale, size)
        for _ in range(frames):
            yield still
        return
    for index in range(frames):
        yield _crop_at(pixels, scaled.size, box_at(index), scale, size)


def _crop_at(pixels: memoryview, scaled_size: tuple[int, int], box: tuple[float, float, float, float], scale: float,
             size: tuple[int, int]) -> bytes:
    """The rgb24 bytes of a ``size`` window of a raw image at the box's
    position rounded to whole pixels (joining row slices is three times
    faster than ``Image.crop().tobytes()``)."""
    left = min(max(0, round(box[0] * scale)), scaled_size[0] - size[0])
    top = min(max(0, round(box[1] * scale)), scaled_size[1] - size[1])
    stride, start, width = scaled_size[0] * 3, left * 3, size[0] * 3
    return b"".join([pixels[row * stride + start: row * stride + start + width] for row in range(top, top + size[1])])


def render_camera_move(image: Image.Image, out_path: Path, size: tuple[int, int], movement: str, duration_seconds: float,
                       settings: EncoderSettings, *, screen_direction: str = "NEUTRAL", seed: int = 0,
                       on_progress: FrameProgress | None = None, cancel: threading.Event | None = None) -> int:
    """Writes an MP4 of ``duration_seconds`` moving the camera over
    ``image``; returns the number of frames."""
    if duration_seconds <= 0:
        raise InvalidArgument.for_field("duration_seconds", "must be positive", "INVALID_DURATION")
    source = prepare_source(image, size)
    total = frame_count(duration_seconds, settings.fps)
    step = max(1, total // 20)
    with VideoWriter(out_path, size, settings, cancel) as writer:
        frames = camera_frames(source, size, movement, total, fps=settings.fps, screen_direction=screen_direction, seed=seed)
        for data in frames:
            writer.write_raw(data)
            if on_progress and (writer.frames % step == 0 or writer.frames == total):
                on_progress(writer.frames, total)
    return total
