"""Where each item's output goes in storage: the asset, its kind and labels,
the revision's parents and labels. Decided when a job's items are planned,
kept in the jobs database beside the job (table ``media_output_targets``), so
an output made after a restart is stored exactly where it would have been.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

from sqlalchemy import Column, MetaData, PrimaryKeyConstraint, String, Table, Text, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.media.job_store import JobStore
from services.runtime.errors import Internal

metadata = MetaData()

output_targets = Table(
    "media_output_targets",
    metadata,
    Column("job_id", String(63), nullable=False),
    Column("item_key", String(128), nullable=False),
    Column("target", Text, nullable=False),
    PrimaryKeyConstraint("job_id", "item_key"),
)

_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def asset_id_for(*parts: str) -> str:
    """An asset id from ids of the plan (``S004``, ``CHAR_01``): lower case,
    anything else than ``[a-z0-9_-]`` replaced, at most 63 characters. Never a
    path: storage names are strict and this only feeds them."""
    text = "-".join(_UNSAFE.sub("-", part.lower()).strip("-_") for part in parts if part)
    text = text.strip("-_")[:63].rstrip("-_")
    return text if text and text[0].isalnum() else f"a{text}"[:63]


@dataclass(frozen=True)
class OutputTarget:
    """The storage destination of one item's output."""

    asset_id: str
    asset_kind: int
    display_name: str = ""
    asset_labels: Mapping[str, str] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    parents: Sequence[str] = ()
    message: str = ""
    role: str = "image"
    payload: str = ""
    """A ``previs.planner.v1.RenderPrompt`` as JSON (what was rendered), or
    empty; stored as the revision's payload."""
    parent_items: Sequence[str] = ()
    """Keys of items of the same job whose outputs are parents too (a shot
    frame of a project-scope job links to the references made beside it);
    resolved when the output is stored."""

    def to_json(self) -> str:
        return json.dumps(
            {
                "asset_id": self.asset_id,
                "asset_kind": self.asset_kind,
                "display_name": self.display_name,
                "asset_labels": dict(self.asset_labels),
                "labels": dict(self.labels),
                "parents": list(dict.fromkeys(self.parents)),
                "message": self.message,
                "role": self.role,
                "payload": self.payload,
                "parent_items": list(dict.fromkeys(self.parent_items)),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> "OutputTarget":
        data = json.loads(text)
        return cls(
            asset_id=data["asset_id"],
            asset_kind=data["asset_kind"],
            display_name=data.get("display_name", ""),
            asset_labels=data.get("asset_labels", {}),
            labels=data.get("labels", {}),
            parents=tuple(data.get("parents", ())),
            message=data.get("message", ""),
            role=data.get("role", "image"),
            payload=data.get("payload", ""),
            parent_items=tuple(data.get("parent_items", ())),
        )


class TargetBook:
    """Durable (job, item) → :class:`OutputTarget`, written through the jobs
    store's writer so it commits in order with the job's own writes."""

    def __init__(self, store: JobStore) -> None:
        self._store = store

    async def create_table(self) -> None:
        async with self._store.database.write() as connection:
            await connection.run_sync(metadata.create_all)

    async def put(self, job_id: str, targets: Mapping[str, OutputTarget]) -> None:
        """Records the targets of ``job_id``'s items (replacing earlier ones,
        as a prepare stage that ran before a restart runs again)."""
        if not targets:
            return
        rows = [{"job_id": job_id, "item_key": key, "target": target.to_json()} for key, target in targets.items()]
        database = self._store.database

        async def write(connection: AsyncConnection) -> None:
            statement = database.insert(output_targets)
            statement = statement.on_conflict_do_update(
                index_elements=["job_id", "item_key"], set_={"target": statement.excluded.target}
            )
            await connection.execute(statement, rows)

        await self._store.writer.write(write)

    async def get(self, job_id: str, item_key: str) -> OutputTarget:
        async with self._store.database.read() as connection:
            row = (
                await connection.execute(
                    select(output_targets.c.target).where(
                        output_targets.c.job_id == job_id, output_targets.c.item_key == item_key
                    )
                )
            ).first()
        if row is None:
            raise Internal(f"job {job_id} has no output target for item {item_key}", reason="OUTPUT_TARGET_MISSING")
        return OutputTarget.from_json(row.target)
