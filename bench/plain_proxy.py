"""The raw ceiling of a Python gRPC proxy, for bench/gateway_overhead.py: a
bare ``grpc.aio`` pass-through of StorageService's GetProject (unary) and
DownloadBlob (server streaming) as bytes, adding only the internal token and
the remaining deadline. No authentication, limits, metrics, request ids or
error mapping: what any Python proxy pays before it does anything of its own.

Run as a process: ``python bench/plain_proxy.py UPSTREAM TOKEN READY_FILE``.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

import grpc
from grpc_health.v1 import _async as health_aio, health_pb2, health_pb2_grpc

SERVICE = "previs.storage.v1.StorageService"


async def main(upstream: str, token: str, ready_file: str) -> None:
    channel = grpc.aio.insecure_channel(upstream, options=[("grpc.max_receive_message_length", 8 << 20)])
    metadata = (("x-previs-internal-token", token),)
    get_project = channel.unary_unary(f"/{SERVICE}/GetProject")
    download_blob = channel.unary_stream(f"/{SERVICE}/DownloadBlob")

    async def forward_unary(request: bytes, context: grpc.aio.ServicerContext) -> bytes:
        return await get_project(request, metadata=metadata, timeout=context.time_remaining())

    async def forward_stream(request: bytes, context: grpc.aio.ServicerContext):
        async for response in download_blob(request, metadata=metadata, timeout=context.time_remaining()):
            yield response

    handlers = grpc.method_handlers_generic_handler(
        SERVICE,
        {
            "GetProject": grpc.unary_unary_rpc_method_handler(forward_unary),
            "DownloadBlob": grpc.unary_stream_rpc_method_handler(forward_stream),
        },
    )
    server = grpc.aio.server(options=[("grpc.max_receive_message_length", 8 << 20)])
    server.add_generic_rpc_handlers((handlers,))
    health = health_aio.HealthServicer()
    await health.set(SERVICE, health_pb2.HealthCheckResponse.SERVING)
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    partial = f"{ready_file}.partial"
    with open(partial, "w", encoding="utf-8") as out:
        json.dump({"port": port}, out)
    os.replace(partial, ready_file)
    await server.wait_for_termination()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
