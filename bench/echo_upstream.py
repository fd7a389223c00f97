"""A minimal upstream for gateway benchmarks: StorageService.GetProject echoes
a small project; CreateRevision answers at once (the gRPC ceiling of a write); DownloadBlob streams ``length`` bytes from memory in 1 MiB
chunks. Run as a process: ``python bench/echo_upstream.py PORT_FILE``."""

from __future__ import annotations

import asyncio
import sys

from previs.storage.v1 import storage_pb2, storage_service_pb2 as pb, storage_service_pb2_grpc as pb_grpc
from services.runtime.server import ServiceRegistration, run_until_signalled, start_server
from services.runtime.service_main import write_ready_file
from services.runtime.settings import ServiceSettings

CHUNK = b"\x5a" * (1024 * 1024)


class EchoStorage(pb_grpc.StorageServiceServicer):
    async def GetProject(self, request, context):
        return storage_pb2.Project(name=request.name, title="benchmark project", owner="bench")

    async def CreateRevision(self, request, context):
        return storage_pb2.Revision(name=f"{request.parent}/revisions/1", payload=request.revision.payload)

    async def DownloadBlob(self, request, context):
        remaining = request.length
        while remaining > 0:
            size = min(remaining, len(CHUNK))
            yield pb.DownloadBlobResponse(data=CHUNK[:size])
            remaining -= size


async def main(ready_file: str, token: str) -> None:
    running = await start_server(
        "bench-upstream",
        ServiceSettings(internal_token=token or None, log_level="WARNING"),
        [ServiceRegistration("previs.storage.v1.StorageService", lambda s: pb_grpc.add_StorageServiceServicer_to_server(EchoStorage(), s))],
    )
    await run_until_signalled(running, lambda r: write_ready_file(ready_file, r))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else ""))
