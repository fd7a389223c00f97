"""GenerateFrames over gRPC, as a caller uses it (issue 5, "Frames for a
scope"): the project scope makes the style frame, the character and
location references and every shot; a scene, a shot or one asset type makes
just those. Each frame is an image revision labelled ``shot_id`` /
``scene_id`` / ``image_type`` with lineage to the shot plan revision and to
the reference images of what is in frame."""

from __future__ import annotations

import io

import grpc
import pytest
import pytest_asyncio
from PIL import Image

from previs.media.v1 import media_pb2, media_service_pb2 as mpb
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb
from tests.media.service_harness import media_harness, rpc_error
from tests.status_details import details_of, reason_of

SCOPE = media_pb2.FramesScope


pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory):
    async with media_harness(tmp_path_factory.mktemp("frames")) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def story(harness):
    """A story the tests only read (requests refused before any job)."""
    return await harness.a.story()


def _frames(story, scope: media_pb2.FramesScope, **spec) -> mpb.GenerateFramesRequest:
    spec.setdefault("backend", media_pb2.BACKEND_LOCAL)
    return mpb.GenerateFramesRequest(parent=story.project, spec=media_pb2.FramesSpec(
        shot_plan_revision=story.shot_plan.revision, scope=scope, **spec))


async def _outputs(caller, job) -> dict[str, storage_pb2.Revision]:
    return {item.key: await caller.revision(item.output_revision) for item in job.items}


async def test_project_scope_makes_style_frame_references_and_every_shot(harness):
    caller = harness.a
    story = await caller.story()
    started = await caller.media.GenerateFrames(_frames(
        story, SCOPE(type=SCOPE.TYPE_PROJECT),
        lock_profile=media_pb2.LockProfile(preserve_identity=True, banned_elements=["daylight"])))
    assert started.state == media_pb2.Job.STATE_QUEUED
    assert started.kind == media_pb2.JOB_KIND_FRAMES
    assert started.frames.scope.type == SCOPE.TYPE_PROJECT  # the spec is echoed
    job = await caller.succeeded(started)

    characters = [character.id for character in story.plan.characters]
    locations = [location.id for location in story.plan.locations]
    shots = [shot.id for shot in story.shots]
    assert [item.key for item in job.items] == ["style_frame", *characters, *locations, *shots]
    assert all(item.state == media_pb2.Job.STATE_SUCCEEDED and item.backend == media_pb2.BACKEND_LOCAL
               for item in job.items)
    assert list(job.output_revisions) == [item.output_revision for item in job.items]
    outputs = await _outputs(caller, job)

    types = {key: revision.labels["image_type"] for key, revision in outputs.items()}
    assert types["style_frame"] == "style_frame"
    assert {types[key] for key in characters} == {"character_reference"}
    assert {types[key] for key in locations} == {"location_reference"}
    assert {types[key] for key in shots} == {"shot_frame"}
    for shot in story.shots:
        revision = outputs[shot.id]
        assert revision.labels["shot_id"] == shot.id and revision.labels["scene_id"] == shot.scene_id
        assert revision.labels["shot_plan_revision"] == story.shot_plan.revision
        assert story.shot_plan.revision in revision.parents
    for key in (*characters, *locations, "style_frame"):
        assert outputs[key].labels["plan_revision"] == story.plan.revision

    # The prompts were built by the planner under the lock profile given.
    for revision in outputs.values():
        prompt = planner_pb2.RenderPrompt()
        assert revision.payload.Unpack(prompt)
        assert "daylight" in prompt.negative and prompt.positive

    # Every output is a PNG at the plan's aspect ratio.
    media_type, data = await caller.file_of(outputs[shots[0]])
    image = Image.open(io.BytesIO(data))
    assert media_type == "image/png" and image.format == "PNG"
    assert abs(image.width / image.height - 16 / 9) < 0.02

    # Shot frames are queryable by label.
    listed = await caller.storage.ListAssets(spb.ListAssetsRequest(
        parent=story.project, kind=storage_pb2.ASSET_KIND_IMAGE, labels={"image_type": "shot_frame"}))
    assert sorted(asset.labels["shot_id"] for asset in listed.assets) == sorted(shots)

    # A shot's frame links to the references of what is in frame made by
    # the same job: its characters, its scene's location, the style frame.
    made = {item.key: item.output_revision for item in job.items}
    scenes = {scene.id: scene for scene in story.plan.scenes}
    for shot in story.shots:
        expected = {story.shot_plan.revision, made["style_frame"], made[scenes[shot.scene_id].location_id],
                    *(made[character] for character in shot.character_ids)}
        assert set(outputs[shot.id].parents) == expected, shot.id


