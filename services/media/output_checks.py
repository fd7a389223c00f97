"""Checks of a backend's output file before it is stored.

A file passes when it decodes completely, its media type (sniffed from its
bytes, not taken from the backend's word) is what was asked for, and its
aspect ratio matches the request (a portrait image returned for 16:9 is a
known failure of generative backends). Anything else raises
``BackendError(FailureReason.INVALID_OUTPUT, ...)`` with ``failover=True``:
another backend may do better, while retrying the same model tends to repeat
the mistake.

The aspect-ratio tolerance is on ``|ln(actual / requested)|``; the default
0.08 accepts the sizes Imagen really returns (1408x768 for 16:9, 896x1280
for 3:4, up to 7% off) and rejects every other ratio of the vocabulary
(the closest pair, 4:3 and 1:1, is 29% apart).
"""

from __future__ import annotations

import logging
import subprocess
from dataclasses import dataclass
from pathlib import Path

import imageio_ffmpeg
from PIL import Image, UnidentifiedImageError

from services.media.backends.base import BackendError, FailureReason, RenderOutput
from services.media.panel_sizes import parse_aspect_ratio, ratio_distance
from services.runtime.errors import InvalidArgument

_LOGGER = logging.getLogger(__name__)

IMAGE_TYPES = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp", "GIF": "image/gif"}
FORMAT_MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp",
                      "mp4": "video/mp4"}


@dataclass(frozen=True)
class OutputLimits:
    """Bounds an output must respect (from the media defaults)."""

    aspect_ratio_tolerance: float = 0.08
    max_file_bytes: int = 512 * 1024 * 1024
    max_image_pixels: int = 40_000_000
    min_video_seconds: float = 0.5
    video_duration_tolerance_seconds: float = 1.0
    decode_timeout_seconds: float = 120.0


@dataclass(frozen=True)
class CheckedOutput:
    """What the checks measured; the runner stores ``media_type`` with the
    blob and prices videos by ``duration_seconds``."""

    path: Path
    media_type: str
    width: int
    height: int
    size_bytes: int
    duration_seconds: float | None = None
    frames: int | None = None
    codec: str = ""


def media_type_for_format(output_format: str) -> str:
    """``"png"`` -> ``"image/png"``; INVALID_ARGUMENT for unknown formats."""
    found = FORMAT_MEDIA_TYPES.get((output_format or "").lower())
    if found is None:
        raise InvalidArgument.for_field("output_format", f"{output_format!r} is not a known format", "INVALID_FORMAT")
    return found


def sniff_media_type(path: Path) -> str | None:
    """The media type from the file's first bytes, or None when unknown."""
    with path.open("rb") as handle:
        head = handle.read(16)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[4:8] == b"ftyp":
        return "video/quicktime" if head[8:12] == b"qt  " else "video/mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video/webm"
    return None


def check_output(output: RenderOutput, *, kind: str, aspect_ratio: str | None, expected_media_type: str | None = None,
                 expected_duration_seconds: float | None = None, limits: OutputLimits | None = None) -> CheckedOutput:
    """Checks a backend's :class:`RenderOutput`; ``kind`` is ``"image"`` or
    ``"video"``. The backend's declared media type is not trusted."""
    limits = limits or OutputLimits()
    if kind == "image":
        checked = check_image(output.path, aspect_ratio=aspect_ratio, expected_media_type=expected_media_type,
                              limits=limits)
    elif kind == "video":
        checked = check_video(output.path, aspect_ratio=aspect_ratio,
                              expected_media_type=expected_media_type or "video/mp4",
                              expected_duration_seconds=expected_duration_seconds, limits=limits)
    else:
        raise InvalidArgument.for_field("kind", f"{kind!r} is not image or video", "INVALID_KIND")
    if output.media_type and output.media_type != checked.media_type:
        _LOGGER.warning("backend %s declared %s for a %s file; using the sniffed type", output.backend,
                        output.media_type, checked.media_type)
    return checked


