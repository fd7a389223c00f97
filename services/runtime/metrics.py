"""Prometheus metrics per service: request counts, latencies and in-flight
calls by method and code, served on the service's metrics port."""

from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

_LOGGER = logging.getLogger(__name__)

REQUESTS = Counter(
    "previs_grpc_requests_total",
    "gRPC calls handled, by service process, method and status code.",
    ["server", "method", "code"],
)
LATENCY = Histogram(
    "previs_grpc_request_seconds",
    "Time from a call's start to its end (for streams: the whole stream).",
    ["server", "method"],
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120, 600),
)
IN_FLIGHT = Gauge("previs_grpc_in_flight", "gRPC calls in progress.", ["server", "method"])


def serve_metrics(host: str, port: int) -> int | None:
    """Starts the metrics HTTP endpoint; returns the bound port, or ``None``
    when ``port`` is negative (metrics endpoint disabled)."""
    if port < 0:
        return None
    server, _thread = start_http_server(port, addr=host)
    bound = server.server_address[1]
    _LOGGER.info("metrics on http://%s:%d/metrics", host, bound)
    return bound
