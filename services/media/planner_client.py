"""Typed wrapper over the planner's stub for what media needs: shot plans,
plans, render prompts and edit deltas. Errors from the planner come back as
domain errors with the same status code (see ``upstream_errors``); for the
reads of a revision the media request named, an INVALID_ARGUMENT names the
media request's field (the planner names its own, e.g. ``name``)."""

from __future__ import annotations

import contextlib
from typing import Iterator

import grpc

from previs.planner.v1 import planner_pb2, planner_service_pb2, planner_service_pb2_grpc
from services.runtime.errors import FieldViolation, InvalidArgument
from services.runtime.upstream_errors import translated


@contextlib.contextmanager
def naming(field: str) -> Iterator[None]:
    """Re-raises INVALID_ARGUMENT about a name the caller gave as about
    ``field`` of the caller's request (empty ``field``: unchanged)."""
    try:
        yield
    except InvalidArgument as error:
        if not field:
            raise
        descriptions = [violation.description for violation in error.field_violations] or [error.message]
        raise InvalidArgument(
            f"{field}: {descriptions[0]}", reason=error.reason, metadata=error.metadata,
            field_violations=[FieldViolation(field, description) for description in descriptions],
        ) from None


class PlannerClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._stub = planner_service_pb2_grpc.PlannerServiceStub(channel)

    async def shot_plan(self, revision: str, field: str = "") -> planner_pb2.ShotPlan:
        with naming(field), translated("planner"):
            return await self._stub.GetShotPlan(planner_service_pb2.GetShotPlanRequest(name=revision))

    async def plan(self, revision: str, field: str = "") -> planner_pb2.Plan:
        with naming(field), translated("planner"):
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
