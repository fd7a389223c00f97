"""Defects these tests found in code owned by other engineers, not fixed yet.

Each has a dedicated test marked ``xfail(strict=True)`` (in
test_hostile_inputs.py and test_auth_matrix.py) that starts passing, and so
fails, the day the owner fixes it; delete the entry here at the same time. The generated-input
tests excuse a problem only when it matches an entry here exactly (method,
the request shape, and the wrong answer), count it separately and print it,
so a new defect still fails them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import grpc
from google.protobuf.message import Message

from tests.faults.outcomes import Outcome

PATCH_PATH_LIMIT = 600  # services/planner/patches.py: PlanPatch.path max_length


@dataclass(frozen=True)
class KnownDefect:
    key: str
    owner: str
    description: str
    matches: Callable[[str, Message | list, Outcome], bool]


def _long_patch_path(method: str, request, outcome: Outcome) -> bool:
    return (
        method == "PatchPlan"
        and outcome.code == grpc.StatusCode.INTERNAL
        and any(len(patch.path) > PATCH_PATH_LIMIT for patch in request.patches)
    )


PLAN_READERS = frozenset(
    {"GetPlan", "GetShotPlan", "GenerateShotPlan", "ExportPlan", "ValidateContinuity", "RepairContinuity", "BuildRenderPrompt", "PatchPlan"}
)


@dataclass
class PlannerKinds:
    """Names (numeric and ``latest``) of the plan and shot-plan revisions
    the seeding made; filled in by the tests that seed them."""

    plans: set[str]
    shot_plans: set[str]


PLANNER_REVISIONS = PlannerKinds(set(), set())


def _expected_kind(method: str, field_name: str) -> str:
    if field_name == "name":
        return {"GetPlan": "plan", "GetShotPlan": "shot_plan"}.get(method, "")
    if "shot_plan" in field_name:
        return "shot_plan"
    if "plan_revision" in field_name:
        return "plan"
    return ""


def _swapped_fields(method: str, request: Message) -> bool:
    for field, value in request.ListFields():
        if field.type != field.TYPE_STRING or field.is_repeated:
            continue
        expected = _expected_kind(method, field.name)
        if (expected == "plan" and value in PLANNER_REVISIONS.shot_plans) or (
            expected == "shot_plan" and value in PLANNER_REVISIONS.plans
        ):
            return True
    return False


def _plan_kind_swapped(method: str, request, outcome: Outcome) -> bool:
    return method in PLAN_READERS and outcome.code == grpc.StatusCode.INTERNAL and _swapped_fields(method, request)


KNOWN_DEFECTS = (
    KnownDefect(
        "planner-long-patch-path",
        "planner",
        "PatchPlan with a patches[i].path longer than 600 characters answers INTERNAL: servicer._patches cuts "
        "paths at 1000 characters but PlanPatch.path has max_length 600, so pydantic raises ValidationError "
        "(expected INVALID_ARGUMENT naming patches[i].path)",
        _long_patch_path,
    ),
    KnownDefect(
        "planner-cached-kind",
        "planner",
        "a plan read given a shot-plan revision (GetPlan, ExportPlan, GenerateShotPlan, BuildRenderPrompt) or a "
        "shot-plan read given a plan revision (GetShotPlan, ValidateContinuity, RepairContinuity) answers INTERNAL "
        "once that revision is in PlannerStore's cache: PlannerStore._cached returns the cached model without "
        "checking its type, and plan_protos.fill_message raises ValueError (expected INVALID_ARGUMENT "
        "WRONG_RESOURCE_KIND, as for a cold cache)",
        _plan_kind_swapped,
    ),
)


def known_defect(method: str, request, outcome: Outcome) -> KnownDefect | None:
    for defect in KNOWN_DEFECTS:
        try:
            if defect.matches(method, request, outcome):
                return defect
        except (AttributeError, TypeError):
            continue
    return None
