"""GenerateCharacterReference, GenerateImage, AcceptImage, EditImage and
RegenerateImage over gRPC (issue 5, "What users can ask for"): character
references with their options over the YAML defaults (checked where they
land: in the stored image and in the input the real Replicate SDK sends to
a fake Replicate), free images with reference images named by revision,
and the review actions, which never change the revision they start from."""

from __future__ import annotations

import io
from pathlib import Path

import grpc
import pytest
import pytest_asyncio
import yaml
from PIL import Image, ImageStat

from previs.media.v1 import media_pb2, media_service_pb2 as mpb
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.media.config.defaults import DEFAULTS_PATH
from tests.fakes.replicate_server import IMAGEN_MODEL, FakeReplicate
from tests.media.service_harness import media_harness, rpc_error, replicate_overrides
from tests.status_details import violated_fields

pytestmark = pytest.mark.asyncio(loop_scope="module")

LOCAL = media_pb2.BACKEND_LOCAL
SCOPE = media_pb2.FramesScope
ACCEPTED = storage_pb2.REVIEW_STATUS_ACCEPTED


@pytest.fixture(scope="module")
def replicate():
    with FakeReplicate() as fake:
        yield fake


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def harness(tmp_path_factory, replicate):
    async with media_harness(
        tmp_path_factory.mktemp("images"), **replicate_overrides(replicate),
    ) as running:
        yield running


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def story(harness):
    return await harness.a.story()



def _image(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def _prompt(revision: storage_pb2.Revision) -> planner_pb2.RenderPrompt:
    prompt = planner_pb2.RenderPrompt()
    assert revision.payload.Unpack(prompt)
    return prompt


def _unchanged(before: storage_pb2.Revision, after: storage_pb2.Revision) -> None:
    """Content, lineage and labels of a revision are the same (its review
    status may change: that is what accepting does)."""
    for field in ("name", "payload", "blobs", "parents", "labels", "message", "create_time", "creator"):
        assert getattr(before, field) == getattr(after, field), field


async def _frame(caller, story, shot_id: str) -> str:
    job = await caller.succeeded(await caller.media.GenerateFrames(mpb.GenerateFramesRequest(
        parent=story.project, spec=media_pb2.FramesSpec(shot_plan_revision=story.shot_plan.revision,
                                                        scope=SCOPE(type=SCOPE.TYPE_SHOT, shot_id=shot_id),
                                                        backend=LOCAL))))
    return job.items[0].output_revision


# ---------------------------------------------------------------- character references
async def test_a_described_character_takes_the_yaml_defaults(harness, story):
    caller = harness.a
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text())["character_reference"]
    spec = media_pb2.CharacterReferenceSpec(character_description="Silver metallic humanoid robot with a red shield",
                                            character_characteristics="Calm, protective", backend=LOCAL)
    started = await caller.media.GenerateCharacterReference(
        mpb.GenerateCharacterReferenceRequest(parent=story.project, spec=spec))
    assert started.kind == media_pb2.JOB_KIND_CHARACTER_REFERENCE and started.character_reference == spec
    job = await caller.succeeded(started)
    assert [item.key for item in job.items] == ["character"]
    revision = await caller.revision(job.output_revisions[0])
    assert revision.labels["image_type"] == "character_reference"
    assert revision.labels["aspect_ratio"] == defaults["aspect_ratio"] == "1:1"
    assert revision.labels["output_format"] == defaults["output_format"]
    assert revision.labels["seed"].isdigit()
    media_type, data = await caller.file_of(revision)
    image = _image(data)
    assert media_type == "image/png" and image.format == "PNG" and image.width == image.height
    prompt = _prompt(revision)
    template = defaults["prompt_template"].split("{character_description}")
    assert prompt.positive.startswith(template[0].strip())
    assert "Silver metallic humanoid robot with a red shield" in prompt.positive and "Calm, protective" in prompt.positive


