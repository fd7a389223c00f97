"""PlannerService: proto ⇄ domain only.

Requests become validated domain values (a wrong field answers
INVALID_ARGUMENT naming it), :class:`Planning` and :class:`ScriptAssets` do
the work, and domain results become response messages. Domain and storage
errors reach the runtime interceptor as :class:`PrevisError`.
"""

from __future__ import annotations

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb, planner_service_pb2_grpc
from services.planner.briefs import MusicVideoBrief, ProductAdBrief, SceneBrief, ScreenplayBrief
from services.planner.exports import ExportFormat
from services.planner.feedback import EditDelta
from services.planner.llm_traces import get_trace, list_traces
from services.planner.patches import PlanPatch, plan_patch
from services.planner.plan_protos import enum_suffix, request_model, to_message, value_to_python
from services.planner.planning import Planning, ShotPlanResult
from services.planner.preferences import PlanPreferences
from services.planner.render_prompts import LockProfile, RenderTarget, RenderTargetKind
from services.planner.script_assets import ScriptAssets
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_project, project_name

SERVICE_NAME = "previs.planner.v1.PlannerService"

_BRIEFS = {
    "screenplay": ScreenplayBrief,
    "music_video": MusicVideoBrief,
    "product_ad": ProductAdBrief,
    "scene": SceneBrief,
}
_TARGETS = {
    "shot_id": RenderTargetKind.SHOT,
    "character_id": RenderTargetKind.CHARACTER,
    "location_id": RenderTargetKind.LOCATION,
    "style_frame": RenderTargetKind.STYLE_FRAME,
}


def _patches(request: pb.PatchPlanRequest) -> list[PlanPatch]:
    patches = []
    for i, patch in enumerate(request.patches):
        op = enum_suffix(planner_pb2.PlanPatch.Op.DESCRIPTOR, patch.op)
        if op not in ("UNSPECIFIED", "REPLACE", "ADD", "REMOVE"):
            raise InvalidArgument.for_field(f"patches[{i}].op", f"unknown op {patch.op}", "INVALID_PATCH_OP")
        patches.append(plan_patch(i, patch.path, op, value_to_python(patch.value, f"patches[{i}].value")))
    return patches


def _export_formats(request: pb.ExportPlanRequest) -> list[ExportFormat]:
    formats = []
    for i, number in enumerate(request.formats):
        try:
            formats.append(ExportFormat(enum_suffix(planner_pb2.ExportFormat.DESCRIPTOR, number)))
        except ValueError:
            raise InvalidArgument.for_field(f"formats[{i}]", f"unknown export format {number}", "INVALID_EXPORT_FORMAT") from None
    return formats


def _shot_plan_response(result: ShotPlanResult, response_type):
    return response_type(
        shot_plan=to_message(result.shot_plan, planner_pb2.ShotPlan),
        report_before=to_message(result.before, planner_pb2.ContinuityReport),
        report_after=to_message(result.after, planner_pb2.ContinuityReport),
    )


def _render_target(request: pb.BuildRenderPromptRequest) -> RenderTarget:
    which = request.WhichOneof("target")
    if which is None:
        raise InvalidArgument.for_field("target", "one of shot_id, character_id, location_id or style_frame is required", "TARGET_REQUIRED")
    if which == "style_frame":
        if not request.style_frame:
            raise InvalidArgument.for_field("style_frame", "must be true when it is the target", "TARGET_REQUIRED")
        return RenderTarget(kind=RenderTargetKind.STYLE_FRAME)
    value = getattr(request, which)
    if not value or len(value) > 20:
        raise InvalidArgument.for_field(which, "must be an id of the plan, e.g. S003, CHAR_01, LOC_02", "INVALID_TARGET_ID")
    return RenderTarget(kind=_TARGETS[which], id=value)


