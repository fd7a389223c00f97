"""Allocator tuning for processes that move large messages (every service
runs it at start: blobs, frames and clips travel in 1 MiB chunks).

Blobs pass through the gateway in 1 MiB messages: each one becomes a fresh
1 MiB buffer on receive and on send. glibc serves allocations that large with
mmap and hands freed memory back to the kernel, so every message costs page
faults and page zeroing (about a quarter of the gateway's CPU per MiB relayed
in bench/gateway_overhead.py: 1.41 → 1.02 and 1.58 → 1.23 ms/MiB in paired
runs). Raising the mmap and trim thresholds keeps those buffers in the heap
for reuse; the cost is up to ``TRIM_THRESHOLD`` of freed memory kept mapped.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

_LOGGER = logging.getLogger(__name__)

# mallopt parameters (glibc malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3

MMAP_THRESHOLD = 16 * 1024 * 1024
TRIM_THRESHOLD = 64 * 1024 * 1024


def keep_large_buffers_in_the_heap() -> bool:
    """Applies the thresholds; False (and nothing changed) where the C
    library is not glibc."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        _LOGGER.info("mallopt is not available; allocator left at its defaults")
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    applied = bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and bool(mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD))
    _LOGGER.debug("allocator thresholds applied: %s", applied)
    return applied
