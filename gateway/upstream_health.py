"""Mirrors the health of the upstream services into the gateway's own health
service, so a client's health check through the gateway tells the truth."""

from __future__ import annotations

import asyncio
import logging
from typing import Callable, Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.runtime.server import PrevisServer

_LOGGER = logging.getLogger(__name__)

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


async def _check(stub: health_pb2_grpc.HealthStub, service: str, timeout: float) -> int:
    try:
        reply = await stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        return reply.status
    except grpc.aio.AioRpcError:
        return NOT_SERVING


class UpstreamHealthMirror:
    """Polls each upstream's health for the services it serves."""

    def __init__(
        self,
        upstream_of: Mapping[str, str],
        channel_for: Callable[[str], grpc.aio.Channel],
        interval_seconds: float,
    ) -> None:
        self._upstream_of = dict(upstream_of)
        self._stubs = {target: health_pb2_grpc.HealthStub(channel_for(target)) for target in set(upstream_of.values())}
        self._interval = interval_seconds
        self._task: asyncio.Task | None = None
        self._server: PrevisServer | None = None

    async def refresh(self) -> None:
        if self._server is None or self._server.stopping:
            return
        statuses = await asyncio.gather(
            *(_check(self._stubs[t], s, self._interval) for s, t in self._upstream_of.items())
        )
        for service, status in zip(self._upstream_of, statuses):
            await self._server.health.set(service, status)
        overall = SERVING if all(s == SERVING for s in statuses) else NOT_SERVING
        await self._server.health.set("", overall)

    async def start(self, server: PrevisServer) -> None:
        self._server = server
        await self.refresh()
        self._task = asyncio.create_task(self._loop(), name="upstream-health")

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self._interval)
            try:
                await self.refresh()
            except Exception:  # keep polling; a failed round is logged, not fatal
                _LOGGER.exception("upstream health round failed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
