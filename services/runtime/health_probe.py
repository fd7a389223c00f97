"""``python -m services.runtime.health_probe HOST:PORT [SERVICE]``: exits 0 when
the standard gRPC health check answers SERVING (used by container health
checks, since no probe binary can be downloaded here)."""

from __future__ import annotations

import sys

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def probe(address: str, service: str = "", timeout: float = 3.0) -> bool:
    with grpc.insecure_channel(address) as channel:
        try:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=service), timeout=timeout
            )
        except grpc.RpcError:
            return False
    return reply.status == health_pb2.HealthCheckResponse.SERVING


def main(argv: list[str]) -> int:
    if len(argv) not in (1, 2):
        sys.stderr.write("usage: python -m services.runtime.health_probe HOST:PORT [SERVICE]\n")
        return 2
    return 0 if probe(*argv) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
