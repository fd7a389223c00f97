"""The shared ``python -m services.<name>`` entry: settings → dependencies →
serve until SIGTERM/SIGINT → graceful stop (exit status 0)."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from pathlib import Path
from typing import Awaitable, Callable, Sequence, TypeVar

import grpc

from services.runtime.allocator import keep_large_buffers_in_the_heap
from services.runtime.collector import freeze_startup_objects
from services.runtime.logging_setup import configure_logging
from services.runtime.server import PrevisServer, ServiceRegistration, run_until_signalled, start_server
from services.runtime.settings import ServiceSettings, load_settings

_LOGGER = logging.getLogger(__name__)

SettingsT = TypeVar("SettingsT", bound=ServiceSettings)

READY_FILE_ENV = "PREVIS_READY_FILE"


class Dependencies:
    """What a service's wiring returns: its registrations and how to close
    what it opened (database engines, channels, background tasks)."""

    def __init__(
        self,
        registrations: Sequence[ServiceRegistration],
        closers: Sequence[Callable[[], Awaitable[None]]] = (),
        *,
        generic_handlers: Sequence[grpc.GenericRpcHandler] = (),
        reflection_names: Sequence[str] | None = None,
        interceptors: Sequence[grpc.aio.ServerInterceptor] | None = None,
        after_start: Sequence[Callable[[PrevisServer], Awaitable[None]]] = (),
        reflection_pool=None,
    ) -> None:
        self.registrations = list(registrations)
        self.closers = list(closers)
        self.generic_handlers = list(generic_handlers)
        self.reflection_names = reflection_names
        self.interceptors = interceptors
        self.after_start = list(after_start)
        self.reflection_pool = reflection_pool

    async def start(self, label: str, settings: ServiceSettings) -> PrevisServer:
        """Starts the server for these dependencies and runs ``after_start``."""
        running = await start_server(
            label,
            settings,
            self.registrations,
            interceptors=self.interceptors,
            generic_handlers=self.generic_handlers,
            reflection_names=self.reflection_names,
            reflection_pool=self.reflection_pool,
        )
        running.on_stop.extend(self.closers)
        for hook in self.after_start:
            await hook(running)
        return running


def write_ready_file(path: str, running: PrevisServer) -> None:
    """Writes ``{"port", "metrics_port", "pid"}`` atomically, so a parent that
    started the process with port 0 learns where it listens."""
    target = Path(path)
    temp = target.with_suffix(".tmp")
    temp.write_text(json.dumps({"port": running.port, "metrics_port": running.metrics_port, "pid": os.getpid()}))
    temp.replace(target)


async def serve_service(label: str, settings: ServiceSettings, wire: Callable[..., Awaitable[Dependencies]]) -> None:
    dependencies = await wire(settings)
    running = await dependencies.start(label, settings)
    freeze_startup_objects()
    ready_file = os.environ.get(READY_FILE_ENV)
    await run_until_signalled(running, (lambda r: write_ready_file(ready_file, r)) if ready_file else None)


def run_service(label: str, settings_cls: type[SettingsT], wire: Callable[[SettingsT], Awaitable[Dependencies]]) -> None:
    settings = load_settings(settings_cls)
    configure_logging(label, settings.log_level, settings.log_format)
    keep_large_buffers_in_the_heap()
    asyncio.run(serve_service(label, settings, wire))
