"""Content-addressed blob content: the store interface and its local
filesystem implementation.

The database says which projects hold which blob (``blob_registry``); a
content store only keeps bytes under their SHA-256. An S3-compatible store
can implement :class:`ContentStore` (a multipart upload as the pending
content, a conditional put as ``place``, ranged GETs as ``read``).

The local store writes an upload to a temporary file (hashing as it goes),
fsyncs it, and renames it into place, then fsyncs the folder: content is
either absent or complete under its name, never half-written. Content lives
at ``<root>/<aa>/<bb>/<sha256>``; uploads in progress at
``<root>/tmp/<pid>-<run>-<random>.part``, where ``<run>`` is random per
process start: a restarted process often gets the PID of the one that died
(in a container it is PID 1 every time), so the PID alone cannot tell its
own uploads from those a killed predecessor left behind.
"""

from __future__ import annotations

import abc
import asyncio
import errno
import hashlib
import logging
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import AsyncIterator

from services.runtime.errors import ResourceExhausted

_LOGGER = logging.getLogger(__name__)

MiB = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
# pid, then (since the run token was added) the run token, then randomness.
_TEMP_NAME = re.compile(r"(\d+)-(?:([0-9a-f]{8})-)?[0-9a-f]+\.part")
# Random per process start; see the module docstring.
_RUN = secrets.token_hex(4)


class ContentMissing(Exception):
    """The store holds no content under this digest."""


@dataclass(frozen=True)
class StoredContent:
    sha256: str
    size_bytes: int
    modified_time: float


class PendingContent(abc.ABC):
    """An upload being received: bytes written so far, hashed as they come."""

    size: int

    @abc.abstractmethod
    async def write(self, chunk: bytes) -> None: ...

    @abc.abstractmethod
    def hexdigest(self) -> str: ...

    @abc.abstractmethod
    async def seal(self) -> None:
        """Makes the written bytes durable; no more writes follow."""

    @abc.abstractmethod
    def discard(self) -> None:
        """Drops the upload. Synchronous, so it also runs in a cancelled task."""


class ContentStore(abc.ABC):
    @abc.abstractmethod
    async def begin(self) -> PendingContent: ...

    @abc.abstractmethod
    def place(self, pending: PendingContent, sha256: str) -> bool:
        """Makes sealed content visible under ``sha256``; False (and the
        pending content discarded) when complete content is already there.
        Runs inside the database transaction that records the blob (which
        holds the lock on the digest), so it is synchronous."""

    @abc.abstractmethod
    async def contains(self, sha256: str) -> bool: ...

    @abc.abstractmethod
    def read(self, sha256: str, offset: int, length: int, chunk_size: int) -> AsyncIterator[bytes]:
        """Streams ``length`` bytes from ``offset``; raises ContentMissing
        before the first chunk when there is no such content."""

    @abc.abstractmethod
    def delete(self, sha256: str) -> None:
        """Removes content; absent content is not an error. Runs inside the
        garbage collector's transaction, so it is synchronous."""

    @abc.abstractmethod
    async def list_contents(self) -> list[StoredContent]: ...

    @abc.abstractmethod
    async def sweep_temporary(self, older_than_seconds: float) -> int:
        """Removes uploads left behind by processes that died (a process
        removes its own when an upload fails); returns how many."""


def _store_full(error: OSError) -> Exception:
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return ResourceExhausted("the blob store is out of space", reason="BLOB_STORE_FULL")
    return error


