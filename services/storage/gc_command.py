"""``python -m services.storage gc [--dry-run]``: runs garbage collection
against the configured database and blob store (the same work as
``StorageAdminService.CollectGarbage``) and prints the result as JSON."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from services.runtime.logging_setup import configure_logging
from services.runtime.settings import load_settings
from services.storage.app import build
from services.storage.settings import StorageSettings


async def _collect(settings: StorageSettings, dry_run: bool) -> dict[str, int]:
    parts = await build(settings)
    try:
        report = await parts.garbage.collect(dry_run=dry_run)
    finally:
        await parts.close()
    return {"removed_blobs": report.removed_blobs, "freed_bytes": report.freed_bytes, "kept_blobs": report.kept_blobs}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.storage", description="previs storage commands")
    commands = parser.add_subparsers(dest="command", required=True)
    gc = commands.add_parser("gc", help="remove blob content that no live revision references")
    gc.add_argument("--dry-run", action="store_true", help="report what would be removed, remove nothing")
    arguments = parser.parse_args(argv)
    settings = load_settings(StorageSettings)
    configure_logging("storage-gc", settings.log_level, settings.log_format)
    result = asyncio.run(_collect(settings, arguments.dry_run))
    json.dump({"dry_run": arguments.dry_run, **result}, sys.stdout)
    sys.stdout.write("\n")
    return 0
