"""RenderAnimatic and ExportStoryboard over gRPC (issue 5, "Animatic" and
"Storyboard export"): each shot's accepted picture, else its latest, with
a clip preferred over a still; one H.264 MP4 as long as the shots together;
the storyboard as PDF, CSV and JSON naming the image revision of each
shot."""

from __future__ import annotations

import csv
import io
import json

import grpc
import imageio_ffmpeg
import pytest
import pytest_asyncio
from google.protobuf import duration_pb2

from previs.media.v1 import media_pb2, media_service_pb2 as mpb
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb
from tests.media.service_harness import media_harness, rpc_error
from tests.status_details import violated_fields

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOCAL = media_pb2.BACKEND_LOCAL
SCOPE = media_pb2.FramesScope


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory):
    async with media_harness(tmp_path_factory.mktemp("outputs")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def board(harness):
    """A story whose shots have: S001 an accepted first take and a newer
    take nobody accepted; S002 two takes, none accepted; S003 a frame and a
    clip; the others one frame each."""
    caller = harness.a
    story = await caller.story()
    shots = [shot.id for shot in story.shots]
    frames = await caller.succeeded(await caller.media.GenerateFrames(mpb.GenerateFramesRequest(
        parent=story.project, spec=media_pb2.FramesSpec(
            shot_plan_revision=story.shot_plan.revision,
            scope=SCOPE(type=SCOPE.TYPE_ASSET_TYPE, asset_type=media_pb2.IMAGE_TYPE_SHOT_FRAME), backend=LOCAL))))
    first = {item.key: item.output_revision for item in frames.items}
    retakes = {}
    for shot_id in shots[:2]:
        job = await caller.succeeded(await caller.media.RegenerateImage(mpb.RegenerateImageRequest(
            parent=story.project, spec=media_pb2.ImageRegenerateSpec(source_revision=first[shot_id], backend=LOCAL))))
        retakes[shot_id] = job.output_revisions[0]
    await caller.media.AcceptImage(mpb.AcceptImageRequest(revision=first[shots[0]]))
    clip = await caller.succeeded(await caller.media.GenerateVideo(mpb.GenerateVideoRequest(
        parent=story.project, spec=media_pb2.VideoSpec(
            shot=media_pb2.ShotRef(shot_plan_revision=story.shot_plan.revision, shot_id=shots[2]),
            duration=duration_pb2.Duration(seconds=1), resolution="480p", backend=LOCAL))))
    stills = {**first, shots[0]: first[shots[0]], shots[1]: retakes[shots[1]]}
    return story, stills, {**stills, shots[2]: clip.output_revisions[0]}



async def test_the_animatic_uses_accepted_else_latest_pictures_for_the_whole_plan(harness, board, tmp_path):
    caller = harness.a
    story, _stills, pictures = board
    fps = 6
    spec = media_pb2.AnimaticSpec(shot_plan_revision=story.shot_plan.revision, fps=fps, resolution="480p")
    started = await caller.media.RenderAnimatic(mpb.RenderAnimaticRequest(parent=story.project, spec=spec))
    assert started.kind == media_pb2.JOB_KIND_ANIMATIC and started.animatic == spec
    job = await caller.succeeded(started)
    revision = await caller.revision(job.output_revisions[0])
    asset = await caller.storage.GetAsset(spb.GetAssetRequest(name=revision.name.rsplit("/revisions/", 1)[0]))
    assert asset.kind == storage_pb2.ASSET_KIND_ANIMATIC
    assert set(revision.parents) == {story.shot_plan.revision, *pictures.values()}

    media_type, data = await caller.file_of(revision)
    assert media_type == "video/mp4"
    path = tmp_path / "animatic.mp4"
    path.write_bytes(data)
    reader = imageio_ffmpeg.read_frames(str(path))
    meta = next(reader)
    reader.close()
    assert meta["codec"].startswith("h264") and meta["fps"] == pytest.approx(fps)
    width, height = meta["size"]
    assert height == 480 and abs(width / height - 16 / 9) < 0.02
    # As long as the shots together: each shot is its duration in whole frames.
    durations = [shot.duration.ToTimedelta().total_seconds() for shot in story.shots]
    frames, seconds = imageio_ffmpeg.count_frames_and_secs(str(path))
    assert frames == sum(round(duration * fps) for duration in durations)
    assert seconds == pytest.approx(sum(durations), abs=len(durations) * 0.5 / fps)


async def test_stills_only_skips_clips(harness, board):
    caller = harness.a
    story, stills, _pictures = board
    job = await caller.succeeded(await caller.media.RenderAnimatic(mpb.RenderAnimaticRequest(
        parent=story.project, spec=media_pb2.AnimaticSpec(shot_plan_revision=story.shot_plan.revision, fps=2,
                                                          resolution="480p", stills_only=True, captions=False))))
    revision = await caller.revision(job.output_revisions[0])
    assert set(revision.parents) == {story.shot_plan.revision, *stills.values()}


async def test_the_storyboard_names_each_shots_image_revision_in_every_format(harness, board):
    caller = harness.a
    story, stills, _pictures = board
    spec = media_pb2.StoryboardExportSpec(shot_plan_revision=story.shot_plan.revision,
                                          page_size=media_pb2.PAGE_SIZE_LETTER)
    started = await caller.media.ExportStoryboard(mpb.ExportStoryboardRequest(parent=story.project, spec=spec))
    assert started.kind == media_pb2.JOB_KIND_STORYBOARD_EXPORT and started.storyboard_export == spec
    job = await caller.succeeded(started)
    assert len(job.output_revisions) == 1
    revision = await caller.revision(job.output_revisions[0])
    assert {ref.role: ref.media_type for ref in revision.blobs} == {
        "pdf": "application/pdf", "csv": "text/csv", "json": "application/json"}
    assert set(revision.parents) == {story.shot_plan.revision, *stills.values()}

    _type, data = await caller.file_of(revision, "json")
    document = json.loads(data)
    assert document["shot_plan_revision"] == story.shot_plan.revision
    rows = {row["shot_id"]: row for row in document["shots"]}
    assert list(rows) == [shot.id for shot in story.shots]
    for shot in story.shots:
        row = rows[shot.id]
        assert row["image_revision"] == stills[shot.id]
        assert row["scene_id"] == shot.scene_id and row["description"] == shot.description
        assert row["duration_seconds"] == pytest.approx(shot.duration.ToTimedelta().total_seconds())
    first, second = story.shots[0].id, story.shots[1].id
    assert rows[first]["image_status"] == "ACCEPTED" and rows[second]["image_status"] == "LATEST"

    _type, data = await caller.file_of(revision, "csv")
    table = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["shot_id"] for row in table] == list(rows)
    assert {"shot_size", "camera_angle", "camera_movement", "lens_mm", "dialogue", "continuity_notes"} <= set(table[0])
    assert [row["image_revision"] for row in table] == [stills[shot.id] for shot in story.shots]

    _type, pdf = await caller.file_of(revision, "pdf")
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-1024:]
    assert pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") + pdf.count(b"/Type /Page/") >= 1