async def test_a_plan_character_gets_a_revision_of_its_reference_asset(harness, story):
    caller = harness.a
    character = story.plan.characters[0]
    request = mpb.GenerateCharacterReferenceRequest(parent=story.project, spec=media_pb2.CharacterReferenceSpec(
        character=media_pb2.CharacterRef(plan_revision=story.plan.revision, character_id=character.id),
        options=media_pb2.ImageOptions(aspect_ratio="3:4", output_format=media_pb2.IMAGE_FORMAT_JPEG, seed=11),
        backend=LOCAL))
    first = await caller.succeeded(await caller.media.GenerateCharacterReference(request))
    second = await caller.succeeded(await caller.media.GenerateCharacterReference(request))
    assert [item.key for item in first.items] == [character.id]
    one, two = await caller.revision(first.output_revisions[0]), await caller.revision(second.output_revisions[0])
    assert one.name.rsplit("/revisions/", 1)[0] == two.name.rsplit("/revisions/", 1)[0]  # same asset
    assert (one.revision_number, two.revision_number) == (1, 2) or two.revision_number == one.revision_number + 1
    assert story.plan.revision in one.parents
    assert one.labels["character_id"] == character.id and one.labels["plan_revision"] == story.plan.revision
    assert one.labels["seed"] == "11" and one.labels["aspect_ratio"] == "3:4"
    media_type, data = await caller.file_of(one)
    image = _image(data)
    assert media_type == "image/jpeg" and abs(image.width / image.height - 3 / 4) < 0.02
    assert character.name in _prompt(one).positive or character.identity_lock in _prompt(one).positive


async def test_character_options_and_defaults_reach_replicate(harness, story, replicate):
    caller = harness.a
    spec = media_pb2.CharacterReferenceSpec(character_description="An old lighthouse keeper in oilskins",
                                            backend=media_pb2.BACKEND_REPLICATE)
    before = replicate.create_count(IMAGEN_MODEL)
    job = await caller.succeeded(await caller.media.GenerateCharacterReference(
        mpb.GenerateCharacterReferenceRequest(parent=story.project, spec=spec)))
    spec.options.CopyFrom(media_pb2.ImageOptions(
        aspect_ratio="4:3", output_format=media_pb2.IMAGE_FORMAT_JPEG,
        safety_filter_level=media_pb2.SAFETY_FILTER_LEVEL_BLOCK_ONLY_HIGH))
    custom = await caller.succeeded(await caller.media.GenerateCharacterReference(
        mpb.GenerateCharacterReferenceRequest(parent=story.project, spec=spec)))
    assert replicate.create_count(IMAGEN_MODEL) == before + 2
    creates = [request.json()["input"] for request in replicate.requests
               if request.method == "POST" and request.path.endswith(f"/models/{IMAGEN_MODEL}/predictions")]
    assert creates[-2]["aspect_ratio"] == "1:1" and creates[-2]["output_format"] == "png"
    assert creates[-2]["safety_filter_level"] == "block_medium_and_above"
    assert "An old lighthouse keeper in oilskins" in creates[-2]["prompt"]
    assert creates[-1]["aspect_ratio"] == "4:3" and creates[-1]["output_format"] == "jpg"
    assert creates[-1]["safety_filter_level"] == "block_only_high"
    for made in (job, custom):
        assert made.items[0].backend == media_pb2.BACKEND_REPLICATE and made.items[0].model == IMAGEN_MODEL
        assert made.cost.estimated_usd == pytest.approx(0.04) and made.cost.actual_usd == pytest.approx(0.04)
    revision = await caller.revision(custom.output_revisions[0])
    assert revision.labels["backend"] == "replicate" and revision.labels["aspect_ratio"] == "4:3"


async def test_character_defaults_come_from_the_configured_yaml(tmp_path):
    defaults = yaml.safe_load(DEFAULTS_PATH.read_text())
    defaults["character_reference"].update(aspect_ratio="9:16", output_format="jpeg",
                                           prompt_template="Turnaround sheet of {character_description}.")
    path = tmp_path / "defaults.yaml"
    path.write_text(yaml.safe_dump(defaults))
    async with media_harness(tmp_path / "data", defaults_file=path) as configured:
        caller = configured.a
        project = await caller.project()
        job = await caller.succeeded(await caller.media.GenerateCharacterReference(
            mpb.GenerateCharacterReferenceRequest(parent=project, spec=media_pb2.CharacterReferenceSpec(
                character_description="a courier on a bicycle", backend=LOCAL))))
        revision = await caller.revision(job.output_revisions[0])
        media_type, data = await caller.file_of(revision)
    image = _image(data)
    assert media_type == "image/jpeg" and abs(image.width / image.height - 9 / 16) < 0.02
    assert _prompt(revision).positive.startswith("Turnaround sheet of a courier on a bicycle.")


