"""Real processes: `previs up` starts the four, health is SERVING, SIGINT and
SIGTERM stop everything with status 0 within the grace period."""

import os
import signal
import socket
import subprocess
import sys
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from previs_cli.local_suite import start_suite
from previs_cli.supervisor import Supervisor, wait_until_serving

GRACE_SECONDS = 15


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_each_process_exits_zero_on_sigterm_within_grace(tmp_path):
    supervisor = Supervisor(tmp_path / "run")
    try:
        addresses = start_suite(supervisor, tmp_path / "data", _free_port(), log_format="text")
        for address in (addresses.storage, addresses.planner, addresses.media, addresses.gateway):
            wait_until_serving(address, 10)
        started = time.monotonic()
        statuses = supervisor.stop_all(grace_seconds=GRACE_SECONDS)
        elapsed = time.monotonic() - started
    finally:
        supervisor.stop_all()
    assert statuses == {"gateway": 0, "media": 0, "planner": 0, "storage": 0}
    assert elapsed < GRACE_SECONDS


def test_previs_up_prints_the_gateway_and_stops_cleanly_on_ctrl_c(tmp_path):
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "previs_cli", "up", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(process.stdout.readline, "")), daemon=True)
        reader.start()
        deadline = time.monotonic() + 90
        while not any("Press Ctrl-C" in line for line in lines) and time.monotonic() < deadline:
            assert process.poll() is None, "".join(lines)
            time.sleep(0.1)
        output = "".join(lines)
        assert f"gateway at 127.0.0.1:{port}" in output, output
        key = next(line.split(": ", 1)[1].strip() for line in output.splitlines() if "API key:" in line)
        assert key.startswith("pvk_")
        assert (tmp_path / "data" / "dev-api-key").read_text().strip() == key
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=5)
        assert reply.status == health_pb2.HealthCheckResponse.SERVING
        process.send_signal(signal.SIGINT)
        process.wait(timeout=GRACE_SECONDS * 2)
        reader.join(timeout=5)
        rest = "".join(lines)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, rest
    assert "gateway exit 0" in rest and "storage exit 0" in rest


@pytest.mark.parametrize("module, variable", [("services.storage", "PREVIS_STORAGE_PORT"), ("gateway", "PREVIS_GATEWAY_PORT")])
def test_malformed_setting_fails_fast_naming_the_variable(module, variable):
    env = {**os.environ, variable: "not-a-port", "PREVIS_GATEWAY_AUTH": "disabled"}
    result = subprocess.run([sys.executable, "-m", module], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert variable in result.stderr
