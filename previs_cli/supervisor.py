"""Runs previs processes as children: starts each with a ready file, waits
until its health check is SERVING, and stops them all (SIGTERM, in reverse
order, then SIGKILL after a grace period)."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

_LOGGER = logging.getLogger(__name__)

READY_FILE_ENV = "PREVIS_READY_FILE"


class StartupError(RuntimeError):
    """A child did not become healthy; the message includes its log tail."""


@dataclass
class Child:
    """One running previs process."""

    name: str
    process: subprocess.Popen
    log_path: Path
    port: int = 0
    metrics_port: int | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


@dataclass
class Supervisor:
    """Starts children in order and stops them in reverse order."""

    run_dir: Path
    children: list[Child] = field(default_factory=list)

    def start(self, name: str, module: str, env: Mapping[str, str], timeout: float = 60.0) -> Child:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        ready_file = self.run_dir / f"{name}.ready.json"
        ready_file.unlink(missing_ok=True)
        log_path = self.run_dir / f"{name}.log"
        child_env = {**os.environ, **env, READY_FILE_ENV: str(ready_file)}
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", module], env=child_env, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
            )
        child = Child(name, process, log_path)
        self.children.append(child)
        self._wait_ready(child, ready_file, timeout)
        return child

    def _wait_ready(self, child: Child, ready_file: Path, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not ready_file.exists():
            if child.process.poll() is not None:
                raise StartupError(f"{child.name} exited with status {child.process.returncode}:\n{child.log_tail()}")
            if time.monotonic() > deadline:
                raise StartupError(f"{child.name} did not start within {timeout:.0f}s:\n{child.log_tail()}")
            time.sleep(0.05)
        ready = json.loads(ready_file.read_text())
        child.port, child.metrics_port = ready["port"], ready.get("metrics_port")
        wait_until_serving(child.address, max(1.0, deadline - time.monotonic()))

    def stop_all(self, grace_seconds: float = 15.0) -> dict[str, int]:
        """SIGTERM each child (last started first); returns exit statuses."""
        statuses: dict[str, int] = {}
        for child in reversed(self.children):
            if child.process.poll() is None:
                child.process.send_signal(signal.SIGTERM)
            try:
                statuses[child.name] = child.process.wait(timeout=grace_seconds)
            except subprocess.TimeoutExpired:
                child.process.kill()
                statuses[child.name] = child.process.wait()
        self.children.clear()
        return statuses

    def first_exited(self) -> Child | None:
        return next((c for c in self.children if c.process.poll() is not None), None)


def wait_until_serving(address: str, timeout: float, service: str = "") -> None:
    """Polls the standard health check until SERVING."""
    deadline = time.monotonic() + timeout
    with grpc.insecure_channel(address) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        while True:
            try:
                reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=2)
                if reply.status == health_pb2.HealthCheckResponse.SERVING:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline:
                raise StartupError(f"{address} is not SERVING after {timeout:.0f}s")
            time.sleep(0.1)
