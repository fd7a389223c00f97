"""A real storage server and a real planner server on port 0, and clients
acting as a tenant, for the PlannerService tests."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator, Awaitable

import grpc
import pytest

from previs.planner.v1 import planner_pb2, planner_service_pb2 as pb, planner_service_pb2_grpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as storage_rpc
from services.planner.app import wire
from services.planner.settings import PlannerSettings
from services.runtime.server import PrevisServer
from tests.storage.harness import StorageHarness, TenantClient, storage_settings


@dataclass
class Tenant:
    """One tenant's view: the planner stub and storage (same identity)."""

    planner: planner_service_pb2_grpc.PlannerServiceStub
    storage: TenantClient
    channel: grpc.aio.Channel


@dataclass
class PlannerHarness:
    storage_server: StorageHarness
    planner_server: PrevisServer
    a: Tenant
    b: Tenant
    project: str

    @property
    def planner(self) -> planner_service_pb2_grpc.PlannerServiceStub:
        return self.a.planner

    @property
    def storage(self) -> TenantClient:
        return self.a.storage

    async def revision(self, name: str) -> storage_pb2.Revision:
        return await self.storage.storage.GetRevision(storage_rpc.GetRevisionRequest(name=name))

    async def revision_count(self, asset: str) -> int:
        return (await self.storage.storage.GetAsset(storage_rpc.GetAssetRequest(name=asset))).revision_count

    async def asset_count(self) -> int:
        response = await self.storage.storage.ListAssets(storage_rpc.ListAssetsRequest(parent=self.project, page_size=1000))
        return len(response.assets)

    async def create_script(self, content: str, title: str = "", **request) -> planner_pb2.Script:
        return await self.planner.CreateScript(
            pb.CreateScriptRequest(parent=self.project, script=planner_pb2.Script(title=title, content=content), **request)
        )

    async def plan_screenplay(self, script_revision: str, **request) -> planner_pb2.Plan:
        return await self.planner.GeneratePlan(
            pb.GeneratePlanRequest(parent=self.project, screenplay=planner_pb2.ScreenplayBrief(script_revision=script_revision), **request)
        )


def asset_of(revision: str) -> str:
    return revision.rsplit("/revisions/", 1)[0]


def number_of(revision: str) -> int:
    return int(revision.rsplit("/", 1)[-1])


def _tenant(address: str, tenant: str, principal: str, storage: TenantClient) -> Tenant:
    channel = StorageHarness.client(address, tenant, principal).channel
    return Tenant(planner_service_pb2_grpc.PlannerServiceStub(channel), storage, channel)


@contextlib.asynccontextmanager
async def planner_harness(data_dir: Path, **planner_settings) -> AsyncIterator[PlannerHarness]:
    storage = await StorageHarness.start(storage_settings(data_dir, None))
    planner = None
    tenants: list[Tenant] = []
    try:
        settings = PlannerSettings(
            storage_target=storage.address, port=0, metrics_port=-1, log_format="text", grace_period_seconds=0,
            **{"gemini_api_key": None, **planner_settings},
        )
        planner = await (await wire(settings)).start("planner", settings)
        address = f"127.0.0.1:{planner.port}"
        tenants = [_tenant(address, "tenant-a", "alice", storage.a), _tenant(address, "tenant-b", "bob", storage.b)]
        project = await storage.a.project("Mystery Short Film")
        yield PlannerHarness(storage, planner, tenants[0], tenants[1], project.name)
    finally:
        for tenant in tenants:
            await tenant.channel.close()
        if planner is not None:
            await planner.stop(0)
        await storage.stop()


async def rpc_error(call: Awaitable) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value
