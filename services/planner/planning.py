"""The planner's work between a request and storage: read the inputs, run
the offline planner or the LLM, store the outputs with lineage.

Lineage: script revision → plan revision → shot plan revision (the first
cut, then its repair) → continuity reports; a patched plan's parent is the
plan it was patched from; an export's parents are the plan and shot plan
it holds. Each write of a call carries a request id derived from the
call's (``{request_id}:plan``, ``:shot-plan``, ``:report-before``...), so a
retried call gets the revisions of the first one and stores nothing new.

The LLM (when configured and not refused with ``offline``) writes plan
notes, cuts shots, repairs what deterministic repair left and interprets
feedback; its calls are stored as trace revisions of the project and
listed on the outputs they made.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Union

from pydantic import ValidationError

from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.planner.briefs import (
    MusicVideoBrief,
    ProductAdBrief,
    SceneBrief,
    ScreenplayBrief,
    check_screenplay_brief,
    plan_music_video,
    plan_product_ad,
    plan_scene,
)
from services.planner.continuity import ContinuityReport, validate_shot_plan
from services.planner.continuity_repair import RepairResult, repair_continuity
from services.planner.exports import ExportFormat, export_files
from services.planner.feedback import MAX_FEEDBACK_CHARS, EditDelta, interpret_feedback
from services.planner.llm_planner import LlmPlanner
from services.planner.llm_traces import TraceRecorder
from services.planner.offline_planner import plan_screenplay
from services.planner.patches import PlanPatch, apply_patches
from services.planner.plan import Plan
from services.planner.plan_protos import enum_number, enum_suffix
from services.planner.planner_store import PlannerStore, checked_request_id, child_request_id, project_of, revision_asset
from services.planner.preferences import PlanPreferences
from services.planner.render_prompts import LockProfile, RenderPrompt, RenderTarget, build_render_prompt
from services.planner.scripts import ScriptFormat, parse_script
from services.planner.shot_plan import Shot, ShotPlan
from services.planner.shot_planner import plan_shots
from services.runtime.errors import Aborted, FailedPrecondition, InvalidArgument
from services.runtime.resource_names import parse_project, parse_revision

_LOGGER = logging.getLogger(__name__)
Brief = Union[ScreenplayBrief, MusicVideoBrief, ProductAdBrief, SceneBrief]
MAX_PATCH_MESSAGE_CHARS = 2000
_EXPORT_ROLES = {ExportFormat.PLAN_JSON: "plan-json", ExportFormat.CHARACTERS_CSV: "characters-csv", ExportFormat.SHOTS_CSV: "shots-csv"}


@dataclass(frozen=True)
class ShotPlanResult:
    shot_plan: ShotPlan
    before: ContinuityReport
    after: ContinuityReport


def _same_project(name: str, project: str, field: str) -> None:
    if project_of(name) != project:
        raise InvalidArgument.for_field(field, f"must be in {project}, the project of the call", "CROSS_PROJECT_REFERENCE")


def _not_plannable(script_revision: str, error: ValidationError) -> InvalidArgument:
    """A script whose plan would break a plan limit that the offline
    planner does not fit the text to: the caller's input, so
    INVALID_ARGUMENT naming the script, never INTERNAL."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or error.title
    _LOGGER.warning("script %s does not fit a plan: %s: %s", script_revision, where, first["msg"])
    return InvalidArgument.for_field(
        "screenplay.script_revision", f"{script_revision} cannot be planned: {error.title}.{where}: {first['msg']}",
        "SCRIPT_NOT_PLANNABLE",
    )


def _from_template(make, brief: Brief, preferences: PlanPreferences, field: str) -> Plan:
    """A brief's plan from its template; a brief whose values do not fit
    the plan (the brief's own limits are looser in places) answers
    INVALID_ARGUMENT naming the brief, never INTERNAL."""
    try:
        return make(brief, preferences)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or error.title
        _LOGGER.warning("a %s brief does not fit a plan: %s.%s: %s", field, error.title, where, first["msg"])
        raise InvalidArgument.for_field(field, f"does not fit a plan: {error.title}.{where}: {first['msg']}", "BRIEF_NOT_PLANNABLE") from None


