"""A storage server for tests, clients acting as a tenant, and helpers."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable

import grpc
import pytest
from google.protobuf import any_pb2, struct_pb2

from previs.storage.v1 import (
    storage_admin_service_pb2_grpc as admin_grpc,
    storage_pb2,
    storage_service_pb2 as pb,
    storage_service_pb2_grpc as pb_grpc,
)
from services.runtime.request_context import PRINCIPAL_KEY, TENANT_KEY
from services.runtime.server import PrevisServer
from services.storage.app import StorageParts, build, dependencies
from services.storage.settings import StorageSettings

MiB = 1024 * 1024
# The SQLite backends the tests run on, by the driver their URL names:
# "sqlite" is the default (aiosqlite), "sqlite3" the standard driver on a
# thread (a plain sqlite:// URL).
SQLITE_DRIVERS = {"sqlite": "aiosqlite", "sqlite3": "pysqlite"}


def storage_settings(data_dir: Path, database_url: str | None, **overrides) -> StorageSettings:
    values = {
        "data_dir": data_dir,
        "database_url": database_url,
        "port": 0,
        "metrics_port": -1,
        "log_format": "text",
        "grace_period_seconds": 0,
        **overrides,
    }
    return StorageSettings(**values)


class _Identity:
    """Adds the tenant and principal metadata, as the gateway does."""

    def __init__(self, tenant: str, principal: str) -> None:
        self._metadata = ((TENANT_KEY, tenant), (PRINCIPAL_KEY, principal))

    def _details(self, details):
        return grpc.aio.ClientCallDetails(
            details.method,
            details.timeout,
            tuple(details.metadata or ()) + self._metadata,
            details.credentials,
            details.wait_for_ready,
        )


class _UnaryUnary(_Identity, grpc.aio.UnaryUnaryClientInterceptor):
    async def intercept_unary_unary(self, continuation, details, request):
        return await continuation(self._details(details), request)


class _UnaryStream(_Identity, grpc.aio.UnaryStreamClientInterceptor):
    async def intercept_unary_stream(self, continuation, details, request):
        return await continuation(self._details(details), request)


class _StreamUnary(_Identity, grpc.aio.StreamUnaryClientInterceptor):
    async def intercept_stream_unary(self, continuation, details, request_iterator):
        return await continuation(self._details(details), request_iterator)


@dataclass
class TenantClient:
    tenant: str
    channel: grpc.aio.Channel
    storage: pb_grpc.StorageServiceStub
    admin: admin_grpc.StorageAdminServiceStub

    async def project(self, title: str = "Test project", **fields) -> storage_pb2.Project:
        return await self.storage.CreateProject(pb.CreateProjectRequest(project=storage_pb2.Project(title=title, **fields)))

    async def asset(self, project: str, kind: int = storage_pb2.ASSET_KIND_PLAN, asset_id: str = "", **fields) -> storage_pb2.Asset:
        return await self.storage.CreateAsset(
            pb.CreateAssetRequest(parent=project, asset=storage_pb2.Asset(kind=kind, **fields), asset_id=asset_id)
        )

    async def revision(self, asset: str, text: str = "", **kwargs) -> storage_pb2.Revision:
        request_fields = {k: kwargs.pop(k) for k in ("request_id", "expected_revision_count", "expected_etag") if k in kwargs}
        revision = storage_pb2.Revision(payload=payload_of(text), **kwargs)
        return await self.storage.CreateRevision(pb.CreateRevisionRequest(parent=asset, revision=revision, **request_fields))

    async def upload(self, project: str, data: bytes, media_type: str = "application/octet-stream", **header) -> storage_pb2.Blob:
        return await self.storage.UploadBlob(upload_requests(project, data, media_type, **header))

    async def download(self, name: str, **request) -> tuple[storage_pb2.Blob | None, bytes]:
        blob, parts = None, []
        async for message in self.storage.DownloadBlob(pb.DownloadBlobRequest(name=name, **request)):
            if message.HasField("blob"):
                blob = message.blob
            parts.append(message.data)
        return blob, b"".join(parts)


def payload_of(text: str) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(struct_pb2.Value(string_value=text))
    return packed


def text_of(revision: storage_pb2.Revision) -> str:
    value = struct_pb2.Value()
    assert revision.payload.Unpack(value)
    return value.string_value


async def upload_requests(project: str, data: bytes, media_type: str, *, chunk: int = MiB, **header):
    yield pb.UploadBlobRequest(header=pb.UploadBlobHeader(parent=project, media_type=media_type, **header))
    for start in range(0, len(data), chunk):
        yield pb.UploadBlobRequest(chunk=data[start : start + chunk])


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


async def rpc_error(call: Awaitable) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value


@dataclass
class StorageHarness:
    settings: StorageSettings
    parts: StorageParts
    server: PrevisServer
    a: TenantClient
    b: TenantClient

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.port}"

    @classmethod
    async def start(cls, settings: StorageSettings) -> "StorageHarness":
        parts = await build(settings)
        server = await dependencies(parts).start("storage", settings)
        address = f"127.0.0.1:{server.port}"
        return cls(settings, parts, server, cls.client(address, "tenant-a", "alice"), cls.client(address, "tenant-b", "bob"))

    @staticmethod
    def client(address: str, tenant: str, principal: str) -> TenantClient:
        interceptors = [cls(tenant, principal) for cls in (_UnaryUnary, _UnaryStream, _StreamUnary)]
        channel = grpc.aio.insecure_channel(address, interceptors=interceptors)
        return TenantClient(tenant, channel, pb_grpc.StorageServiceStub(channel), admin_grpc.StorageAdminServiceStub(channel))

    async def stop(self) -> None:
        await self.a.channel.close()
        await self.b.channel.close()
        await self.server.stop(0)
