"""Keyset pagination: a page is fetched with one extra row to learn whether
another page follows; the token holds the key of the last row returned, so
rows inserted meanwhile are neither skipped nor repeated."""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

from services.runtime.page_tokens import PageTokenCodec, page_size_or_default
from services.storage.records import Page


class Paging:
    """Page sizes and signed positions for every list of the service."""

    def __init__(self, codec: PageTokenCodec) -> None:
        self._codec = codec

    @staticmethod
    def size(page_size: int) -> int:
        return page_size_or_default(page_size)

    def position(self, token: str, query: Mapping[str, Any]) -> dict[str, Any] | None:
        """The decoded position, ``None`` on the first page; a tampered or
        foreign token is INVALID_ARGUMENT (``page_token``)."""
        return self._codec.decode(token, query)

    def page(
        self,
        rows: Sequence[Any],
        size: int,
        query: Mapping[str, Any],
        position_of: Callable[[Any], dict[str, Any]],
        convert: Callable[[Any], Any],
    ) -> Page:
        """``rows`` were fetched with ``LIMIT size + 1``."""
        items = [convert(row) for row in rows[:size]]
        token = self._codec.encode(position_of(rows[size - 1]), query) if len(rows) > size else ""
        return Page(items, token)

    def encode(self, position: Mapping[str, Any], query: Mapping[str, Any]) -> str:
        return self._codec.encode(position, query)
