"""A client-streaming call that the server ends early keeps the server's
status: through the gateway (which forwards the stream over grpc.aio) and in
an aio client that uses StatusWitness (grpc/grpc#36066)."""

import asyncio
import collections

import grpc

from previs.storage.v1 import storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.stream_status import StatusWitness, is_local_write_failure
from tests.suite import TENANT_A_KEY, in_process_suite

CHUNK = pb.UploadBlobRequest(chunk=b"x" * 65536)


async def _upload_without_header(stub) -> tuple[str, str]:
    """30 chunks and no header: storage refuses at the first message, while
    the client (and the gateway) still have writes in flight."""

    async def parts():
        for _ in range(30):
            yield CHUNK

    call = stub.UploadBlob(parts(), metadata=(("authorization", f"Bearer {TENANT_A_KEY}"),), timeout=30)
    witness = StatusWitness(call)
    try:
        await call
    except grpc.aio.AioRpcError as error:
        real = witness.server_error(error)
        return real.code().name, real.details()
    return "OK", ""


async def test_an_upload_refused_early_answers_the_servers_status_through_the_gateway(tmp_path, monkeypatch):
    monkeypatch.setenv("PREVIS_GATEWAY_RATE_LIMIT_PER_SECOND", "0")
    async with in_process_suite(tmp_path) as suite:
        async with grpc.aio.insecure_channel(suite.address("gateway")) as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            answers = await asyncio.gather(*(_upload_without_header(stub) for _ in range(300)))
    counted = collections.Counter(code for code, _ in answers)
    assert counted == {"INVALID_ARGUMENT": 300}, counted


def test_only_the_local_write_failure_is_replaced():
    local = grpc.aio.AioRpcError(grpc.StatusCode.INTERNAL, None, None, details="Internal error from Core")
    real = grpc.aio.AioRpcError(grpc.StatusCode.INTERNAL, None, None, details="internal error; quote request id x")
    assert is_local_write_failure(local)
    assert not is_local_write_failure(real)