def _revision_field(name: str, field: str) -> str:
    parse_revision(name, field)
    return name


class Planning:
    """Every PlannerService operation except scripts (``ScriptAssets``)."""

    def __init__(self, store: PlannerStore, recorder: TraceRecorder, llm: LlmPlanner | None = None) -> None:
        self._store = store
        self._recorder = recorder
        self._llm = llm

    @property
    def store(self) -> PlannerStore:
        return self._store

    def _uses_llm(self, offline: bool) -> bool:
        return self._llm is not None and not offline

    # ------------------------------------------------------------ plans
    async def generate_plan(
        self, parent: str, brief: Brief, preferences: PlanPreferences, *, plan_id: str, offline: bool, request_id: str
    ) -> Plan:
        project = f"projects/{parse_project(parent, 'parent')}"
        rid = checked_request_id(request_id)
        draft, source, parents, blobs = await self._draft(project, brief, preferences)
        plan = draft
        if self._uses_llm(offline):
            with self._recorder.scope(project, rid) as scope:
                try:
                    plan = await self._llm.write_plan(draft, source, preferences, request_id=rid)
                finally:
                    traces = scope.since(0)
            plan = plan.model_copy(update={"trace_revisions": traces})
        asset = await self._store.asset_for_output(
            project, storage_pb2.ASSET_KIND_PLAN, plan_id, field="plan_id",
            request_id=child_request_id(rid, "plan-asset"), display_name=plan.title,
        )
        return await self._store.store_plan(
            asset.name, plan, request_id=child_request_id(rid, "plan"), parents=parents, blobs=blobs,
            labels={"brief_kind": plan.brief_kind.value.lower(), "generator": plan.generator},
            message=f"plan from a {plan.brief_kind.value.lower().replace('_', ' ')} brief",
        )

    async def _draft(self, project: str, brief: Brief, preferences: PlanPreferences) -> tuple[Plan, str, list[str], list[tuple[str, str]]]:
        """The offline plan of a brief, the source text the LLM reads, and
        the lineage parents and blobs of the plan revision."""
        if isinstance(brief, ScreenplayBrief):
            name = check_screenplay_brief(brief)
            _same_project(name, project, "screenplay.script_revision")
            revision, script = await self._store.read(name, planner_pb2.Script, field="screenplay.script_revision", what="a script")
            fmt = ScriptFormat(enum_suffix(planner_pb2.ScriptFormat.DESCRIPTOR, script.format))
            parsed = await asyncio.to_thread(parse_script, script.content, fmt, script.title)
            try:
                plan = await asyncio.to_thread(plan_screenplay, parsed, preferences, revision.name)
            except ValidationError as error:
                raise _not_plannable(revision.name, error) from None
            return plan, script.content, [revision.name], []
        if isinstance(brief, MusicVideoBrief):
            return _from_template(plan_music_video, brief, preferences, "music_video"), brief.model_dump_json(), [], []
        if isinstance(brief, ProductAdBrief):
            plan = _from_template(plan_product_ad, brief, preferences, "product_ad")
            if not brief.product_image_blob:
                return plan, brief.model_dump_json(), [], []
            _same_project(brief.product_image_blob, project, "product_ad.product_image_blob")
            await self._store.get_blob(brief.product_image_blob)
            return plan, brief.model_dump_json(), [], [("product-image", brief.product_image_blob)]
        return _from_template(plan_scene, brief, preferences, "scene"), brief.model_dump_json(), [], []

    async def get_plan(self, name: str) -> Plan:
        return await self._store.read_plan(name, "name")

    async def patch_plan(self, plan_revision: str, patches: list[PlanPatch], *, message: str, request_id: str) -> Plan:
        rid = checked_request_id(request_id)
        if len(message) > MAX_PATCH_MESSAGE_CHARS:
            raise InvalidArgument.for_field("message", f"must be at most {MAX_PATCH_MESSAGE_CHARS} characters", "MESSAGE_TOO_LONG")
        plan = await self._store.read_plan(_revision_field(plan_revision, "plan_revision"), "plan_revision")
        patched = await asyncio.to_thread(apply_patches, plan, patches)
        number = parse_revision(plan.revision).number
        try:
            return await self._store.store_plan(
                revision_asset(plan.revision), patched, request_id=child_request_id(rid, "patch"), parents=[plan.revision],
                expected_revision_count=number, labels={"brief_kind": patched.brief_kind.value.lower(), "generator": patched.generator, "patched": "true"},
                message=message or f"{len(patches)} patch{'es' if len(patches) != 1 else ''}: " + ", ".join(p.path for p in patches[:5])[:1800],
            )
        except Aborted:
            raise Aborted(
                f"{plan.revision} is no longer the head of {revision_asset(plan.revision)}: re-read the plan and patch its head",
                reason="PLAN_REVISION_STALE", metadata={"plan_revision": plan.revision},
            ) from None

    # ------------------------------------------------------------ shot plans
    async def generate_shot_plan(self, plan_revision: str, *, shot_plan_id: str, offline: bool, request_id: str) -> ShotPlanResult:
        rid = checked_request_id(request_id)
        plan = await self._store.read_plan(_revision_field(plan_revision, "plan_revision"), "plan_revision")
        project = project_of(plan.revision)
        traces: list[str] = []
        if self._uses_llm(offline):
            with self._recorder.scope(project, rid) as scope:
                try:
                    cut = await self._llm.cut_shots(plan, request_id=rid)
                    result = await repair_continuity(plan, cut, self._llm.repairer(rid))
                finally:
                    traces = scope.since(0)
        else:
            cut = await asyncio.to_thread(plan_shots, plan, plan.revision)
            result = await repair_continuity(plan, cut)
        asset = await self._store.asset_for_output(
            project, storage_pb2.ASSET_KIND_SHOT_PLAN, shot_plan_id, field="shot_plan_id",
            request_id=child_request_id(rid, "shot-plan-asset"), display_name=f"Shots of {plan.title}"[:200],
        )
        labels = {"generator": cut.generator}
        cut = cut.model_copy(update={"plan_revision": plan.revision, "trace_revisions": traces})
        repaired = bool(result.before.violations)
        first = await self._store.store_shot_plan(
            asset.name, cut, request_id=child_request_id(rid, "shot-plan-cut" if repaired else "shot-plan"),
            parents=[plan.revision], labels={**labels, "stage": "cut"}, message="first cut",
        )
        final = first
        if repaired:
            final = await self._store.store_shot_plan(
                asset.name,
                result.shot_plan.model_copy(update={"plan_revision": plan.revision, "parent_revision": first.revision, "trace_revisions": traces}),
                request_id=child_request_id(rid, "shot-plan"), parents=[plan.revision, first.revision],
                labels={**labels, "stage": "repaired"}, message="continuity repaired",
            )
        return await self._store_reports(project, asset.name, first, final, result, rid)

    async def _store_reports(self, project: str, asset: str, first: ShotPlan, final: ShotPlan, result: RepairResult, rid: str) -> ShotPlanResult:
        reports = await self._report_asset(project, asset)
        before = await self._store.store_report(
            reports, result.before.model_copy(update={"shot_plan_revision": first.revision}),
            request_id=child_request_id(rid, "report-before" if final is not first else "report"), parents=[first.revision],
            labels={"stage": "before"}, message=f"score {result.before.score}",
        )
        if final is first:
            return ShotPlanResult(final, before, before)
        after = await self._store.store_report(
            reports, result.after.model_copy(update={"shot_plan_revision": final.revision}),
            request_id=child_request_id(rid, "report-after"), parents=[final.revision],
            labels={"stage": "after"}, message=f"score {result.after.score}",
        )
        return ShotPlanResult(final, before, after)

    async def _report_asset(self, project: str, shot_plan_asset: str) -> str:
        return await self._store.keyed_asset(
            project, storage_pb2.ASSET_KIND_CONTINUITY_REPORT, shot_plan_asset,
            display_name=f"Continuity of {shot_plan_asset.rsplit('/', 1)[-1]}",
            labels={"shot_plan_asset": shot_plan_asset.rsplit("/", 1)[-1]},
        )

    async def get_shot_plan(self, name: str) -> ShotPlan:
        return await self._store.read_shot_plan(name, "name")

    async def _shot_plan_and_plan(self, name: str, field: str) -> tuple[ShotPlan, Plan]:
        shot_plan = await self._store.read_shot_plan(_revision_field(name, field), field)
        if not shot_plan.plan_revision:
            raise FailedPrecondition(f"{shot_plan.revision} names no plan revision to check it against", reason="SHOT_PLAN_WITHOUT_PLAN")
        return shot_plan, await self._store.read_plan(shot_plan.plan_revision, field)

    async def validate(self, shot_plan_revision: str, *, request_id: str) -> ContinuityReport:
        rid = checked_request_id(request_id)
        shot_plan, plan = await self._shot_plan_and_plan(shot_plan_revision, "shot_plan_revision")
        report = await asyncio.to_thread(validate_shot_plan, plan, shot_plan)
        reports = await self._report_asset(project_of(shot_plan.revision), revision_asset(shot_plan.revision))
        return await self._store.store_report(
            reports, report, request_id=child_request_id(rid, "report"), parents=[shot_plan.revision],
            labels={"stage": "check"}, message=f"score {report.score}",
        )

    async def repair(self, shot_plan_revision: str, *, offline: bool, request_id: str) -> ShotPlanResult:
        rid = checked_request_id(request_id)
        shot_plan, plan = await self._shot_plan_and_plan(shot_plan_revision, "shot_plan_revision")
        project = project_of(shot_plan.revision)
        traces: list[str] = []
        if self._uses_llm(offline):
            with self._recorder.scope(project, rid) as scope:
                try:
                    result = await repair_continuity(plan, shot_plan, self._llm.repairer(rid))
                finally:
                    traces = scope.since(0)
        else:
            result = await repair_continuity(plan, shot_plan)
        final = shot_plan
        if result.before.violations:
            final = await self._store.store_shot_plan(
                revision_asset(shot_plan.revision),
                result.shot_plan.model_copy(update={
                    "plan_revision": shot_plan.plan_revision, "parent_revision": shot_plan.revision,
                    "trace_revisions": [*shot_plan.trace_revisions, *traces],
                }),
                request_id=child_request_id(rid, "repair"), parents=[shot_plan.revision],
                labels={"generator": shot_plan.generator or "offline", "stage": "repaired"}, message="continuity repaired",
            )
        return await self._store_reports(project, revision_asset(shot_plan.revision), shot_plan, final, result, rid)

    # ------------------------------------------------------------ feedback, prompts, exports
    async def interpret(
        self, feedback: str, *, image_revision: str, plan_revision: str, shot_id: str, offline: bool, request_id: str
    ) -> tuple[EditDelta, str]:
        """The edit delta and the LLM trace revision ("" offline). The LLM
        needs a project to store its trace in, so without a plan or image
        revision the offline rules answer."""
        text = " ".join(feedback.split())
        if not text:
            raise InvalidArgument.for_field("feedback", "is required", "FEEDBACK_REQUIRED")
        if len(feedback) > MAX_FEEDBACK_CHARS:
            raise InvalidArgument.for_field("feedback", f"must be at most {MAX_FEEDBACK_CHARS} characters", "FEEDBACK_TOO_LONG")
        rid = checked_request_id(request_id)
        plan = await self._store.read_plan(_revision_field(plan_revision, "plan_revision"), "plan_revision") if plan_revision else None
        if image_revision:
            image = await self._store.get_revision(image_revision, "image_revision")
            if plan is not None:
                _same_project(image.name, project_of(plan.revision), "image_revision")
        shot = await self._shot_for_feedback(plan, shot_id)
        project = project_of(plan.revision) if plan is not None else project_of(image_revision) if image_revision else ""
        if not self._uses_llm(offline) or not project:
            return await asyncio.to_thread(interpret_feedback, feedback, shot), ""
        with self._recorder.scope(project, rid) as scope:
            try:
                delta = await self._llm.interpret_feedback(feedback, plan=plan, shot=shot, request_id=rid)
            finally:
                traces: list[str] = scope.since(0)
        return delta, traces[-1] if traces else ""

    async def _shot_for_feedback(self, plan: Plan | None, shot_id: str) -> Shot | None:
        if not shot_id:
            return None
        if plan is None:
            raise InvalidArgument.for_field("plan_revision", "is required with shot_id", "PLAN_REVISION_REQUIRED")
        shot_plan = await self._store.newest_shot_plan_of(plan.revision)
        if shot_plan is None:
            raise FailedPrecondition(f"{plan.revision} has no shot plan yet", reason="SHOT_PLAN_NOT_FOUND")
        shot = next((s for s in shot_plan.shots if s.id == shot_id), None)
        if shot is None:
            raise InvalidArgument.for_field("shot_id", f"{shot_id[:20]!r} is not a shot of {shot_plan.revision}", "SHOT_NOT_FOUND")
        return shot

    async def render_prompt(
        self, plan_revision: str, shot_plan_revision: str, target: RenderTarget, lock: LockProfile,
        edit: EditDelta | None, source_image_revision: str,
    ) -> RenderPrompt:
        """Cheap on a warm cache: no storage call, no copy of the plan."""
        plan = await self._store.read_plan(_revision_field(plan_revision, "plan_revision"), "plan_revision")
        shot_plan = await self._matching_shot_plan(plan, shot_plan_revision)
        if source_image_revision:
            parse_revision(source_image_revision, "source_image_revision")
        return build_render_prompt(plan, target, lock, shot_plan, edit, source_image_revision)

    async def _matching_shot_plan(self, plan: Plan, shot_plan_revision: str) -> ShotPlan | None:
        if not shot_plan_revision:
            return None
        shot_plan = await self._store.read_shot_plan(_revision_field(shot_plan_revision, "shot_plan_revision"), "shot_plan_revision")
        if shot_plan.plan_revision and revision_asset(shot_plan.plan_revision) != revision_asset(plan.revision):
            raise InvalidArgument.for_field(
                "shot_plan_revision", f"covers {shot_plan.plan_revision}, a revision of another plan than {plan.revision}", "SHOT_PLAN_MISMATCH"
            )
        return shot_plan

    async def export(
        self, plan_revision: str, shot_plan_revision: str, formats: list[ExportFormat], *, export_id: str, request_id: str
    ) -> planner_pb2.PlanExport:
        rid = checked_request_id(request_id)
        plan = await self._store.read_plan(_revision_field(plan_revision, "plan_revision"), "plan_revision")
        shot_plan = await self._matching_shot_plan(plan, shot_plan_revision)
        files = await asyncio.to_thread(export_files, plan, shot_plan, formats)
        project = project_of(plan.revision)
        blobs = [await self._store.upload_bytes(project, f.content, f.media_type) for f in files]
        asset = await self._store.asset_for_output(
            project, storage_pb2.ASSET_KIND_PLAN_EXPORT, export_id, field="export_id",
            request_id=child_request_id(rid, "export-asset"), display_name=f"Export of {plan.title}"[:200],
        )
        payload = planner_pb2.PlanExport(
            plan_revision=plan.revision, shot_plan_revision=shot_plan.revision if shot_plan else "",
            files=[planner_pb2.ExportFile(
                format=enum_number(planner_pb2.ExportFormat.DESCRIPTOR, f.format.value), blob=blob.name,
                media_type=f.media_type, size_bytes=blob.size_bytes, file_name=f.file_name,
            ) for f, blob in zip(files, blobs)],
        )
        revision = await self._store.append(
            asset.name, payload, request_id=child_request_id(rid, "export"),
            parents=[plan.revision, *([shot_plan.revision] if shot_plan else [])],
            blobs=[(_EXPORT_ROLES[f.format], blob.name) for f, blob in zip(files, blobs)],
            message=", ".join(f.file_name for f in files),
        )
        stored = planner_pb2.PlanExport()
        revision.payload.Unpack(stored)
        stored.revision = revision.name
        return stored

