"""Typed wrapper over the planner's stub for what media needs: shot plans,
plans, render prompts and edit deltas. Errors from the planner come back as
domain errors with the same status code (see ``upstream_errors``)."""

from __future__ import annotations

import grpc

from previs.planner.v1 import planner_pb2, planner_service_pb2, planner_service_pb2_grpc
from services.runtime.upstream_errors import translated


class PlannerClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = planner_service_pb2_grpc.PlannerServiceStub(channel)

    async def shot_plan(self, revision: str) -> planner_pb2.ShotPlan:
        with translated("planner"):
            return await self._stub.GetShotPlan(planner_service_pb2.GetShotPlanRequest(name=revision))

    async def plan(self, revision: str) -> planner_pb2.Plan:
        with translated("planner"):
            return await self._stub.GetPlan(planner_service_pb2.GetPlanRequest(name=revision))

    async def render_prompt(self, request: planner_service_pb2.BuildRenderPromptRequest) -> planner_pb2.RenderPrompt:
        with translated("planner"):
            return await self._stub.BuildRenderPrompt(request)

    async def edit_delta(self, feedback: str, image_revision: str, plan_revision: str, shot_id: str, request_id: str):
        with translated("planner"):
            response = await self._stub.InterpretFeedback(
                planner_service_pb2.InterpretFeedbackRequest(
                    feedback=feedback,
                    image_revision=image_revision,
                    plan_revision=plan_revision,
                    shot_id=shot_id,
                    request_id=request_id,
                )
            )
        return response.edit_delta
