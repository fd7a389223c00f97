"""Animatics: stills with camera moves, clips trimmed or held, captions
burned in, cut where the durations say, one H.264 file."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import imageio_ffmpeg
import pytest
from PIL import Image, ImageDraw

from services.media.animatic import AnimaticShot, render_animatic, shot_caption
from services.media.backends.base import PanelSpec
from services.media.clips import EncoderSettings, VideoWriter
from services.media.panels import render_panel
from services.runtime.errors import Cancelled, InvalidArgument
from tests.media.pixels import best_horizontal_shift, mean_difference, video_frames

FPS = 12
ENCODER = EncoderSettings(fps=FPS, preset="ultrafast")
RED, GREEN, BLUE, YELLOW, MAGENTA, CYAN = (220, 30, 30), (30, 200, 40), (30, 40, 220), (230, 220, 30), (210, 40, 200), (30, 210, 220)


def _still(path: Path, colour, size=(640, 360)) -> Path:
    Image.new("RGB", size, colour).save(path)
    return path


def _clip(path: Path, colours_and_frames, size=(320, 180), fps=FPS) -> Path:
    with VideoWriter(path, size, EncoderSettings(fps=fps, preset="ultrafast")) as writer:
        for colour, frames in colours_and_frames:
            frame = Image.new("RGB", size, colour)
            for _ in range(frames):
                writer.write(frame)
    return path


def _average(frame: Image.Image, box=None) -> tuple[int, int, int]:
    region = frame.crop(box) if box else frame
    return region.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))


def _close(actual, expected, tolerance=30) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected))


def _top_half(frame: Image.Image) -> tuple[int, int, int]:
    return _average(frame, (0, 0, frame.width, frame.height // 2))


def test_shots_are_cut_where_their_durations_say(tmp_path):
    shots = [
        AnimaticShot(_still(tmp_path / "a.png", RED), 1.0, caption="S001"),
        AnimaticShot(_clip(tmp_path / "b.mp4", [(YELLOW, FPS), (MAGENTA, FPS)]), 0.5, caption="S002"),
        AnimaticShot(_still(tmp_path / "c.png", GREEN), 0.75, caption="S003"),
        AnimaticShot(_clip(tmp_path / "d.mp4", [(CYAN, 4)]), 1.0, caption="S004"),
        AnimaticShot(_still(tmp_path / "e.png", BLUE), 0.25, caption="S005"),
    ]
    result = render_animatic(shots, tmp_path / "out.mp4", resolution="360p", encoder=ENCODER)
    meta, frames = video_frames(result.path)
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p") and meta["size"] == (640, 360)
    assert result.frames == len(frames) == 12 + 6 + 9 + 12 + 3
    assert imageio_ffmpeg.count_frames_and_secs(str(result.path)) == (42, 3.5)
    expected = [RED] * 12 + [YELLOW] * 6 + [GREEN] * 9 + [CYAN] * 12 + [BLUE] * 3
    wrong = [index for index, (frame, colour) in enumerate(zip(frames, expected)) if not _close(_top_half(frame), colour)]
    assert wrong == []


def test_captions_are_burned_in_only_when_asked(tmp_path):
    still = _still(tmp_path / "a.png", BLUE)
    caption = shot_caption("S001", "Wait... this changes everything.", "SARAH")
    assert caption == "S001  SARAH: \u201cWait... this changes everything.\u201d"
    with_text = render_animatic([AnimaticShot(still, 0.5, caption=caption)], tmp_path / "on.mp4", resolution="360p",
                                encoder=ENCODER)
    without = render_animatic([AnimaticShot(still, 0.5, caption=caption)], tmp_path / "off.mp4", resolution="360p",
                              encoder=ENCODER, captions=False)
    _, on_frames = video_frames(with_text.path)
    _, off_frames = video_frames(without.path)
    bottom = (0, 270, 640, 360)
    bright = lambda frame: sum(1 for pixel in frame.crop(bottom).getdata() if min(pixel) > 200)  # noqa: E731
    assert bright(on_frames[-1]) > 300
    assert bright(off_frames[-1]) == 0
    assert mean_difference(on_frames[0].crop((0, 0, 640, 200)), off_frames[0].crop((0, 0, 640, 200))) < 2


def test_stills_get_their_camera_move(tmp_path):
    pattern = Image.new("RGB", (1280, 720), (240, 240, 240))
    draw = ImageDraw.Draw(pattern)
    for x in range(0, 1280, 90):
        draw.rectangle((x, 0, x + 30, 720), fill=(20, 20, 20))
    draw.ellipse((500, 250, 780, 470), fill=RED)
    pattern.save(tmp_path / "p.png")
    shots = [AnimaticShot(tmp_path / "p.png", 1.0, camera_movement="PAN_RIGHT"),
             AnimaticShot(tmp_path / "p.png", 1.0, camera_movement="STATIC")]
    result = render_animatic(shots, tmp_path / "out.mp4", resolution="360p", encoder=ENCODER, captions=False)
    _, frames = video_frames(result.path)
    pan_first, pan_last = frames[0], frames[FPS - 1]
    assert best_horizontal_shift(pan_first.resize((320, 180)), pan_last.resize((320, 180)), 40) < -5
    assert mean_difference(frames[FPS], frames[-1]) < 1.0


def test_a_portrait_frame_is_letterboxed_in_a_landscape_animatic(tmp_path):
    shots = [AnimaticShot(_still(tmp_path / "tall.png", GREEN, size=(360, 640)), 0.5)]
    result = render_animatic(shots, tmp_path / "out.mp4", resolution="360p", encoder=ENCODER, captions=False)
    _, frames = video_frames(result.path)
    frame = frames[0]
    assert max(_average(frame, (0, 0, 100, 360))) < 20
    assert _close(_average(frame, (280, 100, 360, 260)), GREEN)


def test_portrait_animatics_follow_the_aspect_ratio(tmp_path):
    shots = [AnimaticShot(_still(tmp_path / "a.png", RED, size=(360, 640)), 0.25)]
    result = render_animatic(shots, tmp_path / "out.mp4", aspect_ratio="9:16", resolution="360p", encoder=ENCODER)
    meta, frames = video_frames(result.path)
    assert meta["size"] == (360, 640) == result.size and len(frames) == 3


def test_thirty_panel_shots_render_quickly(tmp_path):
    shots = []
    moves = ("STATIC", "PUSH_IN", "PAN_LEFT", "PULL_OUT", "TILT_UP", "TRACKING", "HANDHELD", "PAN_RIGHT")
    for index in range(30):
        spec = PanelSpec(shot_id=f"S{index + 1:03d}", shot_size=("WIDE", "MEDIUM", "CLOSE_UP")[index % 3],
                         camera_movement=moves[index % len(moves)], characters=("Sarah",), description=f"Beat {index}")
        path = tmp_path / f"{spec.shot_id}.png"
        render_panel(spec, (640, 360)).save(path)
        shots.append(AnimaticShot(path, 0.5, spec.camera_movement, shot_caption(spec.shot_id, "Line."), key=spec.shot_id))
    started = time.perf_counter()
    result = render_animatic(shots, tmp_path / "out.mp4", resolution="360p", encoder=ENCODER)
    elapsed = time.perf_counter() - started
    assert result.frames == 30 * 6 and result.shots == 30
    assert imageio_ffmpeg.count_frames_and_secs(str(result.path)) == (180, 15.0)
    assert elapsed < 20, elapsed


def test_progress_is_reported_and_cancel_stops_and_cleans_up(tmp_path):
    still = _still(tmp_path / "a.png", RED)
    reports: list[tuple[int, int]] = []
    render_animatic([AnimaticShot(still, 2.0)], tmp_path / "ok.mp4", resolution="360p", encoder=ENCODER,
                    on_progress=lambda done, total: reports.append((done, total)))
    assert reports[-1] == (24, 24) and [done for done, _ in reports] == sorted(done for done, _ in reports)

    cancel = threading.Event()

    def cancel_after_ten(done: int, total: int) -> None:
        if done >= 10:
            cancel.set()

    with pytest.raises(Cancelled):
        render_animatic([AnimaticShot(still, 5.0)], tmp_path / "cancelled.mp4", resolution="360p", encoder=ENCODER,
                        on_progress=cancel_after_ten, cancel=cancel)
    assert not (tmp_path / "cancelled.mp4").exists()


@pytest.mark.parametrize(
    ("make_shots", "field", "reason"),
    [
        (lambda d: [], "shots", "EMPTY_ANIMATIC"),
        (lambda d: [AnimaticShot(_still(d / "a.png", RED), 0)], "shots[0].duration_seconds", "INVALID_DURATION"),
        (lambda d: [AnimaticShot(_still(d / "a.png", RED), 1), AnimaticShot(d / "missing.png", 1)],
         "shots[1].source", "SOURCE_MISSING"),
        (lambda d: [AnimaticShot(d / "junk.bin", 1)], "shots[0].source", "SOURCE_UNREADABLE"),
    ],
)
def test_bad_shots_are_invalid_arguments(tmp_path, make_shots, field, reason):
    (tmp_path / "junk.bin").write_bytes(b"\x00garbage" * 100)
    with pytest.raises(InvalidArgument) as caught:
        render_animatic(make_shots(tmp_path), tmp_path / "out.mp4", resolution="360p", encoder=ENCODER)
    assert caught.value.reason == reason and caught.value.metadata["field"] == field
    assert not (tmp_path / "out.mp4").exists()
