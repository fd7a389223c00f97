"""Animatics: one H.264 MP4 from a shot plan's frames and clips, in order.

Each shot contributes exactly ``round(duration x fps)`` frames, so the cut
points land where the shot durations put them:

- a still gets its camera movement (pan, tilt, push-in, pull-out ...; see
  ``clips.py``) for the shot's duration;
- a clip is resampled to the animatic's fps and size, trimmed to the
  duration or held on its last frame to fill it;
- the caption (shot id and dialogue) is drawn with Pillow onto the frames, so
  it looks the same everywhere and needs no ffmpeg font setup.

Frames stream through one ffmpeg process; memory holds one shot's source and
one frame, whatever the length. Blocking: run it in a thread.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, Sequence

import imageio_ffmpeg
from PIL import Image, UnidentifiedImageError

from services.media.clips import (
    LETTERBOX_DISTANCE,
    EncoderSettings,
    FrameProgress,
    VideoWriter,
    camera_frames,
    frame_count,
    prepare_source,
)
from services.media.panel_sizes import ratio_distance, video_size
from services.media.panel_text import caption_strip
from services.runtime.errors import InvalidArgument

_LOGGER = logging.getLogger(__name__)

MAX_SHOTS = 1000
MAX_SHOT_SECONDS = 120.0
MAX_TOTAL_SECONDS = 3600.0


@dataclass(frozen=True)
class AnimaticShot:
    """One shot of an animatic: a still image or a video clip on local disk."""

    source: Path
    duration_seconds: float
    camera_movement: str = "STATIC"
    caption: str = ""
    screen_direction: str = "NEUTRAL"
    key: str = ""
    """The shot id; seeds the hand-held shake and names the shot in errors."""


@dataclass(frozen=True)
class AnimaticResult:
    """What was written."""

    path: Path
    frames: int
    fps: int
    size: tuple[int, int]
    shots: int

    @property
    def duration_seconds(self) -> float:
        return self.frames / self.fps


def shot_caption(shot_id: str, dialogue: str = "", speaker: str = "") -> str:
    """The caption of a shot: its id, then the dialogue with its speaker."""
    line = dialogue.strip()
    if line and speaker.strip():
        line = f"{speaker.strip()}: \u201c{line}\u201d"
    elif line:
        line = f"\u201c{line}\u201d"
    return f"{shot_id}  {line}".strip()


def render_animatic(
    shots: Sequence[AnimaticShot],
    out_path: Path,
    *,
    aspect_ratio: str = "16:9",
    resolution: str = "720p",
    captions: bool = True,
    encoder: EncoderSettings | None = None,
    on_progress: FrameProgress | None = None,
    cancel: threading.Event | None = None,
) -> AnimaticResult:
    """Writes the animatic of ``shots`` to ``out_path``."""
    encoder = encoder or EncoderSettings()
    _validate(shots, encoder.fps)
    size = video_size(aspect_ratio, resolution)
    counts = [frame_count(shot.duration_seconds, encoder.fps) for shot in shots]
    total = sum(counts)
    step = max(1, total // 100)
    with VideoWriter(out_path, size, encoder, cancel) as writer:
        for index, (shot, count) in enumerate(zip(shots, counts)):
            overlay = caption_strip(size[0], size[1], [shot.caption]) if captions else None
            previous: tuple[bytes, bytes] | None = None
            for data in _shot_frames(index, shot, size, count, encoder.fps):
                if overlay is not None:
                    if previous is None or previous[0] is not data:
                        previous = (data, _burn(data, size, overlay))
                    data = previous[1]
                writer.write_raw(data)
                if on_progress and (writer.frames % step == 0 or writer.frames == total):
                    on_progress(writer.frames, total)
    _LOGGER.info("animatic of %s shots written: %s frames at %s fps, %sx%s", len(shots), total, encoder.fps, *size)
    return AnimaticResult(path=out_path, frames=total, fps=encoder.fps, size=size, shots=len(shots))


def _validate(shots: Sequence[AnimaticShot], fps: int) -> None:
    if not shots:
        raise InvalidArgument.for_field("shots", "an animatic needs at least one shot", "EMPTY_ANIMATIC")
    if len(shots) > MAX_SHOTS:
        raise InvalidArgument.for_field("shots", f"at most {MAX_SHOTS} shots", "TOO_MANY_SHOTS")
    if not 1 <= fps <= 60:
        raise InvalidArgument.for_field("fps", "must be 1..60", "INVALID_FPS")
    for index, shot in enumerate(shots):
        if not 0 < shot.duration_seconds <= MAX_SHOT_SECONDS:
            raise InvalidArgument.for_field(f"shots[{index}].duration_seconds",
                                            f"must be in (0, {MAX_SHOT_SECONDS:g}]", "INVALID_DURATION")
    if sum(shot.duration_seconds for shot in shots) > MAX_TOTAL_SECONDS:
        raise InvalidArgument.for_field("shots", f"longer than {MAX_TOTAL_SECONDS:g} s in total", "ANIMATIC_TOO_LONG")


def _shot_frames(index: int, shot: AnimaticShot, size: tuple[int, int], count: int, fps: int) -> Iterator[bytes]:
    still = _open_still(index, shot.source)
    if still is not None:
        source = prepare_source(still, size)
        still.close()
        seed = int.from_bytes((shot.key or str(index)).encode("utf-8")[:8].ljust(8, b"\0"), "big")
        yield from camera_frames(source, size, shot.camera_movement, count, fps=fps,
                                 screen_direction=shot.screen_direction, seed=seed)
        return
    yield from _clip_frames(index, shot.source, size, count, fps)


def _open_still(index: int, path: Path) -> Image.Image | None:
    """The image at ``path``, or None when it is not an image (a clip)."""
    try:
        with Image.open(path) as image:
            image.seek(0)
            return image.convert("RGB")
    except UnidentifiedImageError:
        return None
    except FileNotFoundError as error:
        raise InvalidArgument.for_field(f"shots[{index}].source", "file does not exist", "SOURCE_MISSING") from error
    except (OSError, Image.DecompressionBombError) as error:
        raise InvalidArgument.for_field(f"shots[{index}].source", f"image cannot be decoded: {error}",
                                        "SOURCE_UNREADABLE") from error


def _clip_frames(index: int, path: Path, size: tuple[int, int], count: int, fps: int) -> Iterator[bytes]:
    """``count`` frames of the clip at ``fps`` and ``size``: trimmed, or held
    on the last frame. Cropped to fill the frame when the aspect ratios are
    close, letterboxed when they are not."""
    width, height = size
    source = _clip_size(index, path)
    if ratio_distance(source[0], source[1], width / height) > LETTERBOX_DISTANCE:
        fit = (f"scale={width}:{height}:force_original_aspect_ratio=decrease,"
               f"pad={width}:{height}:(ow-iw)/2:(oh-ih)/2:color=black")
    else:
        fit = f"scale={width}:{height}:force_original_aspect_ratio=increase,crop={width}:{height}"
    reader = imageio_ffmpeg.read_frames(str(path), output_params=["-vf", f"fps={fps},{fit},setsar=1", "-an"])
    last: bytes | None = None
    written = 0
    try:
        next(reader)
        for data in reader:
            if written == count:
                break
            last = bytes(data)
            written += 1
            yield last
    except (OSError, RuntimeError) as error:
        raise InvalidArgument.for_field(f"shots[{index}].source", f"clip cannot be decoded: {error}",
                                        "SOURCE_UNREADABLE") from error
    finally:
        reader.close()
    if last is None:
        raise InvalidArgument.for_field(f"shots[{index}].source", "clip has no video frames", "SOURCE_UNREADABLE")
    for _ in range(count - written):
        yield last


def _clip_size(index: int, path: Path) -> tuple[int, int]:
    if not path.is_file():
        raise InvalidArgument.for_field(f"shots[{index}].source", "file does not exist", "SOURCE_MISSING")
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        meta = next(reader)
    except (OSError, RuntimeError, StopIteration) as error:
        raise InvalidArgument.for_field(f"shots[{index}].source", f"neither an image nor a video: {error}",
                                        "SOURCE_UNREADABLE") from error
    finally:
        reader.close()
    return tuple(meta["size"])  # type: ignore[return-value]


def _burn(data: bytes, size: tuple[int, int], overlay: tuple[Image.Image, tuple[int, int]]) -> bytes:
    """``data`` with the caption pasted in; only the caption's rows are
    decoded and re-encoded."""
    strip, (x, y) = overlay
    row = size[0] * 3
    top, bottom = y * row, (y + strip.height) * row
    band = Image.frombytes("RGB", (size[0], strip.height), data[top:bottom])
    band.paste(strip, (x, 0), strip)
    return data[:top] + band.tobytes() + data[bottom:]