class _PendingFile(PendingContent):
    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self._hash = hashlib.sha256()
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def _absorb(self, chunk: bytes) -> None:
        self._hash.update(chunk)
        view = memoryview(chunk)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    async def write(self, chunk: bytes) -> None:
        try:
            await asyncio.to_thread(self._absorb, chunk)
        except OSError as error:
            raise _store_full(error) from error
        self.size += len(chunk)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()

    async def seal(self) -> None:
        fd, self._fd = self._fd, None
        try:
            await asyncio.to_thread(os.fsync, fd)
        except OSError as error:
            raise _store_full(error) from error
        finally:
            os.close(fd)

    def discard(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass


class LocalContentStore(ContentStore):
    def __init__(self, root: Path) -> None:
        self.root = root
        self.temp_dir = root / "tmp"
        self.temp_dir.mkdir(parents=True, exist_ok=True)

    def path_of(self, sha256: str) -> Path:
        if _SHA256.fullmatch(sha256) is None:  # never build a path from anything else
            raise ValueError("not a sha256 digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    async def begin(self) -> PendingContent:
        return _PendingFile(self.temp_dir / f"{os.getpid()}-{_RUN}-{secrets.token_hex(12)}.part")

    def temporary_files(self) -> list[Path]:
        return sorted(self.temp_dir.glob("*.part"))

    def place(self, pending: PendingContent, sha256: str) -> bool:
        assert isinstance(pending, _PendingFile)
        final = self.path_of(sha256)
        try:
            if final.stat().st_size == pending.size:
                pending.discard()
                return False
        except FileNotFoundError:
            pass
        final.parent.mkdir(parents=True, exist_ok=True)
        os.replace(pending.path, final)
        _fsync_dir(final.parent)
        return True

    async def contains(self, sha256: str) -> bool:
        return self.path_of(sha256).exists()

    async def read(self, sha256: str, offset: int, length: int, chunk_size: int) -> AsyncIterator[bytes]:
        """Reads one chunk ahead: the next chunk comes off the disk while the
        caller sends the current one."""
        try:
            fd = os.open(self.path_of(sha256), os.O_RDONLY)
        except FileNotFoundError:
            raise ContentMissing(sha256) from None
        end = offset + length

        def read_at(position: int) -> asyncio.Future | None:
            if position >= end:
                return None
            return asyncio.ensure_future(asyncio.to_thread(os.pread, fd, min(chunk_size, end - position), position))

        ahead = read_at(offset)
        try:
            position = offset
            while ahead is not None:
                # Shielded: a cancelled download leaves the read to finish in
                # its thread, and the file is closed after it.
                data = await asyncio.shield(ahead)
                if not data:
                    raise ContentMissing(f"{sha256} is shorter than recorded")
                position += len(data)
                ahead = read_at(position)
                yield data
        finally:
            _close_after(fd, ahead)

    def delete(self, sha256: str) -> None:
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            pass

    async def list_contents(self) -> list[StoredContent]:
        return await asyncio.to_thread(self._list_contents)

    def _list_contents(self) -> list[StoredContent]:
        found = []
        for first in _subdirs(self.root, 2):
            for second in _subdirs(first, 2):
                for entry in os.scandir(second):
                    if entry.is_file() and _SHA256.fullmatch(entry.name):
                        stat = entry.stat()
                        found.append(StoredContent(entry.name, stat.st_size, stat.st_mtime))
        return found

    async def sweep_temporary(self, older_than_seconds: float) -> int:
        return await asyncio.to_thread(self._sweep_temporary, older_than_seconds)

    def _sweep_temporary(self, older_than_seconds: float) -> int:
        removed = 0
        cutoff = time.time() - older_than_seconds
        for path in self.temporary_files():
            match = _TEMP_NAME.fullmatch(path.name)
            try:
                if match is not None:
                    stale = _left_by_dead_run(match)
                else:  # not ours: only once it is old
                    stale = path.stat().st_mtime < cutoff
                if stale:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            _LOGGER.info("removed %d unfinished uploads", removed)
        return removed


def _subdirs(path: Path, name_length: int) -> list[Path]:
    if not path.is_dir():
        return []
    return [Path(e.path) for e in os.scandir(path) if e.is_dir() and len(e.name) == name_length and e.name != "tmp"]


def _left_by_dead_run(match: re.Match) -> bool:
    """Whether the upload named so belongs to no running process: another
    run of this PID (the name's run token differs, or predates tokens), or a
    PID that is not alive."""
    pid, run = int(match.group(1)), match.group(2)
    if pid == os.getpid():
        return run != _RUN
    return not _process_alive(pid)


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _close_after(fd: int, read: asyncio.Future | None) -> None:
    """Closes ``fd`` once a read still running in a thread is done (closing
    it earlier could let that read hit a file opened meanwhile under the
    same number)."""
    if read is None or read.done():
        if read is not None and not read.cancelled():
            read.exception()  # retrieved: a read nobody waits for may fail quietly
        os.close(fd)
        return
    read.add_done_callback(lambda done: (done.cancelled() or done.exception(), os.close(fd)))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
