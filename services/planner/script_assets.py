"""Screenplays as revisions of script assets.

Each create or update stores a whole ``Script`` message as a new revision,
with what parsing found (title page, scene count, page estimate, speaking
characters, detected format) already filled in, so reading a script costs
no parse. Content is parsed before anything is written: an empty, oversized
or unparseable script writes nothing. The active script is the asset's head.

Updates merge the masked fields into the head revision and append the
result on condition that the head is still the one merged into (the
caller's ``etag`` when given: a stale one answers ABORTED; otherwise the
head's revision count, retried a few times if another update raced).
"""

from __future__ import annotations

import asyncio
import logging

from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from services.planner.plan_protos import enum_number, enum_suffix
from services.planner.planner_store import PlannerStore, checked_request_id, child_request_id, require_kind
from services.planner.scripts import ScriptFormat, parse_script
from services.runtime.errors import Aborted, InvalidArgument, NotFound
from services.runtime.resource_names import ASSET_ID, asset_name, is_valid_id, parse_asset, parse_project, parse_revision

_LOGGER = logging.getLogger(__name__)

MAX_TITLE_CHARS = 200
UPDATABLE_FIELDS = ("title", "format", "content")
MAX_UPDATE_ATTEMPTS = 3
_FORMAT_ENUM = planner_pb2.ScriptFormat.DESCRIPTOR


def _format_of(script: planner_pb2.Script, field: str) -> ScriptFormat:
    try:
        return ScriptFormat(enum_suffix(_FORMAT_ENUM, script.format))
    except ValueError:
        raise InvalidArgument.for_field(field, f"unknown script format {script.format}", "INVALID_SCRIPT_FORMAT") from None


def described(script: planner_pb2.Script) -> planner_pb2.Script:
    """The script to store: title, format and content, plus what parsing
    finds. INVALID_ARGUMENT (``script.content``, ``script.title``,
    ``script.format``) for an empty or oversized content, a title over 200
    characters or an unknown format."""
    if len(script.title) > MAX_TITLE_CHARS:
        raise InvalidArgument.for_field("script.title", f"must be at most {MAX_TITLE_CHARS} characters", "TITLE_TOO_LONG")
    parsed = parse_script(script.content, _format_of(script, "script.format"), script.title.strip())
    return planner_pb2.Script(
        title=(script.title.strip() or parsed.title)[:MAX_TITLE_CHARS],
        format=script.format,
        content=script.content,
        title_page=parsed.title_page,
        scene_count=len(parsed.scenes),
        page_estimate=parsed.page_estimate,
        character_cues=parsed.character_cues,
        detected_format=enum_number(_FORMAT_ENUM, parsed.format.value),
    )


def _output(revision: storage_pb2.Revision, payload: planner_pb2.Script, asset: storage_pb2.Asset | None) -> planner_pb2.Script:
    script = planner_pb2.Script()
    script.CopyFrom(payload)
    parsed = parse_revision(revision.name)
    script.name = asset_name(parsed.project, parsed.asset)
    script.revision = revision.name
    script.etag = asset.etag if asset is not None and asset.head_revision == revision.name else ""
    return script


class ScriptAssets:
    """CreateScript, UpdateScript and GetScript over storage."""

    def __init__(self, store: PlannerStore) -> None:
        self._store = store

    async def create(self, parent: str, script: planner_pb2.Script, script_id: str, request_id: str) -> planner_pb2.Script:
        project = f"projects/{parse_project(parent, 'parent')}"
        rid = checked_request_id(request_id)
        if script_id and not is_valid_id(ASSET_ID, script_id):
            raise InvalidArgument.for_field("script_id", f"{script_id[:80]!r} must match {ASSET_ID}", "INVALID_NAME")
        payload = await asyncio.to_thread(described, script)
        asset = await self._store.create_asset(
            project, storage_pb2.ASSET_KIND_SCRIPT, asset_id=script_id, request_id=child_request_id(rid, "script-asset"),
            display_name=payload.title,
        )
        require_kind(asset, storage_pb2.ASSET_KIND_SCRIPT, "script_id")
        revision = await self._store.append(asset.name, payload, request_id=child_request_id(rid, "script"), message="script created")
        return await self._answer(revision)

    async def update(self, script: planner_pb2.Script, paths: list[str], request_id: str) -> planner_pb2.Script:
        name = asset_name(*parse_asset(script.name, "script.name"))
        rid = checked_request_id(request_id)
        if not paths:
            raise InvalidArgument.for_field("update_mask", f"name the fields to change: {', '.join(UPDATABLE_FIELDS)}", "UPDATE_MASK_REQUIRED")
        for i, path in enumerate(paths):
            if path not in UPDATABLE_FIELDS:
                raise InvalidArgument.for_field(f"update_mask.paths[{i}]", f"{path[:80]!r} is not one of {', '.join(UPDATABLE_FIELDS)}", "INVALID_UPDATE_MASK")
        for attempt in range(1, MAX_UPDATE_ATTEMPTS + 1):
            asset = await self._store.get_asset(name)
            require_kind(asset, storage_pb2.ASSET_KIND_SCRIPT, "script.name")
            merged = planner_pb2.Script()
            if asset.revision_count:
                _, head = await self._store.read(f"{name}/revisions/latest", planner_pb2.Script, field="script.name", what="a script")
                merged.CopyFrom(head)
            for path in paths:
                setattr(merged, path, getattr(script, path))
            payload = await asyncio.to_thread(described, merged)
            try:
                revision = await self._store.append(
                    name, payload, request_id=child_request_id(rid, "script"), message=f"updated {', '.join(paths)}",
                    expected_etag=script.etag, expected_revision_count=0 if script.etag else asset.revision_count,
                )
            except Aborted:
                if script.etag or attempt == MAX_UPDATE_ATTEMPTS:
                    raise
                _LOGGER.info("script %s changed while it was updated; merging again (attempt %d)", name, attempt)
                continue
            return await self._answer(revision)
        raise AssertionError("unreachable")

    async def get(self, name: str) -> planner_pb2.Script:
        revision_name = self._store.head_or_revision(name, "name")
        revision, payload = await self._store.read(revision_name, planner_pb2.Script, field="name", what="a script")
        parsed = parse_revision(revision.name)
        try:
            asset = await self._store.get_asset(asset_name(parsed.project, parsed.asset))
        except NotFound:  # soft-deleted: the revision stays readable
            asset = None
        return _output(revision, payload, asset)

    async def _answer(self, revision: storage_pb2.Revision) -> planner_pb2.Script:
        payload = planner_pb2.Script()
        revision.payload.Unpack(payload)
        parsed = parse_revision(revision.name)
        asset = await self._store.get_asset(asset_name(parsed.project, parsed.asset))
        return _output(revision, payload, asset)
