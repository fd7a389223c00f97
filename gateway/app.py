"""Wires the gateway: one channel per upstream, the route table, the byte
proxy, admission (API keys, limits) and the upstream health mirror."""

from __future__ import annotations

import grpc

from gateway.admission import Admission
from gateway.api_keys import ApiKeyRegistry
from gateway.proxy import GatewayProxy
from gateway.rate_limits import RateLimiter
from gateway.routes import MEDIA_SERVICE, PLANNER_SERVICE, PUBLIC_SERVICES, STORAGE_SERVICE, build_routes
from gateway.settings import GatewaySettings
from gateway.upstream_health import UpstreamHealthMirror
from services.runtime.channels import channel_options
from services.runtime.service_main import Dependencies


class UpstreamChannels:
    """One shared channel per upstream target (HTTP/2 multiplexes calls)."""

    def __init__(self, max_message_bytes: int) -> None:
        self._max_message_bytes = max_message_bytes
        self._channels: dict[str, grpc.aio.Channel] = {}

    def __call__(self, target: str) -> grpc.aio.Channel:
        channel = self._channels.get(target)
        if channel is None:
            # No transparent retries here: core's retry filter buffers every
            # message for a possible replay, which cost ~0.2 ms per call in
            # bench/gateway_overhead.py. Clients retry with their request_id.
            channel = grpc.aio.insecure_channel(target, options=channel_options(self._max_message_bytes, retries=False))
            self._channels[target] = channel
        return channel

    async def close(self) -> None:
        for channel in self._channels.values():
            await channel.close()


def upstream_targets(settings: GatewaySettings) -> dict[str, str]:
    return {
        STORAGE_SERVICE: settings.storage_target,
        PLANNER_SERVICE: settings.planner_target,
        MEDIA_SERVICE: settings.media_target,
    }


async def wire(settings: GatewaySettings) -> Dependencies:
    upstreams = upstream_targets(settings)
    routes = build_routes(upstreams, PUBLIC_SERVICES)
    exposed = sorted({route.service for route in routes.values()})
    channels = UpstreamChannels(max(settings.max_receive_message_bytes, settings.max_send_message_bytes))
    keys = ApiKeyRegistry.from_file(settings.api_keys_file) if settings.auth == "api_keys" else None
    limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst, settings.max_streams_per_key)
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    proxy = GatewayProxy(routes, channels, Admission(keys, limiter, token))
    health = UpstreamHealthMirror(
        {name: upstreams[name] for name in exposed}, channels, settings.upstream_health_interval_seconds
    )
    return Dependencies(
        [],
        [health.stop, channels.close],
        generic_handlers=[proxy],
        reflection_names=exposed,
        interceptors=[],
        after_start=[health.start],
    )