@pytest.mark.parametrize("spec, field", [
    (media_pb2.CharacterReferenceSpec(), "spec.subject"),
    (media_pb2.CharacterReferenceSpec(character_description="   "), "spec.character_description"),
    (media_pb2.CharacterReferenceSpec(character_description="x" * 4001), "spec.character_description"),
    (media_pb2.CharacterReferenceSpec(character_description="a", character_characteristics="x" * 2001),
     "spec.character_characteristics"),
    (media_pb2.CharacterReferenceSpec(character_description="a", options=media_pb2.ImageOptions(aspect_ratio="2:1")),
     "spec.options.aspect_ratio"),
    (media_pb2.CharacterReferenceSpec(character_description="a", options=media_pb2.ImageOptions(person_generation=7)),
     "spec.options.person_generation"),
    (media_pb2.CharacterReferenceSpec(character=media_pb2.CharacterRef(plan_revision="plans/1", character_id="C")),
     "spec.character.plan_revision"),
    # Imagen makes no 2.39:1 picture: refused at once when only it may make it.
    (media_pb2.CharacterReferenceSpec(character_description="a", options=media_pb2.ImageOptions(aspect_ratio="2.39:1"),
                                      backend=media_pb2.BACKEND_REPLICATE), "spec.options.aspect_ratio"),
])
async def test_bad_character_requests_name_the_field(harness, story, spec, field):
    error = await rpc_error(harness.a.media.GenerateCharacterReference(
        mpb.GenerateCharacterReferenceRequest(parent=story.project, spec=spec)))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]


async def test_unknown_characters_and_plans(harness, story):
    def request(plan_revision: str, character_id: str, parent: str = story.project):
        return mpb.GenerateCharacterReferenceRequest(parent=parent, spec=media_pb2.CharacterReferenceSpec(
            character=media_pb2.CharacterRef(plan_revision=plan_revision, character_id=character_id)))

    error = await rpc_error(harness.a.media.GenerateCharacterReference(request(story.plan.revision, "CHAR_99")))
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == ["spec.character.character_id"]
    missing_plan = story.plan.revision.rsplit("/", 1)[0] + "/42"
    error = await rpc_error(harness.a.media.GenerateCharacterReference(request(missing_plan, "CHAR_01")))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = await rpc_error(harness.b.media.GenerateCharacterReference(request(story.plan.revision, "CHAR_01")))
    assert error.code() == grpc.StatusCode.NOT_FOUND


# ---------------------------------------------------------------- free images
async def test_a_free_image_links_its_reference_images(harness, story, tmp_path):
    caller = harness.a
    own = tmp_path / "moodboard.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(own)
    uploaded = await caller.upload_image(story.project, own)
    frame = await _frame(caller, story, story.shots[0].id)
    spec = media_pb2.ImageSpec(prompt="A storm over the harbour at dawn", reference_revisions=[uploaded.name, frame],
                               options=media_pb2.ImageOptions(aspect_ratio="9:16", seed=5,
                                                              negative_prompt="text, watermark"), backend=LOCAL)
    job = await caller.succeeded(await caller.media.GenerateImage(mpb.GenerateImageRequest(parent=story.project,
                                                                                           spec=spec)))
    assert job.kind == media_pb2.JOB_KIND_IMAGE and job.image == spec
    revision = await caller.revision(job.output_revisions[0])
    assert list(revision.parents) == [uploaded.name, frame]
    assert revision.labels["image_type"] == "free" and revision.labels["seed"] == "5"
    prompt = _prompt(revision)
    assert prompt.positive == "A storm over the harbour at dawn" and "text, watermark" in prompt.negative
    assert list(prompt.reference_revisions) == [uploaded.name, frame]
    _media_type, data = await caller.file_of(revision)
    image = _image(data)
    assert abs(image.width / image.height - 9 / 16) < 0.02


