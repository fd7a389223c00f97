"""Wires the gateway: one channel per upstream, the route table, the byte
proxy, admission (API keys, limits) and the upstream health mirror."""

from __future__ import annotations

import grpc

from gateway.admission import Admission
from gateway.api_keys import ApiKeyRegistry
from gateway.proxy import GatewayProxy
from gateway.public_schema import public_pool
from gateway.call_slots import CallSlots
from gateway.rate_limits import RateLimiter
from gateway.routes import MEDIA_SERVICE, PLANNER_SERVICE, PUBLIC_SERVICES, STORAGE_SERVICE, build_routes
from gateway.settings import GatewaySettings
from gateway.upstream_health import UpstreamHealthMirror
from services.runtime.channels import channel_options
from services.runtime.service_main import Dependencies


def upstream_channel_options(max_message_bytes: int, reconnect_max_seconds: float) -> list[tuple[str, object]]:
    """Options of the gateway's channels to its upstreams.

    No transparent retries: core's retry filter buffers every message for a
    possible replay, which cost ~0.2 ms per call in bench/gateway_overhead.py;
    clients retry with their request_id. Reconnect backoff is bounded, so the
    gateway serves again within about ``reconnect_max_seconds`` of an upstream
    coming back (the default backoff grows to 120 s), and a connect attempt to
    an unresponsive host gives up after a few seconds instead of 20 s.
    """
    reconnect_max_ms = int(reconnect_max_seconds * 1000)
    return [
        *channel_options(max_message_bytes, retries=False),
        ("grpc.initial_reconnect_backoff_ms", min(100, reconnect_max_ms)),
        ("grpc.max_reconnect_backoff_ms", reconnect_max_ms),
        ("grpc.min_reconnect_backoff_ms", max(2000, reconnect_max_ms)),
    ]


class UpstreamChannels:
    """One shared channel per upstream target (HTTP/2 multiplexes calls).

    A pool of two channels per upstream (separate connections, calls handed
    out in turn) measured worse in bench/gateway_overhead.py at 64 calls in
    flight (0.45x and 0.39x of direct against 0.56x and 0.51x with one
    channel, same runs) and cost more CPU per call."""

    def __init__(self, options: list[tuple[str, object]]) -> None:
        self._options = options
        self._channels: dict[str, grpc.aio.Channel] = {}

    def __call__(self, target: str) -> grpc.aio.Channel:
        channel = self._channels.get(target)
        if channel is None:
            channel = grpc.aio.insecure_channel(target, options=self._options)
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
    channels = UpstreamChannels(
        upstream_channel_options(
            max(settings.max_receive_message_bytes, settings.max_send_message_bytes),
            settings.upstream_reconnect_max_seconds,
        )
    )
    keys = None
    if settings.auth == "api_keys":
        keys = ApiKeyRegistry(settings.api_keys, settings.api_keys_file, settings.api_keys_reload_seconds)
    limiter = RateLimiter(
        settings.rate_limit_per_second,
        settings.rate_limit_burst,
        settings.max_streams_per_key,
        settings.rate_limit_max_wait_seconds,
    )
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    slots = CallSlots(settings.max_unary_in_flight_per_key, settings.rate_limit_max_wait_seconds)
    proxy = GatewayProxy(
        routes, channels, Admission(keys, limiter, token, slots), default_unary_timeout=settings.default_unary_timeout_seconds
    )
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
        reflection_pool=public_pool(exposed),
    )
