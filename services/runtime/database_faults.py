"""Which SQLAlchemy failures mean the database (or the way to it) is down,
as opposed to a bug in a statement or a constraint violation the caller
handles. Shared by storage's registry and media's jobs database."""

from __future__ import annotations

import asyncio
import socket

from sqlalchemy import exc


def is_database_fault(error: BaseException) -> bool:
    """True for faults worth an UNAVAILABLE and a retry."""
    if isinstance(error, (exc.IntegrityError, exc.ProgrammingError, exc.DataError)):
        return False
    if isinstance(error, exc.DBAPIError):
        return True
    # Connecting raises the driver's socket errors as they are. Other OSErrors
    # (a blob file operation inside a transaction) are not database faults.
    return isinstance(
        error, (ConnectionError, TimeoutError, asyncio.TimeoutError, socket.gaierror, exc.TimeoutError, exc.DisconnectionError)
    )
