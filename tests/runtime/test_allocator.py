"""The allocator tuning applies on glibc and is harmless elsewhere."""

import ctypes.util
import platform

import pytest

from services.runtime.allocator import keep_large_buffers_in_the_heap


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt thresholds are glibc's")
def test_thresholds_apply_on_glibc():
    assert keep_large_buffers_in_the_heap() is True
    # large allocations still work and are released normally afterwards
    buffers = [bytearray(1 << 20) for _ in range(8)]
    assert sum(len(b) for b in buffers) == 8 << 20


def test_a_missing_mallopt_leaves_the_defaults(monkeypatch):
    monkeypatch.setattr(ctypes.util, "find_library", lambda name: "libdoes-not-exist.so")
    assert keep_large_buffers_in_the_heap() is False
