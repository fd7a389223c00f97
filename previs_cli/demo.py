"""``previs demo [SCRIPT] [--out DIR]``: starts the suite on the embedded
defaults (or uses ``--target``), runs the journey through the gateway and
writes every output into a folder."""

from __future__ import annotations

import argparse
import socket
import sys
import time
from pathlib import Path

import grpc

from previs_cli.journey import Journey
from previs_cli.local_suite import DEV_KEY_FILE, start_suite
from previs_cli.progress import JobFailed
from previs_cli.supervisor import StartupError, Supervisor

EXAMPLE_SCRIPT = Path(__file__).parent / "examples" / "the_lighthouse_keeper.fountain"


def _title_of(script_text: str, fallback: str) -> str:
    for line in script_text.splitlines()[:20]:
        key, _, value = line.partition(":")
        if key.strip().lower() == "title" and value.strip():
            return value.strip().strip("_*")
    return fallback


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _out_dir(requested: Path | None) -> Path:
    return requested if requested is not None else Path(time.strftime("previs-out-%Y%m%d-%H%M%S"))


def _journey(target: str, api_key: str | None, script: Path, out_dir: Path) -> int:
    text = script.read_text(encoding="utf-8")
    print(f"previs demo: {script} → {out_dir}/ through the gateway at {target}", flush=True)
    with grpc.insecure_channel(target, options=[("grpc.max_receive_message_length", 8 << 20)]) as channel:
        try:
            result = Journey(channel, api_key, out_dir).run(text, _title_of(text, script.stem))
        except (grpc.RpcError, JobFailed) as error:
            details = error.details() if isinstance(error, grpc.RpcError) else str(error)
            code = error.code().name if isinstance(error, grpc.RpcError) else "FAILED"
            print(f"\nprevis demo failed: {code}: {details}", file=sys.stderr)
            return 1
    print(f"\nproject {result.project}: {len(result.frames)} frames, continuity score {result.continuity_score}/100")
    print(f"outputs ({len(result.files)} files) in {out_dir.resolve()}/")
    return 0


def run_demo(args: argparse.Namespace) -> int:
    script = args.script or EXAMPLE_SCRIPT
    if not script.is_file():
        print(f"previs demo: no such script: {script}", file=sys.stderr)
        return 2
    out_dir = _out_dir(args.out)
    if args.target:
        key = args.api_key or _read_dev_key(args.data_dir)
        return _journey(args.target, key, script, out_dir)
    supervisor = Supervisor(args.data_dir / "run")
    try:
        addresses = start_suite(supervisor, args.data_dir, _free_port())
        return _journey(addresses.gateway, addresses.api_key, script, out_dir)
    except StartupError as error:
        print(f"previs demo: {error}", file=sys.stderr)
        return 1
    finally:
        supervisor.stop_all()


def _read_dev_key(data_dir: Path) -> str | None:
    path = data_dir / DEV_KEY_FILE
    return path.read_text().strip() if path.exists() else None