async def test_bad_free_images_are_refused_naming_the_field(harness, story):
    caller = harness.a

    async def refused(spec: media_pb2.ImageSpec, caller=caller) -> grpc.aio.AioRpcError:
        return await rpc_error(caller.media.GenerateImage(mpb.GenerateImageRequest(parent=story.project, spec=spec)))

    for spec, field in ((media_pb2.ImageSpec(), "spec.prompt"),
                        (media_pb2.ImageSpec(prompt="x" * 4001), "spec.prompt"),
                        (media_pb2.ImageSpec(prompt="a", reference_revisions=[story.plan.revision] * 4),
                         "spec.reference_revisions"),
                        (media_pb2.ImageSpec(prompt="a", reference_revisions=[story.plan.revision]),
                         "spec.reference_revisions[0]"),
                        (media_pb2.ImageSpec(prompt="a", reference_revisions=["not-a-revision"]),
                         "spec.reference_revisions[0]")):
        error = await refused(spec)
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field], field
    missing = story.plan.revision.rsplit("/", 1)[0] + "/77"
    error = await refused(media_pb2.ImageSpec(prompt="a", reference_revisions=[missing]))
    assert error.code() == grpc.StatusCode.NOT_FOUND
    error = await refused(media_pb2.ImageSpec(prompt="a"), caller=harness.b)
    assert error.code() == grpc.StatusCode.NOT_FOUND


# ---------------------------------------------------------------- accept, edit, regenerate
async def test_accept_edit_and_regenerate_never_change_the_source(harness, story):
    caller = harness.a
    frame_name = await _frame(caller, story, story.shots[1].id)
    frame = await caller.revision(frame_name)

    edit_spec = media_pb2.ImageEditSpec(source_revision=frame_name, feedback="Make the shadows more dramatic",
                                        lock_profile=media_pb2.LockProfile(preserve_identity=True), backend=LOCAL)
    edit = await caller.succeeded(await caller.media.EditImage(mpb.EditImageRequest(parent=story.project,
                                                                                   spec=edit_spec)))
    assert edit.kind == media_pb2.JOB_KIND_IMAGE_EDIT and edit.image_edit == edit_spec
    edited = await caller.revision(edit.output_revisions[0])
    assert edited.name.rsplit("/revisions/", 1)[0] == frame_name.rsplit("/revisions/", 1)[0]
    assert list(edited.parents) == [frame_name]
    assert edited.labels["shot_id"] == frame.labels["shot_id"] and edited.labels["image_type"] == "shot_frame"
    assert edited.labels["source_revision"] == frame_name
    assert edited.blobs[0].blob != frame.blobs[0].blob  # the change is in the pixels
    assert "shadows" in _prompt(edited).positive.lower() or "shadow" in edited.message.lower()
    # the local renderer draws the delta's look: more dramatic shadows are darker
    before, after = [Image.open(io.BytesIO((await caller.file_of(r))[1])).convert("L") for r in (frame, edited)]
    assert ImageStat.Stat(after).mean[0] < 0.95 * ImageStat.Stat(before).mean[0]

    # An edit of the edit: its parent is the edited revision, not the first.
    again = await caller.succeeded(await caller.media.EditImage(mpb.EditImageRequest(
        parent=story.project, spec=media_pb2.ImageEditSpec(source_revision=edited.name, feedback="Closer on her face",
                                                           backend=LOCAL))))
    assert list((await caller.revision(again.output_revisions[0])).parents) == [edited.name]

    regenerate = await caller.succeeded(await caller.media.RegenerateImage(mpb.RegenerateImageRequest(
        parent=story.project, spec=media_pb2.ImageRegenerateSpec(
            source_revision=frame_name, lock_profile=media_pb2.LockProfile(must_keep_elements=["lamp"]),
            backend=LOCAL))))
    assert regenerate.kind == media_pb2.JOB_KIND_IMAGE_REGENERATE
    fresh = await caller.revision(regenerate.output_revisions[0])
    assert list(fresh.parents) == [frame_name] and fresh.labels["seed"] != frame.labels["seed"]
    assert fresh.labels["aspect_ratio"] == frame.labels["aspect_ratio"]

    accepted = await caller.media.AcceptImage(mpb.AcceptImageRequest(revision=edited.name, comment="approved"))
    assert accepted.revision == edited.name and accepted.review_status == media_pb2.REVIEW_STATUS_ACCEPTED
    assert accepted.review_time.seconds > 0
    again_accepted = await caller.media.AcceptImage(mpb.AcceptImageRequest(revision=edited.name))
    assert again_accepted.review_status == media_pb2.REVIEW_STATUS_ACCEPTED
    after = await caller.revision(edited.name)
    assert after.review_status == ACCEPTED and after.review_history[0].comment == "approved"
    _unchanged(edited, after)
    _unchanged(frame, await caller.revision(frame_name))


