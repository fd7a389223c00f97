"""PlannerStore's decoded-revision cache: per tenant, one read for
concurrent misses, never for ``latest``."""

from __future__ import annotations

import asyncio

import pytest

from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.planner.plan_protos import to_message
from services.planner.planner_store import PlannerStore
from services.runtime.errors import FailedPrecondition
from services.runtime.request_context import CallIdentity, identity_var
from services.storage.storage_client import StorageClient

NAME = "projects/p/assets/plan/revisions/1"


class CountingStorage:
    """Answers GetRevision with one plan revision, slowly, and counts."""

    def __init__(self, payload) -> None:
        self.reads: list[str] = []
        self.payload_message = payload

    async def get_revision(self, name: str) -> storage_pb2.Revision:
        self.reads.append(name)
        await asyncio.sleep(0.05)
        revision = storage_pb2.Revision(name=NAME)
        revision.payload.Pack(self.payload_message)
        return revision

    payload = staticmethod(StorageClient.payload)


def as_tenant(tenant: str):
    return identity_var.set(CallIdentity(principal="p", tenant=tenant))


async def test_concurrent_misses_share_one_read_and_tenants_do_not_share(seed_plan):
    storage = CountingStorage(to_message(seed_plan, planner_pb2.Plan, exclude={"revision"}))
    store = PlannerStore(storage)  # type: ignore[arg-type]
    token = as_tenant("a")
    try:
        plans = await asyncio.gather(*(store.read_plan(NAME, "plan_revision") for _ in range(20)))
        assert storage.reads == [NAME] and all(p is plans[0] for p in plans)
        assert plans[0].revision == NAME and plans[0].characters == seed_plan.characters
        assert await store.read_plan(NAME, "plan_revision") is plans[0] and len(storage.reads) == 1
        await store.read_plan("projects/p/assets/plan/revisions/latest", "plan_revision")
        assert len(storage.reads) == 2
    finally:
        identity_var.reset(token)
    token = as_tenant("b")
    try:
        await store.read_plan(NAME, "plan_revision")
        assert len(storage.reads) == 3
    finally:
        identity_var.reset(token)


async def test_a_payload_the_planner_cannot_use_is_a_failed_precondition():
    broken = planner_pb2.Plan(characters=[planner_pb2.Character(id="hero", name="x")])
    store = PlannerStore(CountingStorage(broken))  # type: ignore[arg-type]
    with pytest.raises(FailedPrecondition) as caught:
        await store.read_plan(NAME, "name")
    assert caught.value.reason == "INVALID_STORED_PAYLOAD" and "characters.0.id" in caught.value.message
