"""Runs every command of the README's grpcurl walkthrough, as written, in one
bash session against the gateway of an in-process suite."""

import asyncio
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.suite import TENANT_A_KEY, in_process_suite

ROOT = Path(__file__).resolve().parents[1]


def walkthrough_commands() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## grpcurl walkthrough", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, flags=re.S)
    assert len(blocks) >= 10, "the walkthrough lost its steps"
    return "\n".join(blocks)


async def test_every_walkthrough_command_runs(tmp_path):
    if shutil.which("jq") is None:
        pytest.skip("jq is not installed") if not os.environ.get("CI") else pytest.fail("jq is required in CI")
    work = tmp_path / "work"
    work.mkdir()
    for name in ("previs_cli", ".venv"):
        (work / name).symlink_to(ROOT / name)
    script = "set -euo pipefail\n" + walkthrough_commands()
    async with in_process_suite(tmp_path / "data") as suite:
        env = {**os.environ, "GW": suite.address("gateway"), "KEY": TENANT_A_KEY}
        process = await asyncio.create_subprocess_exec(
            "bash", "-c", script, cwd=work, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await asyncio.wait_for(process.communicate(), 300)
    text = output.decode()
    assert process.returncode == 0, text[-4000:]
    assert "refused as expected" in text and "PATCH_TARGET_NOT_FOUND" in text
    assert (work / "frame.png").read_bytes().startswith(b"\x89PNG")
    assert "STATE_SUCCEEDED" in text
