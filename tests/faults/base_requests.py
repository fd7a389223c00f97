"""Requests that get past validation to the resource lookup, per method.

Tests start from these and overwrite one field (a name, a hostile value).
The names in them are the given tenant's real resources of the kind each
field needs; methods not listed start from an empty request. The method
list itself comes from the gateway's route table, so a new RPC is covered
by every test that iterates ``exposed_methods()``.
"""

from __future__ import annotations

from typing import Callable

import grpc
import pytest
from google.protobuf import field_mask_pb2, struct_pb2
from google.protobuf.descriptor import MethodDescriptor
from google.protobuf.message import Message

from gateway.routes import PUBLIC_SERVICES, build_routes
from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb
from tests.faults.message_strategies import message_class, public_services
from tests.faults.outcomes import bearer
from tests.faults.tenant_resources import TenantResources

Names = dict[str, str]


def _mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def _value(text: str) -> struct_pb2.Value:
    return struct_pb2.Value(string_value=text)


BASES: dict[str, Callable[[Names], Message | list]] = {
    "UpdateProject": lambda n: spb.UpdateProjectRequest(project=storage_pb2.Project(name=n["project"], title="t"), update_mask=_mask("title")),
    "CreateAsset": lambda n: spb.CreateAssetRequest(parent=n["project"], asset=storage_pb2.Asset(kind=storage_pb2.ASSET_KIND_PLAN)),
    "UpdateAsset": lambda n: spb.UpdateAssetRequest(asset=storage_pb2.Asset(name=n["asset"], display_name="d"), update_mask=_mask("display_name")),
    "CreateRevision": lambda n: spb.CreateRevisionRequest(parent=n["asset"], revision=storage_pb2.Revision(message="m")),
    "BatchCreateRevisions": lambda n: spb.BatchCreateRevisionsRequest(
        parent=n["project"], requests=[spb.CreateRevisionRequest(parent=n["asset"], revision=storage_pb2.Revision(message="m"))]
    ),
    "ReviewRevision": lambda n: spb.ReviewRevisionRequest(name=n["revision"], status=storage_pb2.REVIEW_STATUS_ACCEPTED),
    "WalkLineage": lambda n: spb.WalkLineageRequest(name=n["head_revision"], direction=1),
    "UploadBlob": lambda n: [
        spb.UploadBlobRequest(header=spb.UploadBlobHeader(parent=n["project"], media_type="text/plain")),
        spb.UploadBlobRequest(chunk=b"probe"),
    ],
}


def _planner_bases() -> None:
    from previs.planner.v1 import planner_service_pb2 as ppb

    BASES.update(
        {
            "CreateScript": lambda n: ppb.CreateScriptRequest(parent=n["project"], script=planner_pb2.Script(content="INT. ROOM - DAY\n\nA lamp.\n")),
            "UpdateScript": lambda n: ppb.UpdateScriptRequest(
                script=planner_pb2.Script(name=n["script"], content="INT. ROOM - NIGHT\n\nA lamp.\n"), update_mask=_mask("content")
            ),
            "GeneratePlan": lambda n: ppb.GeneratePlanRequest(
                parent=n["project"], screenplay=planner_pb2.ScreenplayBrief(script_revision=n["script_revision"]), offline=True
            ),
            "PatchPlan": lambda n: ppb.PatchPlanRequest(
                plan_revision=n["plan_revision"], patches=[planner_pb2.PlanPatch(path="bible.look.lighting", op=1, value=_value("low key"))]
            ),
            "GenerateShotPlan": lambda n: ppb.GenerateShotPlanRequest(plan_revision=n["plan_revision"], offline=True),
            "InterpretFeedback": lambda n: ppb.InterpretFeedbackRequest(image_revision=n["image_revision"], feedback="wider", offline=True),
            "BuildRenderPrompt": lambda n: ppb.BuildRenderPromptRequest(
                plan_revision=n["plan_revision"], shot_plan_revision=n["shot_plan_revision"], style_frame=True
            ),
        }
    )