class PlannerServicer(planner_service_pb2_grpc.PlannerServiceServicer):
    """Maps PlannerService calls onto the planner's domain modules."""

    def __init__(self, planning: Planning, scripts: ScriptAssets) -> None:
        self._planning = planning
        self._scripts = scripts

    # ------------------------------------------------------------ scripts
    async def CreateScript(self, request: pb.CreateScriptRequest, context) -> planner_pb2.Script:
        return await self._scripts.create(request.parent, request.script, request.script_id, request.request_id)

    async def UpdateScript(self, request: pb.UpdateScriptRequest, context) -> planner_pb2.Script:
        return await self._scripts.update(request.script, list(request.update_mask.paths), request.request_id)

    async def GetScript(self, request: pb.GetScriptRequest, context) -> planner_pb2.Script:
        return await self._scripts.get(request.name)

    # ------------------------------------------------------------ plans
    async def GeneratePlan(self, request: pb.GeneratePlanRequest, context) -> planner_pb2.Plan:
        parse_project(request.parent, "parent")
        which = request.WhichOneof("brief")
        if which is None:
            raise InvalidArgument.for_field("brief", "one of screenplay, music_video, product_ad or scene is required", "BRIEF_REQUIRED")
        brief = request_model(getattr(request, which), _BRIEFS[which], which)
        preferences = request_model(request.preferences, PlanPreferences, "preferences")
        plan = await self._planning.generate_plan(
            request.parent, brief, preferences, plan_id=request.plan_id, offline=request.offline, request_id=request.request_id
        )
        return to_message(plan, planner_pb2.Plan)

    async def GetPlan(self, request: pb.GetPlanRequest, context) -> planner_pb2.Plan:
        return to_message(await self._planning.get_plan(request.name), planner_pb2.Plan)

    async def PatchPlan(self, request: pb.PatchPlanRequest, context) -> planner_pb2.Plan:
        plan = await self._planning.patch_plan(
            request.plan_revision, _patches(request), message=request.message, request_id=request.request_id
        )
        return to_message(plan, planner_pb2.Plan)

    # ------------------------------------------------------------ shot plans and continuity
    async def GenerateShotPlan(self, request: pb.GenerateShotPlanRequest, context) -> pb.GenerateShotPlanResponse:
        result = await self._planning.generate_shot_plan(
            request.plan_revision, shot_plan_id=request.shot_plan_id, offline=request.offline, request_id=request.request_id
        )
        return _shot_plan_response(result, pb.GenerateShotPlanResponse)

    async def GetShotPlan(self, request: pb.GetShotPlanRequest, context) -> planner_pb2.ShotPlan:
        return to_message(await self._planning.get_shot_plan(request.name), planner_pb2.ShotPlan)

    async def ValidateContinuity(self, request: pb.ValidateContinuityRequest, context) -> planner_pb2.ContinuityReport:
        report = await self._planning.validate(request.shot_plan_revision, request_id=request.request_id)
        return to_message(report, planner_pb2.ContinuityReport)

    async def RepairContinuity(self, request: pb.RepairContinuityRequest, context) -> pb.RepairContinuityResponse:
        result = await self._planning.repair(request.shot_plan_revision, offline=request.offline, request_id=request.request_id)
        return _shot_plan_response(result, pb.RepairContinuityResponse)

    # ------------------------------------------------------------ feedback, prompts, exports
    async def InterpretFeedback(self, request: pb.InterpretFeedbackRequest, context) -> pb.InterpretFeedbackResponse:
        delta, trace = await self._planning.interpret(
            request.feedback, image_revision=request.image_revision, plan_revision=request.plan_revision,
            shot_id=request.shot_id, offline=request.offline, request_id=request.request_id,
        )
        return pb.InterpretFeedbackResponse(edit_delta=to_message(delta, planner_pb2.EditDelta), trace_revision=trace)

    async def BuildRenderPrompt(self, request: pb.BuildRenderPromptRequest, context) -> planner_pb2.RenderPrompt:
        target = _render_target(request)
        lock = request_model(request.lock_profile, LockProfile, "lock_profile")
        edit = request_model(request.edit_delta, EditDelta, "edit_delta") if request.HasField("edit_delta") else None
        prompt = await self._planning.render_prompt(
            request.plan_revision, request.shot_plan_revision, target, lock, edit, request.source_image_revision
        )
        return to_message(prompt, planner_pb2.RenderPrompt)

    async def ExportPlan(self, request: pb.ExportPlanRequest, context) -> planner_pb2.PlanExport:
        return await self._planning.export(
            request.plan_revision, request.shot_plan_revision, _export_formats(request), export_id=request.export_id,
            request_id=request.request_id,
        )

    # ------------------------------------------------------------ traces
    async def ListLlmTraces(self, request: pb.ListLlmTracesRequest, context) -> pb.ListLlmTracesResponse:
        project = project_name(parse_project(request.parent, "parent"))
        traces, token = await list_traces(
            self._planning.store, project, page_size=request.page_size, page_token=request.page_token, purpose=request.purpose
        )
        return pb.ListLlmTracesResponse(traces=traces, next_page_token=token)

    async def GetLlmTrace(self, request: pb.GetLlmTraceRequest, context) -> planner_pb2.LlmTrace:
        return await get_trace(self._planning.store, request.name)

