"""The status a server really sent on a client-streaming call.

grpc.aio has a race (grpc/grpc#36066; fix proposed in grpc/grpc#43486):
when a server ends a client-streaming call before the client half-closes
(an upload refused at its header, say), a write still in flight fails, and
the library then overwrites the status the server had already delivered
with ``INTERNAL: Internal error from Core``. Anything that forwards a
client's stream over a ``grpc.aio`` channel (the gateway) would pass that
made-up INTERNAL on instead of the server's answer and its details.

``StatusWitness`` records every status the call is given, in order, and
gives back the server's when the final one is that local write failure.
"""

from __future__ import annotations

import logging

import grpc

_LOGGER = logging.getLogger(__name__)

LOCAL_WRITE_FAILURE = "Internal error from Core"
_CODE_BY_NUMBER = {code.value[0]: code for code in grpc.StatusCode}


def is_local_write_failure(error: grpc.aio.AioRpcError) -> bool:
    return error.code() == grpc.StatusCode.INTERNAL and error.details() == LOCAL_WRITE_FAILURE


class StatusWitness:
    """Watches one ``grpc.aio`` call (client- or bidi-streaming)."""

    __slots__ = ("_seen",)

    def __init__(self, call: grpc.aio.Call) -> None:
        self._seen: list = []
        call.add_done_callback(self._record)

    def _record(self, call: grpc.aio.Call) -> None:
        # The status object the call holds now; the callback runs each time
        # the call's status is set. (grpc.aio itself reads it this way.)
        status = getattr(getattr(call, "_cython_call", None), "_status", None)
        if status is not None:
            self._seen.append(status)

    def server_error(self, error: grpc.aio.AioRpcError) -> grpc.aio.AioRpcError:
        """``error``, or the server's own status if ``error`` is the local
        write failure that replaced it."""
        if not is_local_write_failure(error):
            return error
        for status in self._seen:
            if status.details() != LOCAL_WRITE_FAILURE:
                _LOGGER.debug("recovered status %s hidden by a failed write", status.code())
                return grpc.aio.AioRpcError(
                    _CODE_BY_NUMBER.get(status.code(), grpc.StatusCode.UNKNOWN),
                    error.initial_metadata(),
                    grpc.aio.Metadata.from_tuple(status.trailing_metadata() or ()),
                    details=status.details(),
                    debug_error_string=status.debug_error_string(),
                )
        return error
