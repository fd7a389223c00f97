"""API keys through a real gateway: from a keys file or settings, stored
hashed, bound to a tenant; bad, empty and revoked keys are UNAUTHENTICATED;
the keys file is re-read when it changes."""

import asyncio
import json

import grpc
import pytest

from gateway.api_keys import ApiKey, ApiKeyRegistry, ApiKeysFileError, hash_key, write_keys_file
from gateway.settings import ApiKeyEntry, GatewaySettings
from previs.storage.v1 import storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.errors import Unauthenticated
from tests.gateway.conftest import KEY_A, KEY_B, KEY_REVOKED, TOKEN, auth, start_gateway
from tests.status_details import reason_of


@pytest.mark.parametrize(
    "metadata, reason",
    [
        ((), "API_KEY_MISSING"),
        ((("authorization", ""),), "API_KEY_MISSING"),
        ((("authorization", "Bearer "),), "API_KEY_MALFORMED"),
        ((("authorization", "Bearer"),), "API_KEY_MALFORMED"),
        ((("authorization", "Basic abc"),), "API_KEY_MALFORMED"),
        (auth("pvk_wrong"), "API_KEY_INVALID"),
        (auth(KEY_REVOKED), "API_KEY_INVALID"),
    ],
)
async def test_bad_credentials_are_unauthenticated(stub, metadata, reason):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=metadata)
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED
    assert reason_of(caught.value) == reason


async def test_bad_credentials_are_refused_on_streams_too(stub):
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        async for _ in stub.DownloadBlob(pb.DownloadBlobRequest(length=2), metadata=auth("pvk_wrong")):
            pass
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_each_key_is_bound_to_its_tenant(stub):
    a = await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
    b = await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_B))
    assert (a.tenant, a.owner, b.tenant, b.owner) == ("tenant-a", "alice", "tenant-b", "bob")


def test_the_keys_file_holds_only_hashes(tmp_path):
    path = tmp_path / "keys.json"
    write_keys_file(path, [(ApiKey("a", "tenant-a", "alice"), KEY_A)])
    text = path.read_text()
    assert KEY_A not in text
    assert json.loads(text)["keys"][0]["sha256"] == hash_key(KEY_A)
    assert path.stat().st_mode & 0o077 == 0


async def test_keys_given_in_settings_work_without_a_file(upstream, tmp_path):
    entry = ApiKeyEntry(id="ci", tenant="tenant-ci", principal="robot", sha256=hash_key("pvk_from_settings"))
    running = await start_gateway(upstream.port, tmp_path, api_keys_file=None, api_keys=[entry])
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            project = await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth("pvk_from_settings"))
            with pytest.raises(grpc.aio.AioRpcError) as caught:
                await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
    finally:
        await running.stop(0)
    assert (project.tenant, project.owner) == ("tenant-ci", "robot")
    assert caught.value.code() == grpc.StatusCode.UNAUTHENTICATED


def test_keys_come_from_the_environment_as_json(monkeypatch):
    entries = [{"id": "env", "tenant": "t", "sha256": hash_key("pvk_env")}]
    monkeypatch.setenv("PREVIS_GATEWAY_API_KEYS", json.dumps(entries))
    monkeypatch.delenv("PREVIS_GATEWAY_API_KEYS_FILE", raising=False)
    settings = GatewaySettings(internal_token=TOKEN)
    registry = ApiKeyRegistry(settings.api_keys)
    assert registry.verify("Bearer pvk_env") == ApiKey("env", "t", "env")


def test_settings_refuse_plaintext_keys_and_auth_without_an_internal_token():
    with pytest.raises(ValueError, match="sha256"):
        GatewaySettings(internal_token=TOKEN, api_keys=[{"id": "x", "tenant": "t", "sha256": "pvk_plaintext"}])
    with pytest.raises(ValueError, match="internal_token"):
        GatewaySettings(api_keys=[{"id": "x", "tenant": "t", "sha256": hash_key("k")}])
    GatewaySettings(auth="disabled")  # no keys and no token needed when auth is off


def test_a_malformed_keys_file_stops_startup_with_its_name(tmp_path):
    path = tmp_path / "keys.json"
    path.write_text('{"keys": [{"id": "a"}]}')
    with pytest.raises(ApiKeysFileError, match="keys.json"):
        ApiKeyRegistry(keys_file=path)


async def test_revoking_a_key_in_the_file_applies_without_a_restart(upstream, tmp_path):
    running = await start_gateway(upstream.port, tmp_path, api_keys_reload_seconds=0.05)
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.port}") as channel:
            stub = pb_grpc.StorageServiceStub(channel)
            await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_B))
            write_keys_file(
                tmp_path / "keys.json",
                [(ApiKey("a", "tenant-a", "alice"), KEY_A), (ApiKey("b", "tenant-b", "bob", revoked=True), KEY_B)],
            )
            codes = []
            for _ in range(100):  # the file is looked at again after reload_seconds
                await asyncio.sleep(0.05)
                try:
                    await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_B))
                except grpc.aio.AioRpcError as error:
                    codes.append(error.code())
                    break
            # a broken edit keeps the keys last read
            (tmp_path / "keys.json").write_text("{not json")
            await asyncio.sleep(0.1)
            still = await stub.GetProject(pb.GetProjectRequest(name="projects/p"), metadata=auth(KEY_A))
    finally:
        await running.stop(0)
    assert codes == [grpc.StatusCode.UNAUTHENTICATED]
    assert still.tenant == "tenant-a"


def test_a_key_revoked_in_either_place_stays_revoked(tmp_path):
    path = tmp_path / "keys.json"
    write_keys_file(path, [(ApiKey("a", "tenant-a", "alice", revoked=True), KEY_A)])
    registry = ApiKeyRegistry([ApiKeyEntry(id="a", tenant="tenant-a", sha256=hash_key(KEY_A))], keys_file=path)
    with pytest.raises(Unauthenticated):
        registry.verify(f"Bearer {KEY_A}")
