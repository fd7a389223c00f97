"""The pydantic models mirror the planner's proto messages field by field
(``*_s`` seconds <-> ``google.protobuf.Duration``), and the Python enums hold
exactly the proto enum values (minus their prefix), so the servicer can map
mechanically. Read from the .proto files themselves, not from stubs."""

from pathlib import Path

import grpc_tools
import pytest
from google.protobuf import descriptor_pb2
from grpc_tools import protoc

from services.planner import briefs, continuity, exports, feedback, patches, plan, preferences, render_prompts, scripts, shot_plan, vocabulary

ROOT = Path(__file__).resolve().parents[2]
DURATION = ".google.protobuf.Duration"

MESSAGES = [
    (plan.LookParameters, "LookParameters"), (plan.ProjectBible, "ProjectBible"), (plan.SceneWardrobe, "SceneWardrobe"),
    (plan.Character, "Character"), (plan.Location, "Location"), (plan.Prop, "Prop"),
    (plan.ContinuityChange, "ContinuityChange"), (plan.Beat, "Beat"), (plan.Scene, "Scene"), (plan.AdCopy, "AdCopy"),
    (plan.Plan, "Plan"), (shot_plan.PropState, "PropState"), (shot_plan.CharacterContinuity, "CharacterContinuity"),
    (shot_plan.ContinuityLock, "ContinuityLock"), (shot_plan.Shot, "Shot"), (shot_plan.ShotPlan, "ShotPlan"),
    (continuity.Violation, "Violation"), (continuity.ContinuityReport, "ContinuityReport"),
    (briefs.ScreenplayBrief, "ScreenplayBrief"), (briefs.MusicVideoBrief, "MusicVideoBrief"),
    (briefs.ProductAdBrief, "ProductAdBrief"), (briefs.SceneBrief, "SceneBrief"), (preferences.PlanPreferences, "PlanPreferences"),
    (patches.PlanPatch, "PlanPatch"), (render_prompts.LockProfile, "LockProfile"), (render_prompts.RenderPrompt, "RenderPrompt"),
    (feedback.EditInstruction, "EditInstruction"), (feedback.LookAdjustment, "LookAdjustment"), (feedback.EditDelta, "EditDelta"),
]
ENUMS = [
    (vocabulary.ShotSize, "ShotSize"), (vocabulary.CameraAngle, "CameraAngle"), (vocabulary.CameraMovement, "CameraMovement"),
    (vocabulary.ScreenDirection, "ScreenDirection"), (vocabulary.TimeOfDay, "TimeOfDay"), (vocabulary.Setting, "Setting"),
    (vocabulary.BriefKind, "BriefKind"), (vocabulary.VisualRealism, "VisualRealism"), (vocabulary.Pacing, "Pacing"),
    (vocabulary.AdStyle, "AdStyle"), (vocabulary.Composition, "Composition"), (scripts.ScriptFormat, "ScriptFormat"),
    (render_prompts.RenderTargetKind, "RenderTargetKind"), (exports.ExportFormat, "ExportFormat"),
    (plan.ChangeAspect, "ContinuityChange.Aspect"), (plan.BeatKind, "Beat.Kind"), (continuity.ViolationKind, "Violation.Kind"),
    (continuity.Severity, "Violation.Severity"), (patches.PatchOp, "PlanPatch.Op"), (feedback.EditAspect, "EditInstruction.Aspect"),
]


@pytest.fixture(scope="module")
def planner_proto(tmp_path_factory) -> descriptor_pb2.FileDescriptorProto:
    out = tmp_path_factory.mktemp("descriptors") / "planner.pb"
    well_known = Path(grpc_tools.__file__).parent / "_proto"
    assert protoc.main(["protoc", f"-I{ROOT / 'protos'}", f"-I{well_known}", f"--descriptor_set_out={out}",
                        "previs/planner/v1/planner.proto"]) == 0
    files = descriptor_pb2.FileDescriptorSet.FromString(out.read_bytes())
    return next(f for f in files.file if f.name == "previs/planner/v1/planner.proto")


def _message(proto, dotted: str):
    parts = dotted.split(".")
    found = next(m for m in proto.message_type if m.name == parts[0])
    for part in parts[1:]:
        found = next(m for m in found.nested_type if m.name == part)
    return found


def _enum(proto, dotted: str):
    if "." not in dotted:
        return next(e for e in proto.enum_type if e.name == dotted)
    owner, name = dotted.rsplit(".", 1)
    return next(e for e in _message(proto, owner).enum_type if e.name == name)


@pytest.mark.parametrize("model, message", MESSAGES, ids=[m for _, m in MESSAGES])
def test_model_fields_match_the_message(planner_proto, model, message):
    fields = {f.name: f for f in _message(planner_proto, message).field}
    expected = set()
    for name in model.model_fields:
        if name.endswith("_s") and name[:-2] in fields and fields[name[:-2]].type_name == DURATION:
            expected.add(name[:-2])
        else:
            expected.add(name)
    assert expected == set(fields)


@pytest.mark.parametrize("python_enum, proto_enum", ENUMS, ids=[e for _, e in ENUMS])
def test_enum_values_match(planner_proto, python_enum, proto_enum):
    values = [v.name for v in _enum(planner_proto, proto_enum).value]
    prefix = values[0][: -len("UNSPECIFIED")]
    assert all(v.startswith(prefix) for v in values)
    assert [v[len(prefix):] for v in values] == [m.value for m in python_enum]


def test_top_level_enum_names_use_the_message_prefix():
    assert vocabulary.proto_name(vocabulary.ShotSize.OVER_THE_SHOULDER) == "SHOT_SIZE_OVER_THE_SHOULDER"
    assert vocabulary.from_proto_name(vocabulary.TimeOfDay, "TIME_OF_DAY_NIGHT") is vocabulary.TimeOfDay.NIGHT
