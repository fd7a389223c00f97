"""Starts a previs ``grpc.aio`` server: servicers behind the call wrapper,
standard health (per-service status), server reflection, deliberate limits,
and a graceful stop on SIGTERM/SIGINT (NOT_SERVING first, then a grace period
for in-flight calls)."""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from typing import Awaitable, Callable, Sequence

import grpc
from grpc_health.v1 import _async as health_async
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from services.runtime.call_wrapper import ServerCallInterceptor
from services.runtime.internal_auth import InternalAuth
from services.runtime.metrics import serve_metrics
from services.runtime.reflection_pool import MethodAwarePool
from services.runtime.settings import ServiceSettings

_LOGGER = logging.getLogger(__name__)

HEALTH_SERVICE = "grpc.health.v1.Health"

# Keepalive is configured together with channels.CLIENT_KEEPALIVE_OPTIONS so
# that 400-second progress streams survive idle proxies without the server
# answering GOAWAY too_many_pings.
SERVER_KEEPALIVE_OPTIONS = (
    ("grpc.keepalive_time_ms", 60_000),
    ("grpc.keepalive_timeout_ms", 20_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.min_ping_interval_without_data_ms", 10_000),
    ("grpc.http2.max_ping_strikes", 0),
)


def server_options(settings: ServiceSettings) -> list[tuple[str, int]]:
    return [
        ("grpc.max_receive_message_length", settings.max_receive_message_bytes),
        ("grpc.max_send_message_length", settings.max_send_message_bytes),
        ("grpc.max_concurrent_streams", settings.max_concurrent_streams),
        # More than ~1,000 calls opened at once fail with CANCELLED at the
        # defaults (see shared/FACTS.md); watchers open thousands of streams.
        ("grpc.server.max_pending_requests", 20_000),
        ("grpc.server.max_pending_requests_hard_limit", 40_000),
        ("grpc.so_reuseport", 0),
        *SERVER_KEEPALIVE_OPTIONS,
    ]


@dataclass(frozen=True)
class ServiceRegistration:
    """One gRPC service of a process: its full name (for health and
    reflection) and the generated ``add_*_to_server`` bound to a servicer."""

    full_name: str
    add_to_server: Callable[[grpc.aio.Server], None]


@dataclass
class PrevisServer:
    """A started server; ``port`` is the bound port."""

    label: str
    server: grpc.aio.Server
    health: health_async.HealthServicer
    service_names: Sequence[str]
    port: int
    metrics_port: int | None
    grace_period_seconds: float
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    stopping: bool = False

    async def stop(self, grace: float | None = None) -> None:
        """NOT_SERVING for every service, then stop with a grace period, then
        run ``on_stop`` callbacks (closing databases, channels)."""
        if self.stopping:
            return
        self.stopping = True
        for name in (*self.service_names, ""):
            await self.health.set(name, health_pb2.HealthCheckResponse.NOT_SERVING)
        await self.health.enter_graceful_shutdown()
        await self.server.stop(self.grace_period_seconds if grace is None else grace)
        for callback in self.on_stop:
            await callback()
        _LOGGER.info("%s stopped", self.label)


async def start_server(
    label: str,
    settings: ServiceSettings,
    registrations: Sequence[ServiceRegistration],
    *,
    interceptors: Sequence[grpc.aio.ServerInterceptor] | None = None,
    generic_handlers: Sequence[grpc.GenericRpcHandler] = (),
    reflection_names: Sequence[str] | None = None,
    reflection_pool=None,
) -> PrevisServer:
    """Builds and starts a server. Services are SERVING once it returns."""
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    if interceptors is None:
        interceptors = [ServerCallInterceptor(label, InternalAuth(token))]
    server = grpc.aio.server(interceptors=list(interceptors), options=server_options(settings))
    health = health_async.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health, server)
    for registration in registrations:
        registration.add_to_server(server)
    if generic_handlers:
        server.add_generic_rpc_handlers(list(generic_handlers))
    names = [r.full_name for r in registrations]
    exposed = list(reflection_names if reflection_names is not None else names)
    reflection.enable_server_reflection(
        [*exposed, HEALTH_SERVICE, reflection.SERVICE_NAME], server, pool=reflection_pool or MethodAwarePool()
    )
    port = server.add_insecure_port(f"{settings.host}:{settings.port}")
    if port == 0:
        raise OSError(f"{label}: cannot bind {settings.host}:{settings.port}")
    await server.start()
    for name in (*exposed, ""):
        await health.set(name, health_pb2.HealthCheckResponse.SERVING)
    metrics_port = serve_metrics(settings.metrics_host, settings.metrics_port)
    _LOGGER.info("%s serving on %s:%d", label, settings.host, port)
    return PrevisServer(label, server, health, exposed, port, metrics_port, settings.grace_period_seconds)


async def run_until_signalled(running: PrevisServer, ready: Callable[[PrevisServer], None] | None = None) -> None:
    """Serves until SIGTERM or SIGINT, then stops gracefully."""
    loop = asyncio.get_running_loop()
    stop_requested = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop_requested.set)
    if ready is not None:
        ready(running)
    await stop_requested.wait()
    _LOGGER.info("%s: stop requested, grace %.1fs", running.label, running.grace_period_seconds)
    await running.stop()
