"""Start-up objects leave the collector's walks; new garbage is still
collected."""

from __future__ import annotations

import gc

from services.runtime.collector import freeze_startup_objects


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_freezing_moves_live_objects_out_and_keeps_collecting_new_garbage():
    try:
        frozen = freeze_startup_objects()
        assert frozen == gc.get_freeze_count() > 1000  # the test process's import graph
        assert len(gc.get_objects(generation=2)) < frozen
        made = _Cycle()
        del made
        assert gc.collect() >= 1  # a cycle made after the freeze is still found
    finally:
        gc.unfreeze()