async def test_shot_frames_link_to_the_reference_images_made_before(harness):
    caller = harness.a
    story = await caller.story()
    references = await caller.succeeded(await caller.media.GenerateFrames(
        _frames(story, SCOPE(type=SCOPE.TYPE_ASSET_TYPE, asset_type=media_pb2.IMAGE_TYPE_CHARACTER_REFERENCE))))
    character = story.plan.characters[0]
    assert [item.key for item in references.items] == [character.id]
    reference = references.items[0].output_revision

    shot = next(shot for shot in story.shots if character.id in shot.character_ids)
    job = await caller.succeeded(await caller.media.GenerateFrames(
        _frames(story, SCOPE(type=SCOPE.TYPE_SHOT, shot_id=shot.id))))
    frame = await caller.revision(job.items[0].output_revision)
    assert set(frame.parents) >= {story.shot_plan.revision, reference}


async def test_scene_scope_makes_the_frames_of_that_scene_only(harness):
    caller = harness.a
    story = await caller.story()
    scene = story.shots[-1].scene_id
    job = await caller.succeeded(await caller.media.GenerateFrames(
        _frames(story, SCOPE(type=SCOPE.TYPE_SCENE, scene_id=scene))))
    expected = [shot.id for shot in story.shots if shot.scene_id == scene]
    assert [item.key for item in job.items] == expected and len(expected) < len(story.shots)
    for revision in (await _outputs(caller, job)).values():
        assert revision.labels["scene_id"] == scene and revision.labels["image_type"] == "shot_frame"


async def test_shot_scope_makes_one_frame_with_the_options_asked(harness):
    caller = harness.a
    story = await caller.story()
    shot = story.shots[1]
    job = await caller.succeeded(await caller.media.GenerateFrames(_frames(
        story, SCOPE(type=SCOPE.TYPE_SHOT, shot_id=shot.id),
        options=media_pb2.ImageOptions(aspect_ratio="1:1", output_format=media_pb2.IMAGE_FORMAT_JPEG, seed=7))))
    assert [item.key for item in job.items] == [shot.id]
    revision = await caller.revision(job.items[0].output_revision)
    assert revision.labels["seed"] == "7" and revision.labels["aspect_ratio"] == "1:1"
    media_type, data = await caller.file_of(revision)
    image = Image.open(io.BytesIO(data))
    assert media_type == "image/jpeg" and image.format == "JPEG" and image.width == image.height


async def test_asset_type_scope_makes_every_image_of_that_type(harness):
    caller = harness.a
    story = await caller.story()
    job = await caller.succeeded(await caller.media.GenerateFrames(
        _frames(story, SCOPE(type=SCOPE.TYPE_ASSET_TYPE, asset_type=media_pb2.IMAGE_TYPE_LOCATION_REFERENCE))))
    assert [item.key for item in job.items] == [location.id for location in story.plan.locations]
    for location, revision in zip(story.plan.locations, (await _outputs(caller, job)).values()):
        assert revision.labels["image_type"] == "location_reference"
        assert revision.labels["location_id"] == location.id
        assert story.plan.revision in revision.parents or story.shot_plan.revision in revision.parents


async def test_a_second_take_is_a_new_revision_of_the_same_image(harness):
    caller = harness.a
    story = await caller.story()
    request = _frames(story, SCOPE(type=SCOPE.TYPE_SHOT, shot_id=story.shots[0].id))
    first = await caller.succeeded(await caller.media.GenerateFrames(request))
    second = await caller.succeeded(await caller.media.GenerateFrames(request))
    before, after = first.items[0].output_revision, second.items[0].output_revision
    assert after.rsplit("/revisions/", 1)[0] == before.rsplit("/revisions/", 1)[0]
    assert int(after.rsplit("/", 1)[1]) == int(before.rsplit("/", 1)[1]) + 1


