"""A client in another language: the Node.js example (grpc-js with stubs
loaded from the .proto files) runs its journey against the gateway."""

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.suite import TENANT_A_KEY, in_process_suite

ROOT = Path(__file__).resolve().parents[2]
CLIENT = ROOT / "clients" / "node"
EXAMPLE = ROOT / "previs_cli" / "examples" / "the_lighthouse_keeper.fountain"


def _node_ready() -> str | None:
    if shutil.which("node") is None:
        return "node is not installed"
    if not (CLIENT / "node_modules" / "@grpc" / "grpc-js").exists():
        return "npm packages missing: run bash scripts/setup.sh"
    return None


async def test_node_client_runs_the_journey_through_the_gateway(tmp_path):
    missing = _node_ready()
    if missing:
        if os.environ.get("CI"):
            pytest.fail(missing)
        pytest.skip(missing)
    async with in_process_suite(tmp_path / "data") as suite:
        process = await asyncio.create_subprocess_exec(
            "node", str(CLIENT / "journey.js"), suite.address("gateway"), TENANT_A_KEY, str(EXAMPLE), str(tmp_path / "out"),
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(process.communicate(), 180)
    assert process.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert result["shots"] > 0 and result["events"] > 0
    frame = Path(result["frame_path"]).read_bytes()
    assert frame.startswith(b"\x89PNG") and len(frame) == result["bytes"]