async def test_a_storyboard_in_one_format(harness, board):
    caller = harness.a
    story, _stills, _pictures = board
    job = await caller.succeeded(await caller.media.ExportStoryboard(mpb.ExportStoryboardRequest(
        parent=story.project, spec=media_pb2.StoryboardExportSpec(
            shot_plan_revision=story.shot_plan.revision,
            formats=[media_pb2.STORYBOARD_FORMAT_CSV, media_pb2.STORYBOARD_FORMAT_CSV]))))
    revision = await caller.revision(job.output_revisions[0])
    assert [(ref.role, ref.media_type) for ref in revision.blobs] == [("csv", "text/csv")]


async def test_a_shot_plan_without_pictures_is_drawn_by_the_local_renderer(harness):
    caller = harness.a
    story = await caller.story()
    job = await caller.succeeded(await caller.media.RenderAnimatic(mpb.RenderAnimaticRequest(
        parent=story.project, spec=media_pb2.AnimaticSpec(shot_plan_revision=story.shot_plan.revision, fps=2,
                                                          resolution="480p", aspect_ratio="1:1"))))
    revision = await caller.revision(job.output_revisions[0])
    assert list(revision.parents) == [story.shot_plan.revision]
    assert revision.labels["aspect_ratio"] == "1:1" and revision.labels["pictures"] == "0"


@pytest.mark.parametrize("rpc, spec, field", [
    ("RenderAnimatic", media_pb2.AnimaticSpec(fps=61), "spec.fps"),
    ("RenderAnimatic", media_pb2.AnimaticSpec(fps=-1), "spec.fps"),
    ("RenderAnimatic", media_pb2.AnimaticSpec(resolution="4k"), "spec.resolution"),
    ("RenderAnimatic", media_pb2.AnimaticSpec(aspect_ratio="5:4"), "spec.aspect_ratio"),
    ("RenderAnimatic", media_pb2.AnimaticSpec(shot_plan_revision="shots/1"), "spec.shot_plan_revision"),
    ("ExportStoryboard", media_pb2.StoryboardExportSpec(formats=[media_pb2.STORYBOARD_FORMAT_UNSPECIFIED]),
     "spec.formats[0]"),
    ("ExportStoryboard", media_pb2.StoryboardExportSpec(formats=[media_pb2.STORYBOARD_FORMAT_PDF, 9]),
     "spec.formats[1]"),
    ("ExportStoryboard", media_pb2.StoryboardExportSpec(page_size=9), "spec.page_size"),
    ("ExportStoryboard", media_pb2.StoryboardExportSpec(), "spec.shot_plan_revision"),
])
async def test_bad_requests_name_the_field(harness, board, rpc, spec, field):
    story = board[0]
    if field != "spec.shot_plan_revision":
        spec.shot_plan_revision = story.shot_plan.revision
    request = getattr(mpb, f"{rpc}Request")(parent=story.project, spec=spec)
    error = await rpc_error(getattr(harness.a.media, rpc)(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]


async def test_unknown_and_foreign_shot_plans_are_not_found(harness, board):
    story = board[0]
    missing = story.shot_plan.revision.rsplit("/", 1)[0] + "/8"
    for caller, name in ((harness.a, missing), (harness.b, story.shot_plan.revision)):
        for call in (caller.media.RenderAnimatic(mpb.RenderAnimaticRequest(
                         parent=story.project, spec=media_pb2.AnimaticSpec(shot_plan_revision=name))),
                     caller.media.ExportStoryboard(mpb.ExportStoryboardRequest(
                         parent=story.project, spec=media_pb2.StoryboardExportSpec(shot_plan_revision=name)))):
            error = await rpc_error(call)
            assert error.code() == grpc.StatusCode.NOT_FOUND, error.details()
