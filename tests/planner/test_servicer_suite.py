"""The planner behind the gateway, with the internal credential on: the
tenant of the caller's API key reaches storage through the planner, so one
tenant's script is another tenant's NOT_FOUND."""

from __future__ import annotations

import grpc
import pytest

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb, planner_service_pb2_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_rpc, storage_service_pb2_grpc
from tests.planner.servicer_harness import rpc_error
from tests.suite import TENANT_A_KEY, TENANT_B_KEY, in_process_suite


@pytest.fixture
async def suite(tmp_path):
    async with in_process_suite(tmp_path) as running:
        yield running


async def test_planner_calls_through_the_gateway_keep_the_callers_tenant(suite, seed_text):
    async with grpc.aio.insecure_channel(suite.address("gateway")) as channel:
        planner = planner_service_pb2_grpc.PlannerServiceStub(channel)
        storage = storage_service_pb2_grpc.StorageServiceStub(channel)
        alice = (("authorization", f"Bearer {TENANT_A_KEY}"),)
        bob = (("authorization", f"Bearer {TENANT_B_KEY}"),)
        project = await storage.CreateProject(storage_rpc.CreateProjectRequest(project=storage_pb2.Project(title="Gateway")), metadata=alice)
        script = await planner.CreateScript(
            pb.CreateScriptRequest(parent=project.name, script=planner_pb2.Script(content=seed_text)), metadata=alice, timeout=30)
        plan = await planner.GeneratePlan(pb.GeneratePlanRequest(
            parent=project.name, screenplay=planner_pb2.ScreenplayBrief(script_revision=script.revision)), metadata=alice, timeout=30)
        assert plan.source_revision == script.revision
        revision = await storage.GetRevision(storage_rpc.GetRevisionRequest(name=plan.revision), metadata=alice)
        assert revision.creator == "alice"

        for call in (planner.GetScript(pb.GetScriptRequest(name=script.name), metadata=bob),
                     planner.GetPlan(pb.GetPlanRequest(name=plan.revision), metadata=bob)):
            error = await rpc_error(call)
            assert error.code() == grpc.StatusCode.NOT_FOUND
        error = await rpc_error(planner.GetPlan(pb.GetPlanRequest(name=plan.revision)))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED

    async with grpc.aio.insecure_channel(suite.address("planner")) as direct:
        error = await rpc_error(planner_service_pb2_grpc.PlannerServiceStub(direct).GetPlan(pb.GetPlanRequest(name=plan.revision)))
        assert error.code() == grpc.StatusCode.UNAUTHENTICATED
