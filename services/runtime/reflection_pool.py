"""A descriptor pool view for server reflection that also resolves method
symbols (``pkg.Service.Method``), which the Python pool does not, so
``grpcurl describe pkg.Service.Method`` works as it does against servers in
other languages."""

from __future__ import annotations

from google.protobuf import descriptor_pool


class MethodAwarePool:
    """Delegates to a real pool; falls back from a method to its service."""

    def __init__(self, pool: descriptor_pool.DescriptorPool | None = None) -> None:
        self._pool = pool or descriptor_pool.Default()

    def FindFileContainingSymbol(self, symbol: str):  # noqa: N802 (pool API name)
        try:
            return self._pool.FindFileContainingSymbol(symbol)
        except KeyError:
            service_name, _, method = symbol.rpartition(".")
            if not service_name:
                raise
            service = self._pool.FindServiceByName(service_name)
            if method not in service.methods_by_name:
                raise
            return service.file

    def __getattr__(self, name: str):
        return getattr(self._pool, name)
