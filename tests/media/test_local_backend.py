"""The local renderer as a MediaBackend: real PNG and MP4 files, decoded."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from services.media.backends.base import BackendError, FailureReason, ImageRequest, PanelSpec, VideoRequest
from services.media.backends.local import LocalBackend, LocalRendererSettings
from tests.media.pixels import best_horizontal_shift, mean_difference, video_frames

SHOT = PanelSpec(shot_id="S004", scene_id="SC002", shot_size="MEDIUM", camera_angle="EYE_LEVEL",
                 camera_movement="STATIC", time_of_day="DUSK", location="DOCKS", characters=("Sarah", "Tom"),
                 description="They argue on the pier.", dialogue="You knew.")


class Recorder:
    def __init__(self) -> None:
        self.progress: list[tuple[float, str]] = []
        self.upstream: list[str] = []

    async def sink(self, fraction: float, message: str) -> None:
        self.progress.append((fraction, message))

    async def started(self, upstream_id: str) -> None:
        self.upstream.append(upstream_id)


@pytest.fixture
def backend() -> LocalBackend:
    return LocalBackend()


async def _image(backend: LocalBackend, tmp_path: Path, **fields) -> tuple[Image.Image, Path, Recorder]:
    recorder = Recorder()
    request = ImageRequest(**{"prompt": "", "panel": SHOT, **fields})
    output = await backend.generate_image(request, tmp_path, recorder.sink, recorder.started)
    assert output.backend == "local" and output.path.parent == tmp_path
    with Image.open(output.path) as image:
        image.load()
        return image, output.path, recorder


@pytest.mark.parametrize(("ratio", "size"), [("16:9", (1280, 720)), ("9:16", (720, 1280)), ("1:1", (1024, 1024))])
async def test_images_are_pngs_at_the_requested_aspect_ratio(backend, tmp_path, ratio, size):
    image, path, recorder = await _image(backend, tmp_path, aspect_ratio=ratio)
    assert image.format == "PNG" and image.size == size and image.mode == "RGB"
    assert recorder.progress[-1][0] == 1.0
    assert [fraction for fraction, _ in recorder.progress] == sorted(fraction for fraction, _ in recorder.progress)
    assert recorder.upstream == []


async def test_jpeg_output_is_a_jpeg(backend, tmp_path):
    recorder = Recorder()
    output = await backend.generate_image(ImageRequest(prompt="", panel=SHOT, output_format="jpeg"), tmp_path,
                                          recorder.sink, recorder.started)
    assert output.media_type == "image/jpeg" and output.path.suffix == ".jpg"
    with Image.open(output.path) as image:
        assert image.format == "JPEG"


async def test_the_same_request_gives_the_same_bytes(backend, tmp_path):
    _, first, _ = await _image(backend, tmp_path / "a", seed=3)
    _, second, _ = await _image(backend, tmp_path / "b", seed=3)
    assert first.name == second.name
    assert first.read_bytes() == second.read_bytes()


async def test_different_shots_look_different(backend, tmp_path):
    wide, _, _ = await _image(backend, tmp_path / "a", panel=replace(SHOT, shot_id="S005", shot_size="WIDE"))
    close, _, _ = await _image(backend, tmp_path / "b", panel=replace(SHOT, shot_id="S006", shot_size="CLOSE_UP",
                                                                      camera_angle="LOW"))
    assert mean_difference(wide, close) > 10


async def test_free_prompts_render_and_differ_by_seed(backend, tmp_path):
    first, _, _ = await _image(backend, tmp_path / "a", panel=None, prompt="A lighthouse on a cliff at night", seed=1)
    second, _, _ = await _image(backend, tmp_path / "b", panel=None, prompt="A lighthouse on a cliff at night", seed=2)
    assert first.size == (1280, 720)
    assert mean_difference(first, second) > 1


@pytest.mark.parametrize(
    ("request_fields", "words"),
    [({"aspect_ratio": "16x9"}, "aspect ratio"), ({"output_format": "gif"}, "output_format"),
     ({"panel": None, "prompt": "  "}, "prompt")],
)
async def test_bad_image_requests_fail_with_invalid_input(backend, tmp_path, request_fields, words):
    with pytest.raises(BackendError) as caught:
        await _image(backend, tmp_path, **request_fields)
    assert caught.value.reason is FailureReason.INVALID_INPUT and words in caught.value.message
    assert not caught.value.retryable and not caught.value.failover


async def _video(backend: LocalBackend, tmp_path: Path, **fields):
    recorder = Recorder()
    request = VideoRequest(**{"prompt": "", "panel": SHOT, "duration_seconds": 1, "resolution": "360p", **fields})
    output = await backend.generate_video(request, tmp_path, recorder.sink, recorder.started)
    meta, frames = video_frames(output.path)
    return output, meta, frames, recorder


async def test_video_is_h264_yuv420p_with_the_requested_duration(backend, tmp_path):
    output, meta, frames, recorder = await _video(backend, tmp_path, duration_seconds=2, aspect_ratio="9:16")
    assert output.media_type == "video/mp4" and output.path.read_bytes()[4:8] == b"ftyp"
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["size"] == (360, 640) and meta["fps"] == 24
    assert len(frames) == 48
    fractions = [fraction for fraction, _ in recorder.progress]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0 and len(fractions) >= 5


async def test_pan_right_moves_the_picture_left(backend, tmp_path):
    _, _, frames, _ = await _video(backend, tmp_path, panel=replace(SHOT, camera_movement="PAN_RIGHT"))
    first, last = (frame.resize((160, 90)) for frame in (frames[0], frames[-1]))
    assert best_horizontal_shift(first, last, 30) < -3


async def test_pan_left_moves_the_picture_right(backend, tmp_path):
    _, _, frames, _ = await _video(backend, tmp_path, panel=replace(SHOT, camera_movement="PAN_LEFT"))
    first, last = (frame.resize((160, 90)) for frame in (frames[0], frames[-1]))
    assert best_horizontal_shift(first, last, 30) > 3


async def test_push_in_magnifies_and_static_holds(backend, tmp_path):
    _, _, pushed, _ = await _video(backend, tmp_path / "push", panel=replace(SHOT, camera_movement="PUSH_IN"))
    _, _, held, _ = await _video(backend, tmp_path / "static", panel=replace(SHOT, camera_movement="STATIC"))
    assert mean_difference(held[0], held[-1]) < 1.0
    assert mean_difference(pushed[0], pushed[-1]) > 4.0
    # The centre of the last pushed frame is the first frame's centre, enlarged.
    w, h = pushed[0].size
    zoom = 1.25
    crop = pushed[0].crop((w / 2 - w / zoom / 2, h * 0.46 - h / zoom / 2, w / 2 + w / zoom / 2, h * 0.46 + h / zoom / 2))
    enlarged = crop.resize((w, h))
    assert mean_difference(enlarged, pushed[-1]) < mean_difference(pushed[0], pushed[-1]) / 2


async def test_video_moves_over_the_reference_image(backend, tmp_path):
    reference = tmp_path / "frame.png"
    Image.new("RGB", (640, 360), (200, 30, 40)).save(reference)
    _, _, frames, _ = await _video(backend, tmp_path / "out", reference_image=reference)
    red, green, blue = frames[len(frames) // 2].resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert red > 170 and green < 60 and blue < 70


async def test_unreadable_reference_image_is_invalid_input(backend, tmp_path):
    reference = tmp_path / "frame.png"
    reference.write_bytes(b"not an image")
    with pytest.raises(BackendError) as caught:
        await _video(backend, tmp_path / "out", reference_image=reference)
    assert caught.value.reason is FailureReason.INVALID_INPUT


@pytest.mark.parametrize(("fields", "words"), [({"duration_seconds": 0}, "duration"), ({"resolution": "8k"}, "resolution"),
                                               ({"aspect_ratio": "1:9"}, "aspect")])
async def test_bad_video_requests_fail_with_invalid_input(backend, tmp_path, fields, words):
    with pytest.raises(BackendError) as caught:
        await _video(backend, tmp_path, **fields)
    assert caught.value.reason is FailureReason.INVALID_INPUT and words in caught.value.message


async def test_cancelling_stops_the_render_and_leaves_no_file(backend, tmp_path):
    recorder = Recorder()
    request = VideoRequest(prompt="a long slow push in", duration_seconds=30, resolution="720p")
    task = asyncio.create_task(backend.generate_video(request, tmp_path, recorder.sink, recorder.started))
    while not recorder.progress or recorder.progress[-1][0] < 0.06:
        await asyncio.sleep(0.02)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert list(tmp_path.glob("*.mp4")) == []
    assert recorder.progress[-1][0] < 0.5


async def test_a_broken_encoder_is_reported_as_backend_unavailable(tmp_path):
    broken = LocalBackend(LocalRendererSettings(ffmpeg_exe=str(tmp_path / "no-ffmpeg")))
    with pytest.raises(BackendError) as caught:
        await _video(broken, tmp_path)
    assert caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert list(tmp_path.glob("*.mp4")) == []


async def test_resume_asks_for_a_fresh_render_and_cancel_is_harmless(backend, tmp_path):
    recorder = Recorder()
    with pytest.raises(BackendError) as caught:
        await backend.resume("anything", "video", tmp_path, recorder.sink)
    assert caught.value.retryable and caught.value.reason is FailureReason.BACKEND_UNAVAILABLE
    assert await backend.cancel("anything") is None
