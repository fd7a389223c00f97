"""RecordSpend: charges applied once per request id, budgets enforced."""

import asyncio

import grpc

from previs.storage.v1 import storage_admin_service_pb2 as admin_pb, storage_service_pb2 as pb
from tests.status_details import details_of, reason_of, violated_fields
from tests.storage.harness import rpc_error


async def test_charges_accumulate_once_per_request_id(storage):
    project = await storage.a.project(budget_usd=10)
    charge = admin_pb.RecordSpendRequest(name=project.name, delta_usd=1.25, request_id="job-1", memo="projects/p/jobs/1")
    after = await storage.a.admin.RecordSpend(charge)
    assert after.spent_usd == 1.25
    assert (await storage.a.admin.RecordSpend(charge)).spent_usd == 1.25
    racing = [admin_pb.RecordSpendRequest(name=project.name, delta_usd=0.1, request_id=f"r{i % 3}") for i in range(12)]
    await asyncio.gather(*(storage.a.admin.RecordSpend(r) for r in racing))
    refund = admin_pb.RecordSpendRequest(name=project.name, delta_usd=-0.05, request_id="refund-1")
    final = await storage.a.admin.RecordSpend(refund)
    assert round(final.spent_usd, 6) == 1.5
    assert (await storage.a.storage.GetProject(pb.GetProjectRequest(name=project.name))).spent_usd == final.spent_usd


async def test_an_enforced_budget_refuses_the_charge_that_would_exceed_it(storage):
    project = await storage.a.project(budget_usd=1)
    charges = [
        admin_pb.RecordSpendRequest(name=project.name, delta_usd=0.3, enforce_budget=True, request_id=f"c{i}") for i in range(5)
    ]
    outcomes = await asyncio.gather(*(storage.a.admin.RecordSpend(c) for c in charges), return_exceptions=True)
    refused = [o for o in outcomes if isinstance(o, grpc.aio.AioRpcError)]
    assert len(refused) == 2
    error = refused[0]
    assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED and reason_of(error) == "BUDGET_EXCEEDED"
    assert details_of(error)["QuotaFailure"].violations[0].subject == project.name
    assert round((await storage.a.storage.GetProject(pb.GetProjectRequest(name=project.name))).spent_usd, 6) == 0.9
    # Without enforcement the charge is recorded (the money was spent).
    over = await storage.a.admin.RecordSpend(admin_pb.RecordSpendRequest(name=project.name, delta_usd=0.5))
    assert round(over.spent_usd, 6) == 1.4


async def test_bad_amounts_and_other_tenants(storage):
    project = await storage.a.project()
    for request, field in (
        (admin_pb.RecordSpendRequest(name=project.name, delta_usd=float("nan")), "delta_usd"),
        (admin_pb.RecordSpendRequest(name=project.name, delta_usd=float("inf")), "delta_usd"),
        (admin_pb.RecordSpendRequest(name=project.name, delta_usd=1, memo="m" * 513), "memo"),
        (admin_pb.RecordSpendRequest(name="project/x", delta_usd=1), "name"),
    ):
        error = await rpc_error(storage.a.admin.RecordSpend(request))
        assert error.code() == grpc.StatusCode.INVALID_ARGUMENT and violated_fields(error) == [field]
    error = await rpc_error(storage.b.admin.RecordSpend(admin_pb.RecordSpendRequest(name=project.name, delta_usd=1)))
    assert error.code() == grpc.StatusCode.NOT_FOUND and reason_of(error) == "PROJECT_NOT_FOUND"
