"""``python -m services.storage``: the versioned asset registry.
``python -m services.storage gc [--dry-run]``: garbage-collect blob content."""

import sys

from services.runtime.service_main import run_service
from services.storage.app import wire
from services.storage.settings import StorageSettings

if len(sys.argv) > 1:
    from services.storage.gc_command import main

    sys.exit(main(sys.argv[1:]))
run_service("storage", StorageSettings, wire)
