"""The contracts pass `buf lint` (STANDARD + COMMENTS, see buf.yaml)."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _buf() -> str:
    candidate = Path(sys.executable).parent / "buf"
    found = str(candidate) if candidate.exists() else shutil.which("buf")
    assert found, "buf is not installed (pip install buf-bin)"
    return found


def test_buf_lint_is_clean():
    result = subprocess.run([_buf(), "lint"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_services_do_not_import_each_others_protos():
    for proto in (ROOT / "protos" / "previs").rglob("*.proto"):
        service = proto.relative_to(ROOT / "protos" / "previs").parts[0]
        for line in proto.read_text().splitlines():
            if line.startswith("import ") and '"previs/' in line:
                assert f'"previs/{service}/' in line, f"{proto.name} imports another service: {line}"