@pytest.mark.parametrize("scope, field", [
    (SCOPE(), "spec.scope.type"),
    (SCOPE(type=SCOPE.TYPE_SCENE), "spec.scope.scene_id"),
    (SCOPE(type=SCOPE.TYPE_SCENE, scene_id="SC999"), "spec.scope.scene_id"),
    (SCOPE(type=SCOPE.TYPE_SHOT), "spec.scope.shot_id"),
    (SCOPE(type=SCOPE.TYPE_SHOT, shot_id="S999"), "spec.scope.shot_id"),
    (SCOPE(type=SCOPE.TYPE_ASSET_TYPE), "spec.scope.asset_type"),
    (SCOPE(type=SCOPE.TYPE_ASSET_TYPE, asset_type=media_pb2.IMAGE_TYPE_FREE), "spec.scope.asset_type"),
])
async def test_a_bad_scope_is_invalid_argument_naming_the_field(harness, story, scope, field):
    error = await rpc_error(harness.a.media.GenerateFrames(_frames(story, scope)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [violation.field for violation in details_of(error)["BadRequest"].field_violations] == [field]


@pytest.mark.parametrize("spec, field", [
    ({"options": media_pb2.ImageOptions(aspect_ratio="5:4")}, "spec.options.aspect_ratio"),
    ({"options": media_pb2.ImageOptions(negative_prompt="x" * 2001)}, "spec.options.negative_prompt"),
    ({"options": media_pb2.ImageOptions(output_format=9)}, "spec.options.output_format"),
    ({"lock_profile": media_pb2.LockProfile(banned_elements=[""])}, "spec.lock_profile.banned_elements[0]"),
    ({"lock_profile": media_pb2.LockProfile(banned_elements=["rain"], must_keep_elements=["lamp", "Rain "])},
     "spec.lock_profile.must_keep_elements[1]"),
    ({"backend": 9}, "spec.backend"),
])
async def test_bad_options_are_invalid_argument_naming_the_field(harness, story, spec, field):
    error = await rpc_error(harness.a.media.GenerateFrames(_frames(story, SCOPE(type=SCOPE.TYPE_PROJECT), **spec)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [violation.field for violation in details_of(error)["BadRequest"].field_violations] == [field]


async def test_unknown_and_foreign_shot_plans_are_not_found(harness, story):
    missing = story.shot_plan.revision.rsplit("/", 1)[0] + "/99"
    request = _frames(story, SCOPE(type=SCOPE.TYPE_PROJECT))
    request.spec.shot_plan_revision = missing
    error = await rpc_error(harness.a.media.GenerateFrames(request))
    assert error.code() == grpc.StatusCode.NOT_FOUND

    # Tenant b sees neither the project nor its shot plan: the same answer
    # as for a project that does not exist.
    foreign = await rpc_error(harness.b.media.GenerateFrames(_frames(story, SCOPE(type=SCOPE.TYPE_PROJECT))))
    absent = _frames(story, SCOPE(type=SCOPE.TYPE_PROJECT))
    absent.parent = "projects/nosuchproject"
    absent.spec.shot_plan_revision = story.shot_plan.revision.replace(story.project, "projects/nosuchproject")
    nowhere = await rpc_error(harness.b.media.GenerateFrames(absent))
    assert foreign.code() == nowhere.code() == grpc.StatusCode.NOT_FOUND
    assert reason_of(foreign) == reason_of(nowhere)


async def test_a_shot_plan_of_another_project_is_invalid_argument(harness, story):
    other = await harness.a.project("Other")
    request = _frames(story, SCOPE(type=SCOPE.TYPE_PROJECT))
    request.parent = other
    error = await rpc_error(harness.a.media.GenerateFrames(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert details_of(error)["BadRequest"].field_violations[0].field == "spec.shot_plan_revision"


async def test_a_revision_that_is_no_shot_plan_is_invalid_argument_naming_the_field(harness, story, tmp_path):
    picture = tmp_path / "still.png"
    Image.new("RGB", (32, 18), (10, 20, 30)).save(picture)
    image = await harness.a.upload_image(story.project, picture)
    request = _frames(story, SCOPE(type=SCOPE.TYPE_PROJECT))
    request.spec.shot_plan_revision = image.name
    error = await rpc_error(harness.a.media.GenerateFrames(request))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in details_of(error)["BadRequest"].field_violations] == ["spec.shot_plan_revision"]


async def test_a_backend_that_is_not_configured_is_failed_precondition(harness, story):
    error = await rpc_error(harness.a.media.GenerateFrames(
        _frames(story, SCOPE(type=SCOPE.TYPE_PROJECT), backend=media_pb2.BACKEND_GEMINI)))
    assert error.code() == grpc.StatusCode.FAILED_PRECONDITION and reason_of(error) == "BACKEND_NOT_CONFIGURED"
