"""The gateway's route table: which services it exposes and where each lives.

Routes are derived from service descriptors (method names and whether each
side streams), never from message types: the gateway forwards bytes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Iterable, Mapping

from google.protobuf import descriptor_pool

# Modules whose import registers the public service descriptors in the default
# pool (for routing by cardinality and for reflection). Internal-only services
# are not imported here: the gateway never needs their schema.
SERVICE_MODULES = (
    "previs.storage.v1.storage_service_pb2",
    "previs.planner.v1.planner_service_pb2",
    "previs.media.v1.media_service_pb2",
)

STORAGE_SERVICE = "previs.storage.v1.StorageService"
PLANNER_SERVICE = "previs.planner.v1.PlannerService"
MEDIA_SERVICE = "previs.media.v1.MediaService"
# Internal-only services (spend accounting, garbage collection) stay behind
# the gateway: they are not in the allow-list.
PUBLIC_SERVICES = (STORAGE_SERVICE, PLANNER_SERVICE, MEDIA_SERVICE)


@dataclass(frozen=True)
class MethodRoute:
    """Where one method goes and how it streams."""

    method: str  # "/package.Service/Method"
    service: str
    upstream: str
    client_streaming: bool
    server_streaming: bool


def load_service_descriptors() -> None:
    for module in SERVICE_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError:
            continue


def build_routes(upstreams: Mapping[str, str], exposed: Iterable[str]) -> dict[str, MethodRoute]:
    """Routes for every method of every exposed service that has an upstream."""
    load_service_descriptors()
    pool = descriptor_pool.Default()
    routes: dict[str, MethodRoute] = {}
    for service_name in exposed:
        upstream = upstreams.get(service_name)
        if not upstream:
            continue
        service = pool.FindServiceByName(service_name)
        for method in service.methods:
            path = f"/{service.full_name}/{method.name}"
            routes[path] = MethodRoute(path, service.full_name, upstream, method.client_streaming, method.server_streaming)
    return routes
