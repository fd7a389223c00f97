"""The committed stubs in previs/ are exactly what the .proto files generate."""

import filecmp
import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts}


def test_committed_stubs_match_a_fresh_generation(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "scripts" / "gen_protos.py"), "--out", str(tmp_path)], check=True)
    fresh, committed = tmp_path / "previs", ROOT / "previs"
    assert _files(fresh) == _files(committed), "stub files differ: run python scripts/gen_protos.py"
    differing = [name for name in sorted(_files(fresh)) if not filecmp.cmp(fresh / name, committed / name, shallow=False)]
    assert differing == [], f"stale stubs {differing}: run python scripts/gen_protos.py"


def test_every_proto_has_its_stubs():
    for proto in (ROOT / "protos").rglob("*.proto"):
        module = ".".join(proto.relative_to(ROOT / "protos").with_suffix("").parts) + "_pb2"
        assert importlib.util.find_spec(module) is not None, module
