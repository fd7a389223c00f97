"""The media contract agrees with the backend interface and with the shared
vocabulary the renderer understands."""

from __future__ import annotations

import re
from pathlib import Path

import grpc_tools
import pytest
from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from services.media.backends.base import FailureReason
from services.media.clips import MOVEMENTS
from services.media.panel_palette import _BASE as PALETTES
from services.media.panels import HORIZON_BY_ANGLE, SHOT_SIZE_SHORT

ROOT = Path(__file__).resolve().parents[2]
PROTOS = ROOT / "protos"


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> dict[str, descriptor_pb2.DescriptorProto | descriptor_pb2.EnumDescriptorProto]:
    out = tmp_path_factory.mktemp("descriptors") / "media.pb"
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    code = protoc.main(["protoc", f"-I{PROTOS}", f"-I{well_known}", f"--descriptor_set_out={out}", "--include_imports",
                        "previs/media/v1/media.proto", "previs/media/v1/media_service.proto"])
    assert code == 0
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes()).file
    found: dict = {}
    for file in files:
        if file.package != "previs.media.v1":
            continue
        for message in file.message_type:
            found[message.name] = message
            for nested in message.enum_type:
                found[f"{message.name}.{nested.name}"] = nested
        for enum in file.enum_type:
            found[enum.name] = enum
        for service in file.service:
            found[service.name] = service
    return found


def _values(enum: descriptor_pb2.EnumDescriptorProto, prefix: str) -> set[str]:
    return {value.name.removeprefix(prefix) for value in enum.value} - {"UNSPECIFIED"}


def test_job_error_reasons_map_one_to_one_to_backend_failures(media):
    reasons = _values(media["JobErrorReason"], "JOB_ERROR_REASON_")
    assert {reason.name for reason in FailureReason} == reasons - {"INTERNAL"}


def test_job_kinds_states_and_events_are_complete(media):
    assert _values(media["JobKind"], "JOB_KIND_") == {
        "FRAMES", "CHARACTER_REFERENCE", "IMAGE", "VIDEO", "IMAGE_EDIT", "IMAGE_REGENERATE", "ANIMATIC",
        "STORYBOARD_EXPORT"}
    assert _values(media["Job.State"], "STATE_") == {"QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"}
    job = media["Job"]
    echoed = {field.name for field in job.field if field.HasField("oneof_index")}
    assert echoed == {"frames", "character_reference", "image", "video", "image_edit", "image_regenerate",
                      "animatic", "storyboard_export"}
    event = media["JobEvent"]
    assert {field.name for field in event.field if field.HasField("oneof_index")} == {
        "state_change", "progress", "item_result", "cost_update", "completed"}
    sequence = next(field for field in event.field if field.name == "sequence")
    assert sequence.type == descriptor_pb2.FieldDescriptorProto.TYPE_INT64


def test_the_service_has_every_rpc_and_watch_streams(media):
    methods = {method.name: method for method in media["MediaService"].method}
    assert set(methods) == {"GenerateFrames", "GenerateCharacterReference", "GenerateImage", "GenerateVideo",
                            "AcceptImage", "EditImage", "RegenerateImage", "RenderAnimatic", "ExportStoryboard",
                            "GetJob", "ListJobs", "CancelJob", "WatchJob"}
    assert methods["WatchJob"].server_streaming and not methods["WatchJob"].client_streaming
    assert {name for name, method in methods.items() if method.output_type.endswith(".Job")} == {
        "GenerateFrames", "GenerateCharacterReference", "GenerateImage", "GenerateVideo", "EditImage",
        "RegenerateImage", "RenderAnimatic", "ExportStoryboard", "GetJob", "CancelJob"}
    watch = {field.name for field in media["WatchJobRequest"].field}
    assert watch == {"name", "after_sequence"}


def test_no_request_carries_bytes(media):
    for name, message in media.items():
        if isinstance(message, descriptor_pb2.DescriptorProto):
            kinds = {field.type for field in message.field}
            assert descriptor_pb2.FieldDescriptorProto.TYPE_BYTES not in kinds, name


def test_lock_profile_matches_the_planners():
    def fields(path: Path) -> list[tuple[str, str]]:
        text = path.read_text()
        body = re.search(r"message LockProfile \{(.*?)\n\}", text, re.S).group(1)
        return re.findall(r"^\s+((?:repeated )?\w+) (\w+) = \d+;", body, re.M)

    planner = fields(PROTOS / "previs/planner/v1/planner.proto")
    assert planner and fields(PROTOS / "previs/media/v1/media.proto") == planner


@pytest.mark.parametrize(("enum", "prefix", "known"), [
    ("ShotSize", "SHOT_SIZE_", set(SHOT_SIZE_SHORT)),
    ("CameraAngle", "CAMERA_ANGLE_", set(HORIZON_BY_ANGLE)),
    ("CameraMovement", "CAMERA_MOVEMENT_", set(MOVEMENTS)),
    ("TimeOfDay", "TIME_OF_DAY_", set(PALETTES) | {"CONTINUOUS"}),
])
def test_the_renderer_knows_the_planners_vocabulary(enum, prefix, known):
    text = (PROTOS / "previs/planner/v1/planner.proto").read_text()
    body = re.search(rf"enum {enum} \{{(.*?)\}}", text, re.S).group(1)
    values = set(re.findall(rf"{prefix}(\w+) = \d+;", body)) - {"UNSPECIFIED"}
    assert values == known
