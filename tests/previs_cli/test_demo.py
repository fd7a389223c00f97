"""`previs demo` (the README's main command) as a user runs it: real
processes on the embedded defaults, any Fountain file, outputs in a folder."""

import json
import subprocess
import sys
from pathlib import Path

from PIL import Image

SCRIPT = """Title: Two Cups

INT. KITCHEN - MORNING

MAYA, 30s, pours coffee into two cups. She glances at the door.

MAYA
He's late again.

BEN (40s) enters, shaking rain off his coat.

BEN
(sheepish)
The bus broke down.

EXT. STREET - CONTINUOUS

Rain hammers the pavement. A bus sits dead at the kerb.
"""


def test_demo_runs_the_journey_on_a_given_script_and_writes_every_output(tmp_path):
    script = tmp_path / "two_cups.fountain"
    script.write_text(SCRIPT)
    out = tmp_path / "out"
    finished = subprocess.run(
        [sys.executable, "-m", "previs_cli.main", "demo", str(script), "--data-dir", str(tmp_path / "data"), "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    assert f"outputs ({len(list(out.iterdir()))} files) in {out}" in finished.stdout
    names = sorted(path.name for path in out.iterdir())
    frames = [name for name in names if name.startswith("frames-") and name.endswith(".png")]
    shots = [name for name in frames if "-s0" in name]  # character references are square
    assert len(shots) >= 3 and all(Image.open(out / name).size == (1280, 720) for name in shots)
    assert any("-char-" in name for name in frames) and any("-loc-" in name for name in frames)
    assert any(name.startswith("edited-") for name in names)
    assert sum(name.endswith(".mp4") for name in names) == 1
    assert {Path(name).suffix for name in names if name.startswith("storyboard-")} == {".pdf", ".csv", ".json"}
    plan = json.loads((out / "plan.json").read_text())
    assert {c["name"] for c in plan["characters"]} >= {"Maya", "Ben"}
    assert (out / next(n for n in names if n.endswith(".pdf"))).read_bytes().startswith(b"%PDF")
