"""Runs blocking work (encoding, PDF layout) in a worker thread while its
progress reports reach an async progress sink on the event loop, newest
first when several are pending. Cancelling the caller sets the work's
cancel event and waits (bounded) for the thread to notice."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from typing import Callable, TypeVar

from services.media.backends.base import ProgressSink

T = TypeVar("T")
Report = Callable[[float, str], None]

CANCEL_WAIT_SECONDS = 10.0


async def run_in_thread(work: Callable[[Report, threading.Event], T], progress: ProgressSink) -> T:
    loop = asyncio.get_running_loop()
    latest: list[tuple[float, str]] = []
    wakeup = asyncio.Event()
    cancel = threading.Event()

    def report(fraction: float, message: str) -> None:
        def note() -> None:
            latest[:] = [(fraction, message)]
            wakeup.set()

        loop.call_soon_threadsafe(note)

    task = asyncio.ensure_future(asyncio.to_thread(work, report, cancel))
    try:
        while not task.done():
            waiter = asyncio.ensure_future(wakeup.wait())
            await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
            waiter.cancel()
            if latest:
                wakeup.clear()
                await progress(*latest.pop())
        return task.result()
    except asyncio.CancelledError:
        cancel.set()
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), timeout=CANCEL_WAIT_SECONDS)
        raise
