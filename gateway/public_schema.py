"""The schema the gateway shows through reflection: the files of the exposed
services and what they import, health and reflection themselves, and the
``google.rpc`` error details its errors carry (so grpcurl decodes them).

The process's default descriptor pool can hold more (internal-only services
such as ``previs.storage.v1.StorageAdminService`` when they are imported in
the same process); reflecting from it would let ``grpcurl describe`` show
services the gateway does not serve.
"""

from __future__ import annotations

from typing import Iterable

from google.protobuf import descriptor_pb2, descriptor_pool
from google.rpc import error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection_pb2

from services.runtime.reflection_pool import MethodAwarePool


def public_pool(service_names: Iterable[str]) -> MethodAwarePool:
    """A pool with only the files the given services, health, reflection
    and error details need."""
    source = descriptor_pool.Default()
    pool = descriptor_pool.DescriptorPool()
    added: set[str] = set()

    def add(file) -> None:
        if file.name in added:
            return
        for dependency in file.dependencies:
            add(dependency)
        proto = descriptor_pb2.FileDescriptorProto()
        file.CopyToProto(proto)
        pool.AddSerializedFile(proto.SerializeToString())
        added.add(file.name)

    for name in service_names:
        add(source.FindServiceByName(name).file)
    for module in (health_pb2, reflection_pb2, status_pb2, error_details_pb2):
        add(module.DESCRIPTOR)
    return MethodAwarePool(pool)
