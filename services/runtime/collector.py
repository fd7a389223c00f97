"""Garbage-collector tuning for long-running services.

A full (generation 2) collection walks every tracked object. In a service
that means the whole import graph (grpc, protobuf descriptors, SQLAlchemy,
Pillow) on top of the live requests: storage measured 25-58 ms per full
collection under load, a pause every in-flight call waits out, and the
largest share of another tenant's p99 when a burst made collections
frequent (bench/load.py with a GC probe). Those start-up objects live as
long as the process, so once the server is wired they are moved to the
permanent generation (``gc.freeze``), where collections no longer walk them.
"""

from __future__ import annotations

import gc
import logging
import time

_LOGGER = logging.getLogger(__name__)


def freeze_startup_objects() -> int:
    """Collects once, then freezes what is left; returns how many objects
    were frozen. Call after the server is wired and started."""
    started = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    _LOGGER.info("froze %d start-up objects out of garbage collection in %.1f ms",
                 frozen, (time.perf_counter() - started) * 1000)
    return frozen