def _media_bases() -> None:
    from previs.media.v1 import media_service_pb2 as mpb

    BASES.update(
        {
            "ListJobs": lambda n: mpb.ListJobsRequest(parent=n["project"]),
            "GenerateImage": lambda n: mpb.GenerateImageRequest(parent=n["project"], spec=media_pb2.ImageSpec(prompt="a lamp")),
            "EditImage": lambda n: mpb.EditImageRequest(
                parent=n["project"], spec=media_pb2.ImageEditSpec(source_revision=n["image_revision"], feedback="brighter")
            ),
            "RegenerateImage": lambda n: mpb.RegenerateImageRequest(
                parent=n["project"], spec=media_pb2.ImageRegenerateSpec(source_revision=n["image_revision"])
            ),
            "GenerateVideo": lambda n: mpb.GenerateVideoRequest(parent=n["project"], spec=media_pb2.VideoSpec(prompt="a lamp")),
            "GenerateCharacterReference": lambda n: mpb.GenerateCharacterReferenceRequest(
                parent=n["project"],
                spec=media_pb2.CharacterReferenceSpec(
                    character=media_pb2.CharacterRef(plan_revision=n["plan_revision"], character_id=n["character_id"])
                ),
            ),
            "GenerateFrames": lambda n: mpb.GenerateFramesRequest(
                parent=n["project"],
                spec=media_pb2.FramesSpec(
                    shot_plan_revision=n["shot_plan_revision"],
                    scope=media_pb2.FramesScope(type=media_pb2.FramesScope.TYPE_SHOT, shot_id=n["shot_id"]),
                ),
            ),
            "RenderAnimatic": lambda n: mpb.RenderAnimaticRequest(
                parent=n["project"], spec=media_pb2.AnimaticSpec(shot_plan_revision=n["shot_plan_revision"], stills_only=True)
            ),
            "ExportStoryboard": lambda n: mpb.ExportStoryboardRequest(
                parent=n["project"], spec=media_pb2.StoryboardExportSpec(shot_plan_revision=n["shot_plan_revision"])
            ),
        }
    )


_planner_bases()
_media_bases()


def exposed_methods() -> list[MethodDescriptor]:
    """Every method the gateway routes, from its own route table."""
    routes = build_routes({service: "upstream" for service in PUBLIC_SERVICES}, PUBLIC_SERVICES)
    methods = {f"/{m.containing_service.full_name}/{m.name}": m for s in public_services() for m in s.methods}
    assert set(routes) == set(methods), "the gateway routes a service this test does not know"
    return [methods[path] for path in sorted(routes)]


def base_request(method: MethodDescriptor, made: TenantResources) -> Message | list:
    make = BASES.get(method.name)
    if make is None:
        return message_class(method.input_type)()
    try:
        return make({**made.names, **made.ids})
    except (KeyError, ValueError, AttributeError) as missing:
        pytest.fail(f"base request of {method.name}: {missing!r}")


async def note_ids(channel: grpc.aio.Channel, made: TenantResources) -> None:
    """Notes ids inside the tenant's plan and shot plan (a character, a
    scene, a shot) that base requests use."""
    from previs.planner.v1 import planner_service_pb2 as ppb, planner_service_pb2_grpc as pgrpc

    stub = pgrpc.PlannerServiceStub(channel)
    plan = await stub.GetPlan(ppb.GetPlanRequest(name=made.names["plan_revision"]), metadata=bearer(made.key))
    shots = await stub.GetShotPlan(ppb.GetShotPlanRequest(name=made.names["shot_plan_revision"]), metadata=bearer(made.key))
    made.ids["character_id"] = plan.characters[0].id
    made.ids["shot_id"] = shots.shots[0].id
    made.ids["scene_id"] = shots.shots[0].scene_id
