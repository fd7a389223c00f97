"""Output checks: decodes, right media type, right aspect ratio."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from services.media.backends.base import BackendError, FailureReason, RenderOutput
from services.media.clips import EncoderSettings, VideoWriter
from services.media.output_checks import (
    OutputLimits,
    check_image,
    check_output,
    check_video,
    media_type_for_format,
    sniff_media_type,
)

FAST = EncoderSettings(fps=12, preset="ultrafast")


def _image(path: Path, size: tuple[int, int], fmt: str = "PNG") -> Path:
    Image.new("RGB", size, (90, 120, 200)).save(path, fmt)
    return path


def _video(path: Path, size: tuple[int, int], frames: int = 24) -> Path:
    with VideoWriter(path, size, FAST) as writer:
        for index in range(frames):
            writer.write(Image.new("RGB", size, (index * 10 % 255, 80, 160)))
    return path


def _rejected(call) -> BackendError:
    with pytest.raises(BackendError) as caught:
        call()
    assert caught.value.reason is FailureReason.INVALID_OUTPUT
    assert caught.value.failover and not caught.value.retryable
    return caught.value


@pytest.mark.parametrize(("size", "ratio"), [((1280, 720), "16:9"), ((1408, 768), "16:9"), ((768, 1408), "9:16"),
                                             ((896, 1280), "3:4"), ((1280, 896), "4:3"), ((1024, 1024), "1:1"),
                                             ((1280, 536), "2.39:1")])
def test_images_of_the_requested_ratio_pass(tmp_path, size, ratio):
    checked = check_image(_image(tmp_path / "a.png", size), aspect_ratio=ratio, expected_media_type="image/png")
    assert (checked.width, checked.height) == size and checked.media_type == "image/png" and checked.size_bytes > 0


@pytest.mark.parametrize(("size", "ratio", "words"), [((720, 1280), "16:9", "portrait 720x1280"),
                                                      ((1024, 1024), "16:9", "square"),
                                                      ((1024, 768), "1:1", "landscape"),
                                                      ((1280, 720), "9:16", "landscape")])
def test_images_of_another_ratio_are_rejected(tmp_path, size, ratio, words):
    error = _rejected(lambda: check_image(_image(tmp_path / "a.png", size), aspect_ratio=ratio))
    assert words in error.message and ratio in error.message


def test_the_wrong_image_type_is_rejected(tmp_path):
    path = _image(tmp_path / "a.png", (1280, 720), "JPEG")
    assert sniff_media_type(path) == "image/jpeg"
    error = _rejected(lambda: check_image(path, aspect_ratio="16:9", expected_media_type=media_type_for_format("png")))
    assert "image/png" in error.message and "image/jpeg" in error.message


def test_truncated_and_fake_images_are_rejected(tmp_path):
    good = _image(tmp_path / "a.png", (640, 360)).read_bytes()
    truncated = tmp_path / "t.png"
    truncated.write_bytes(good[: len(good) // 2])
    _rejected(lambda: check_image(truncated, aspect_ratio="16:9"))
    html = tmp_path / "h.png"
    html.write_text("<html>rate limited</html>")
    assert "not an image" in _rejected(lambda: check_image(html, aspect_ratio="16:9")).message
    empty = tmp_path / "e.png"
    empty.write_bytes(b"")
    assert "empty" in _rejected(lambda: check_image(empty, aspect_ratio="16:9")).message
    assert "missing" in _rejected(lambda: check_image(tmp_path / "none.png", aspect_ratio="16:9")).message


def test_oversized_images_are_rejected_before_decoding(tmp_path):
    path = _image(tmp_path / "big.png", (4000, 3000))
    error = _rejected(lambda: check_image(path, aspect_ratio="4:3", limits=OutputLimits(max_image_pixels=10_000_000)))
    assert "out of bounds" in error.message
    _rejected(lambda: check_image(path, aspect_ratio="4:3", limits=OutputLimits(max_file_bytes=100)))


def test_a_good_video_passes_and_is_measured(tmp_path):
    checked = check_video(_video(tmp_path / "v.mp4", (320, 180), frames=24), aspect_ratio="16:9",
                          expected_duration_seconds=2)
    assert checked.media_type == "video/mp4" and checked.codec == "h264"
    assert (checked.width, checked.height, checked.frames, checked.duration_seconds) == (320, 180, 24, 2.0)


def test_portrait_video_for_landscape_is_rejected(tmp_path):
    path = _video(tmp_path / "v.mp4", (180, 320))
    assert "portrait 180x320" in _rejected(lambda: check_video(path, aspect_ratio="16:9")).message


def test_broken_short_and_mistimed_videos_are_rejected(tmp_path):
    good = _video(tmp_path / "v.mp4", (320, 180), frames=36).read_bytes()
    truncated = tmp_path / "t.mp4"
    truncated.write_bytes(good[: len(good) * 2 // 3])
    _rejected(lambda: check_video(truncated, aspect_ratio="16:9"))
    short = _video(tmp_path / "s.mp4", (320, 180), frames=2)
    assert "too short" in _rejected(lambda: check_video(short, aspect_ratio="16:9")).message
    mistimed = _video(tmp_path / "m.mp4", (320, 180), frames=36)
    assert "8 s" in _rejected(lambda: check_video(mistimed, aspect_ratio="16:9", expected_duration_seconds=8)).message


def test_an_image_where_a_video_was_asked_is_rejected(tmp_path):
    output = RenderOutput(path=_image(tmp_path / "a.png", (1280, 720)), media_type="video/mp4", backend="x", model="m")
    assert "not a video" in _rejected(lambda: check_output(output, kind="video", aspect_ratio="16:9")).message


def test_the_sniffed_media_type_wins_over_the_declared_one(tmp_path):
    output = RenderOutput(path=_image(tmp_path / "a.png", (1280, 720)), media_type="application/octet-stream",
                          backend="replicate", model="google/imagen-4")
    checked = check_output(output, kind="image", aspect_ratio="16:9", expected_media_type="image/png")
    assert checked.media_type == "image/png"
    video = RenderOutput(path=_video(tmp_path / "v.mp4", (320, 180)), media_type="video/mp4", backend="local", model="m")
    assert check_output(video, kind="video", aspect_ratio="16:9").frames == 24