async def test_accept_resolves_latest_and_edits_free_images(harness, story):
    caller = harness.a
    job = await caller.succeeded(await caller.media.GenerateImage(mpb.GenerateImageRequest(
        parent=story.project, spec=media_pb2.ImageSpec(prompt="A red kite over dunes", backend=LOCAL))))
    source = job.output_revisions[0]
    edit = await caller.succeeded(await caller.media.EditImage(mpb.EditImageRequest(
        parent=story.project, spec=media_pb2.ImageEditSpec(source_revision=source, feedback="Add a second kite",
                                                           backend=LOCAL))))
    edited = await caller.revision(edit.output_revisions[0])
    positive = _prompt(edited).positive
    assert list(edited.parents) == [source] and positive.startswith("A red kite over dunes")
    assert positive.split(". ").count("second kite") == 1  # the delta's element once, not once per list
    latest = source.rsplit("/", 1)[0] + "/latest"
    accepted = await caller.media.AcceptImage(mpb.AcceptImageRequest(revision=latest))
    assert accepted.revision == edited.name


async def test_review_actions_refuse_bad_and_foreign_sources(harness, story):
    caller = harness.a
    frame = await _frame(caller, story, story.shots[2].id)
    missing = frame.rsplit("/", 1)[0] + "/99"

    def edit(source: str, feedback: str = "brighter", parent: str = story.project):
        return mpb.EditImageRequest(parent=parent, spec=media_pb2.ImageEditSpec(source_revision=source,
                                                                               feedback=feedback))

    cases = [
        (caller.media.EditImage(edit(frame, feedback="")), grpc.StatusCode.INVALID_ARGUMENT, "spec.feedback"),
        (caller.media.EditImage(edit(frame, feedback="x" * 4001)), grpc.StatusCode.INVALID_ARGUMENT, "spec.feedback"),
        (caller.media.EditImage(edit("")), grpc.StatusCode.INVALID_ARGUMENT, "spec.source_revision"),
        (caller.media.EditImage(edit(story.plan.revision)), grpc.StatusCode.INVALID_ARGUMENT, "spec.source_revision"),
        (caller.media.EditImage(edit(missing)), grpc.StatusCode.NOT_FOUND, None),
        (harness.b.media.EditImage(edit(frame)), grpc.StatusCode.NOT_FOUND, None),
        (caller.media.RegenerateImage(mpb.RegenerateImageRequest(parent=story.project, spec=media_pb2.ImageRegenerateSpec(
            source_revision=frame, lock_profile=media_pb2.LockProfile(banned_elements=["x" * 201])))),
         grpc.StatusCode.INVALID_ARGUMENT, "spec.lock_profile.banned_elements[0]"),
        (caller.media.RegenerateImage(mpb.RegenerateImageRequest(parent=story.project, spec=media_pb2.ImageRegenerateSpec(
            source_revision=missing))), grpc.StatusCode.NOT_FOUND, None),
        (harness.b.media.RegenerateImage(mpb.RegenerateImageRequest(
            parent=story.project, spec=media_pb2.ImageRegenerateSpec(source_revision=frame))),
         grpc.StatusCode.NOT_FOUND, None),
        (caller.media.RegenerateImage(mpb.RegenerateImageRequest(
            parent=story.project, spec=media_pb2.ImageRegenerateSpec(source_revision=frame, options=media_pb2.ImageOptions(
                aspect_ratio="2.39:1"), backend=media_pb2.BACKEND_REPLICATE))),
         grpc.StatusCode.INVALID_ARGUMENT, "spec.options.aspect_ratio"),
        (caller.media.AcceptImage(mpb.AcceptImageRequest(revision="")), grpc.StatusCode.INVALID_ARGUMENT, "revision"),
        (caller.media.AcceptImage(mpb.AcceptImageRequest(revision=frame, comment="x" * 2001)),
         grpc.StatusCode.INVALID_ARGUMENT, "comment"),
        (caller.media.AcceptImage(mpb.AcceptImageRequest(revision=story.plan.revision)),
         grpc.StatusCode.INVALID_ARGUMENT, "revision"),
        (caller.media.AcceptImage(mpb.AcceptImageRequest(revision=missing)), grpc.StatusCode.NOT_FOUND, None),
        (harness.b.media.AcceptImage(mpb.AcceptImageRequest(revision=frame)), grpc.StatusCode.NOT_FOUND, None),
    ]
    for call, code, field in cases:
        error = await rpc_error(call)
        assert error.code() == code, (field, error.details())
        if field is not None:
            assert violated_fields(error) == [field]
    assert (await caller.revision(frame)).review_status != ACCEPTED
