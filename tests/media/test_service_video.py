"""GenerateVideo over gRPC (issue 5, "Video"): from a prompt or a shot, on the
local renderer (a real H.264 clip of the asked length and aspect ratio that
moves over the reference image named by revision) and on Replicate through
the real SDK and a fake server (Veo's input: snapped duration, rules,
negative prompt, seed, audio, the reference image as a file)."""

from __future__ import annotations

import math
from pathlib import Path

import grpc
import imageio_ffmpeg
import pytest
import pytest_asyncio
from google.protobuf import duration_pb2
from PIL import Image

from previs.media.v1 import media_pb2, media_service_pb2 as mpb
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb
from tests.fakes.replicate_server import VEO_MODEL, FakeReplicate, PredictionScript
from tests.media.pixels import video_frames
from tests.media.service_harness import media_harness, rpc_error, replicate_overrides
from tests.status_details import violated_fields

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOCAL = media_pb2.BACKEND_LOCAL
RED = (210, 30, 30)


@pytest.fixture(scope="module")
def replicate():
    with FakeReplicate() as fake:
        yield fake


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory, replicate):
    async with media_harness(
        tmp_path_factory.mktemp("video"), **replicate_overrides(replicate),
    ) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def story(harness):
    return await harness.a.story()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def reference(harness, story, tmp_path_factory):
    """A user's red image stored as a revision."""
    path = tmp_path_factory.mktemp("reference") / "red.png"
    Image.new("RGB", (320, 180), RED).save(path)
    return (await harness.a.upload_image(story.project, path)).name



def _seconds(value: float) -> duration_pb2.Duration:
    return duration_pb2.Duration(seconds=int(value), nanos=round((value % 1) * 1e9))


async def _clip(caller, revision: storage_pb2.Revision, folder: Path):
    media_type, data = await caller.file_of(revision)
    assert media_type == "video/mp4"
    path = folder / "clip.mp4"
    path.write_bytes(data)
    meta, frames = video_frames(path)
    _count, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    return meta, frames, seconds