def check_image(path: Path, *, aspect_ratio: str | None, expected_media_type: str | None = None,
                limits: OutputLimits | None = None) -> CheckedOutput:
    """A complete, decodable image of the expected type and aspect ratio."""
    limits = limits or OutputLimits()
    size_bytes = _check_file(path, limits)
    sniffed = sniff_media_type(path)
    if sniffed is None or not sniffed.startswith("image/"):
        raise _invalid(f"the output is not an image (looks like {sniffed or 'unknown data'})")
    if expected_media_type and sniffed != expected_media_type:
        raise _invalid(f"asked for {expected_media_type}, got {sniffed}")
    try:
        with Image.open(path) as image:
            width, height = image.size
            if width <= 0 or height <= 0 or width * height > limits.max_image_pixels:
                raise _invalid(f"image size {width}x{height} is out of bounds")
            image.verify()
        with Image.open(path) as image:
            image.load()
    except BackendError:
        raise
    except (OSError, SyntaxError, ValueError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        raise _invalid(f"the image does not decode: {error}") from error
    _check_ratio(width, height, aspect_ratio, limits)
    return CheckedOutput(path=path, media_type=sniffed, width=width, height=height, size_bytes=size_bytes)


def check_video(path: Path, *, aspect_ratio: str | None, expected_media_type: str = "video/mp4",
                expected_duration_seconds: float | None = None, limits: OutputLimits | None = None) -> CheckedOutput:
    """A video of the expected container that decodes to the end without
    errors, with frames, a plausible duration and the expected aspect ratio."""
    limits = limits or OutputLimits()
    size_bytes = _check_file(path, limits)
    sniffed = sniff_media_type(path)
    if sniffed is None or not sniffed.startswith("video/"):
        raise _invalid(f"the output is not a video (looks like {sniffed or 'unknown data'})")
    if sniffed != expected_media_type:
        raise _invalid(f"asked for {expected_media_type}, got {sniffed}")
    meta = _probe(path)
    _decode_fully(path, limits)
    try:
        frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    except (OSError, RuntimeError, ValueError) as error:
        raise _invalid(f"the video cannot be measured: {error}") from error
    if frames < 1 or seconds < limits.min_video_seconds:
        raise _invalid(f"the video is too short ({frames} frames, {seconds:.2f} s)")
    if expected_duration_seconds is not None and \
            abs(seconds - expected_duration_seconds) > limits.video_duration_tolerance_seconds:
        raise _invalid(f"asked for {expected_duration_seconds:g} s of video, got {seconds:.2f} s")
    width, height = meta["size"]
    _check_ratio(width, height, aspect_ratio, limits)
    return CheckedOutput(path=path, media_type=sniffed, width=width, height=height, size_bytes=size_bytes,
                         duration_seconds=seconds, frames=frames, codec=str(meta.get("codec", "")))


def _check_file(path: Path, limits: OutputLimits) -> int:
    try:
        size = path.stat().st_size
    except OSError as error:
        raise _invalid(f"the output file is missing: {error}") from error
    if size == 0:
        raise _invalid("the output file is empty")
    if size > limits.max_file_bytes:
        raise _invalid(f"the output is {size} bytes, more than the {limits.max_file_bytes} allowed")
    return size


def _check_ratio(width: int, height: int, aspect_ratio: str | None, limits: OutputLimits) -> None:
    if not aspect_ratio:
        return
    expected = parse_aspect_ratio(aspect_ratio)
    if ratio_distance(width, height, expected.value) > limits.aspect_ratio_tolerance:
        orientation = "portrait" if height > width else "landscape" if width > height else "square"
        raise _invalid(f"asked for {expected.text}, got a {orientation} {width}x{height} output")


def _probe(path: Path) -> dict:
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
        next(reader)
    except (OSError, RuntimeError, StopIteration) as error:
        raise _invalid(f"the video does not decode: {error}") from error
    finally:
        reader.close()
    return meta


def _decode_fully(path: Path, limits: OutputLimits) -> None:
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-xerror",
               "-i", str(path), "-map", "0:v:0", "-f", "null", "-"]
    try:
        result = subprocess.run(command, capture_output=True, timeout=limits.decode_timeout_seconds, check=False)
    except subprocess.TimeoutExpired as error:
        raise _invalid("decoding the video took too long") from error
    errors = result.stderr.decode("utf-8", "replace").strip()
    if result.returncode != 0 or errors:
        raise _invalid(f"the video does not decode cleanly: {errors[:500] or f'exit code {result.returncode}'}")


def _invalid(message: str) -> BackendError:
    return BackendError(FailureReason.INVALID_OUTPUT, message, failover=True)
