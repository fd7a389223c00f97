"""The ``previs`` command: ``previs up`` runs the whole suite locally."""

from __future__ import annotations

import argparse
import signal
import sys
import time
from pathlib import Path

from previs_cli.local_suite import start_suite
from previs_cli.supervisor import StartupError, Supervisor

DEFAULT_DATA_DIR = Path("previs-data")


def _up(args: argparse.Namespace) -> int:
    supervisor = Supervisor(args.data_dir / "run")
    stop = {"requested": False}

    def request_stop(_signum, _frame) -> None:
        stop["requested"] = True

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    try:
        addresses = start_suite(supervisor, args.data_dir, args.port, auth=not args.no_auth)
    except StartupError as error:
        supervisor.stop_all()
        print(f"previs: {error}", file=sys.stderr)
        return 1
    print(f"previs is up: gateway at {addresses.gateway}", flush=True)
    print(f"  data folder: {args.data_dir.resolve()}  (logs in {supervisor.run_dir.resolve()})")
    if addresses.api_key:
        print(f"  API key: {addresses.api_key}")
        print(f"  try: grpcurl -plaintext -H 'authorization: Bearer {addresses.api_key}' {addresses.gateway} list")
    print("Press Ctrl-C to stop.", flush=True)
    while not stop["requested"]:
        exited = supervisor.first_exited()
        if exited is not None:
            print(f"previs: {exited.name} exited unexpectedly:\n{exited.log_tail()}", file=sys.stderr)
            supervisor.stop_all()
            return 1
        time.sleep(0.2)
    statuses = supervisor.stop_all()
    print("previs stopped: " + ", ".join(f"{name} exit {code}" for name, code in statuses.items()), flush=True)
    return 0 if all(code == 0 for code in statuses.values()) else 1


def _demo(args: argparse.Namespace) -> int:
    from previs_cli.demo import run_demo

    return run_demo(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="previs", description="Pre-visualization services over gRPC.")
    commands = parser.add_subparsers(dest="command", required=True)
    up = commands.add_parser("up", help="run the whole suite on this machine with embedded defaults")
    up.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="database, blobs, keys and logs")
    up.add_argument("--port", type=int, default=50051, help="the gateway's port")
    up.add_argument("--no-auth", action="store_true", help="accept calls without an API key")
    up.set_defaults(run=_up)
    demo = commands.add_parser("demo", help="script to storyboard: run the whole journey and write the outputs")
    demo.add_argument("script", nargs="?", type=Path, help="a Fountain screenplay (default: the shipped example)")
    demo.add_argument("--out", type=Path, help="folder for the outputs (default: a new previs-out-* folder)")
    demo.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR, help="data folder of the local suite")
    demo.add_argument("--target", help="use a running gateway (host:port) instead of starting the suite")
    demo.add_argument("--api-key", help="API key for --target (default: the local development key)")
    demo.set_defaults(run=_demo)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