async def test_a_prompt_clip_moves_over_the_reference_image(harness, story, reference, tmp_path):
    caller = harness.a
    spec = media_pb2.VideoSpec(prompt="Slow push towards the red door", duration=_seconds(1), aspect_ratio="9:16",
                               reference_image_revision=reference, seed=3, resolution="480p", backend=LOCAL)
    started = await caller.media.GenerateVideo(mpb.GenerateVideoRequest(parent=story.project, spec=spec))
    assert started.kind == media_pb2.JOB_KIND_VIDEO and started.video == spec
    job = await caller.succeeded(started)
    assert job.items[0].backend == LOCAL
    revision = await caller.revision(job.output_revisions[0])
    asset = await caller.storage.GetAsset(spb.GetAssetRequest(name=revision.name.rsplit("/revisions/", 1)[0]))
    assert asset.kind == storage_pb2.ASSET_KIND_VIDEO
    assert list(revision.parents) == [reference]
    assert revision.labels["aspect_ratio"] == "9:16" and revision.labels["seed"] == "3"
    meta, frames, seconds = await _clip(caller, revision, tmp_path)
    assert meta["codec"].startswith("h264")
    assert seconds == pytest.approx(1.0, abs=0.1)
    width, height = meta["size"]
    assert abs(width / height - 9 / 16) < 0.02
    assert min(width, height) == 480
    # The camera moves over the reference: the middle of the picture is the
    # red image.
    frame = frames[len(frames) // 2]
    centre = frame.crop((width // 3, height // 3, 2 * width // 3, 2 * height // 3))
    middle = centre.resize((1, 1), Image.Resampling.BOX).getpixel((0, 0))
    assert all(abs(a - b) < 40 for a, b in zip(middle, RED)), middle


async def test_a_shot_clip_takes_the_shot_duration_and_the_plan_aspect_ratio(harness, story, tmp_path):
    caller = harness.a
    shot = min(story.shots, key=lambda shot: shot.duration.ToTimedelta())
    job = await caller.succeeded(await caller.media.GenerateVideo(mpb.GenerateVideoRequest(
        parent=story.project, spec=media_pb2.VideoSpec(
            shot=media_pb2.ShotRef(shot_plan_revision=story.shot_plan.revision, shot_id=shot.id), resolution="480p",
            backend=LOCAL))))
    revision = await caller.revision(job.output_revisions[0])
    assert revision.labels["shot_id"] == shot.id and revision.labels["scene_id"] == shot.scene_id
    assert revision.labels["video_type"] == "SHOT_CLIP"
    assert story.shot_plan.revision in revision.parents
    meta, _frames, seconds = await _clip(caller, revision, tmp_path)
    expected = math.ceil(shot.duration.ToTimedelta().total_seconds() - 0.05)
    assert seconds == pytest.approx(expected, abs=0.1)
    width, height = meta["size"]
    assert abs(width / height - 16 / 9) < 0.02
    # The clip is the shot's, so animatics find it: a second one is a new
    # revision of the same asset.
    again = await caller.succeeded(await caller.media.GenerateVideo(mpb.GenerateVideoRequest(
        parent=story.project, spec=media_pb2.VideoSpec(
            shot=media_pb2.ShotRef(shot_plan_revision=story.shot_plan.revision, shot_id=shot.id),
            duration=_seconds(0.6), resolution="480p", backend=LOCAL))))
    second = await caller.revision(again.output_revisions[0])
    assert second.name.rsplit("/revisions/", 1)[0] == revision.name.rsplit("/revisions/", 1)[0]
    assert second.revision_number == revision.revision_number + 1
    # An asked length is made in whole seconds that cover it.
    assert float(second.labels["duration_seconds"]) == pytest.approx(1.0, abs=0.1)


async def test_veo_on_replicate_gets_the_reference_file_and_every_option(harness, story, reference, replicate):
    caller = harness.a
    shot = story.shots[1]
    snapped = min((4, 6, 8), key=lambda choice: (abs(choice - shot.duration.ToTimedelta().total_seconds()), choice))
    replicate.script(VEO_MODEL, PredictionScript(video_seconds=snapped, video_size=(90, 160)))
    spec = media_pb2.VideoSpec(
        shot=media_pb2.ShotRef(shot_plan_revision=story.shot_plan.revision, shot_id=shot.id),
        negative_prompt="text overlays", aspect_ratio="9:16", generate_audio=False, seed=99,
        reference_image_revision=reference, rules_template="Keep it cinematic", resolution="1080p",
        backend=media_pb2.BACKEND_REPLICATE)
    job = await caller.succeeded(await caller.media.GenerateVideo(mpb.GenerateVideoRequest(parent=story.project,
                                                                                         spec=spec)))
    assert job.items[0].backend == media_pb2.BACKEND_REPLICATE and job.items[0].model == VEO_MODEL
    create = [request.json()["input"] for request in replicate.requests
              if request.method == "POST" and request.path.endswith(f"/models/{VEO_MODEL}/predictions")][-1]
    assert create["duration"] == snapped  # the shot's length snapped to what Veo makes
    assert create["aspect_ratio"] == "9:16" and create["resolution"] == "1080p"
    assert create["generate_audio"] is False and create["seed"] == 99
    assert create["negative_prompt"].endswith("text overlays") and create["prompt"].endswith("Keep it cinematic")
    image = create["image"]
    assert not image.startswith("data:")  # uploaded as a file, never inlined
    uploaded = replicate.uploaded(image.rsplit("/", 1)[-1])
    assert uploaded == await caller.download((await caller.revision(reference)).blobs[0].blob)
    # Priced by the table: Veo without audio, per second of the clip made.
    assert job.cost.estimated_usd > 0 and job.cost.actual_usd > 0


@pytest.mark.parametrize("spec, field", [
    (media_pb2.VideoSpec(), "spec.source"),
    (media_pb2.VideoSpec(prompt=" "), "spec.prompt"),
    (media_pb2.VideoSpec(prompt="x" * 4001), "spec.prompt"),
    (media_pb2.VideoSpec(shot=media_pb2.ShotRef()), "spec.shot.shot_id"),
    (media_pb2.VideoSpec(prompt="a", aspect_ratio="5:4"), "spec.aspect_ratio"),
    (media_pb2.VideoSpec(prompt="a", duration=duration_pb2.Duration(seconds=0)), "spec.duration"),
    (media_pb2.VideoSpec(prompt="a", duration=duration_pb2.Duration(seconds=61)), "spec.duration"),
    (media_pb2.VideoSpec(prompt="a", resolution="4k"), "spec.resolution"),
    (media_pb2.VideoSpec(prompt="a", negative_prompt="x" * 2001), "spec.negative_prompt"),
    (media_pb2.VideoSpec(prompt="a", rules_template="x" * 2001), "spec.rules_template"),
    (media_pb2.VideoSpec(prompt="a", reference_image_revision="images/1"), "spec.reference_image_revision"),
    (media_pb2.VideoSpec(prompt="a", backend=7), "spec.backend"),
    # What Veo cannot make is refused before a job starts when Veo is asked for.
    (media_pb2.VideoSpec(prompt="a", duration=duration_pb2.Duration(seconds=5),
                         backend=media_pb2.BACKEND_REPLICATE), "spec.duration"),
    (media_pb2.VideoSpec(prompt="a", aspect_ratio="1:1", backend=media_pb2.BACKEND_REPLICATE), "spec.aspect_ratio"),
    (media_pb2.VideoSpec(prompt="a", resolution="480p", backend=media_pb2.BACKEND_REPLICATE), "spec.resolution"),
])
async def test_bad_video_requests_name_the_field(harness, story, spec, field):
    error = await rpc_error(harness.a.media.GenerateVideo(mpb.GenerateVideoRequest(parent=story.project, spec=spec)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]


async def test_unknown_shots_and_images(harness, story, reference):
    caller = harness.a

    def request(parent: str = story.project, **spec) -> mpb.GenerateVideoRequest:
        return mpb.GenerateVideoRequest(parent=parent, spec=media_pb2.VideoSpec(**spec))

    shot = media_pb2.ShotRef(shot_plan_revision=story.shot_plan.revision, shot_id="S999")
    error = await rpc_error(caller.media.GenerateVideo(request(shot=shot)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["spec.shot.shot_id"]
    error = await rpc_error(caller.media.GenerateVideo(request(prompt="a", reference_image_revision=story.plan.revision)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["spec.reference_image_revision"]
    missing = reference.rsplit("/", 1)[0] + "/9"
    for call in (caller.media.GenerateVideo(request(prompt="a", reference_image_revision=missing)),
                 caller.media.GenerateVideo(request(prompt="a", last_frame_revision=missing)),
                 caller.media.GenerateVideo(request(shot=media_pb2.ShotRef(
                     shot_plan_revision=story.shot_plan.revision.rsplit("/", 1)[0] + "/5", shot_id="S001"))),
                 harness.b.media.GenerateVideo(request(prompt="a", reference_image_revision=reference)),
                 harness.b.media.GenerateVideo(request(prompt="a"))):
        error = await rpc_error(call)
        assert error.code() == grpc.StatusCode.NOT_FOUND, error.details()


async def test_a_shot_of_a_scope_veo_cannot_frame_is_refused_naming_the_aspect_ratio(harness):
    caller = harness.a
    wide = await caller.story(aspect_ratio="2.39:1")
    shot = media_pb2.ShotRef(shot_plan_revision=wide.shot_plan.revision, shot_id=wide.shots[0].id)
    error = await rpc_error(caller.media.GenerateVideo(mpb.GenerateVideoRequest(
        parent=wide.project, spec=media_pb2.VideoSpec(shot=shot, backend=media_pb2.BACKEND_REPLICATE))))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["spec.aspect_ratio"]
    # Asking for a ratio Veo makes, or for the local renderer, is fine.
    for spec in (media_pb2.VideoSpec(shot=shot, aspect_ratio="16:9", backend=media_pb2.BACKEND_REPLICATE),
                 media_pb2.VideoSpec(shot=shot, backend=LOCAL, duration=_seconds(1), resolution="480p")):
        started = await caller.media.GenerateVideo(mpb.GenerateVideoRequest(parent=wide.project, spec=spec))
        await caller.media.CancelJob(mpb.CancelJobRequest(name=started.name))
