"""The planner's resources as storage assets and revisions.

Scripts, plans, shot plans, continuity reports, plan exports and LLM traces
are revisions of assets of the matching ``AssetKind``; each payload is the
planner message (``Script``, ``Plan``, ``ShotPlan``...) packed in an
``Any``, and each revision names the revisions it was made from as its
lineage parents. Everything goes through the storage service's typed
client; storage failures come back as domain errors
(:mod:`services.runtime.upstream_errors`), so NOT_FOUND, ABORTED and
UNAVAILABLE reach the planner's caller unchanged.

Idempotency: every write carries a request id. Storage answers a repeated
``(asset, request_id)`` with the original revision, and a repeated
``(project, request_id)`` asset create with the original asset, so a
retried planner call writes nothing new. :func:`child_request_id` derives
the ids of the several writes of one call.

Plans and shot plans are immutable once stored, so decoded ones are cached
by (tenant, numeric revision name): media asks for a render prompt per
frame and should not pay for a storage round trip and a decode each time.
The tenant is part of the key, so the cache never answers for another
tenant (storage decides what a tenant may read).
"""

from __future__ import annotations

import asyncio
import collections
import hashlib
import tempfile
import uuid
from pathlib import Path
from typing import Mapping, Sequence, TypeVar

from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError

from previs.planner.v1 import planner_pb2
from previs.storage.v1 import storage_pb2
from previs.storage.v1 import storage_service_pb2 as storage_rpc
from services.planner.continuity import ContinuityReport
from services.planner.plan import Plan
from services.planner.plan_protos import to_message, to_model
from services.planner.shot_plan import ShotPlan
from services.planner.text_limits import fitted
from services.runtime.upstream_errors import translated
from services.runtime.errors import Aborted, FailedPrecondition, InvalidArgument, NotFound
from services.runtime.request_context import current_identity
from services.runtime.resource_names import (
    ASSET_ID,
    asset_name,
    is_valid_id,
    parse_asset,
    parse_revision,
    project_name,
)
from services.storage.storage_client import StorageClient

MAX_REQUEST_ID_CHARS = 128
TRACE_ASSET_ID = "llm-traces"
MAX_RETRY_LOOKBACK = 20
KIND_NAMES = {value.number: value.name.removeprefix("ASSET_KIND_").lower() for value in storage_pb2.AssetKind.DESCRIPTOR.values}

ModelT = TypeVar("ModelT", bound=BaseModel)


def new_request_id() -> str:
    return uuid.uuid4().hex


def checked_request_id(request_id: str, field: str = "request_id") -> str:
    """The caller's idempotency key, or a fresh one (the call is then not
    retryable, but its own writes stay consistent)."""
    if len(request_id) > MAX_REQUEST_ID_CHARS:
        raise InvalidArgument.for_field(field, f"must be at most {MAX_REQUEST_ID_CHARS} characters", "REQUEST_ID_TOO_LONG")
    return request_id or new_request_id()


def child_request_id(request_id: str, part: str) -> str:
    """The request id of one write of a call: ``{request_id}:{part}``, or a
    digest of the request id when that would be too long for storage."""
    candidate = f"{request_id}:{part}"
    if len(candidate) <= MAX_REQUEST_ID_CHARS:
        return candidate
    digest = hashlib.sha256(request_id.encode()).hexdigest()[:40]
    return f"{digest}:{part}"[:MAX_REQUEST_ID_CHARS]


def _keyed_request_id(purpose: str, key: str) -> str:
    return f"{purpose}:{hashlib.sha256(key.encode()).hexdigest()[:48]}"


def revision_asset(revision: str) -> str:
    """``projects/p/assets/a/revisions/3`` -> ``projects/p/assets/a``."""
    parsed = parse_revision(revision)
    return asset_name(parsed.project, parsed.asset)


def project_of(name: str) -> str:
    return project_name(name.split("/")[1])


class _Cache:
    """A small LRU of decoded immutable revisions, keyed by tenant, name
    and model type: a plan read of a shot-plan revision never finds the
    shot plan (it goes to storage and gets WRONG_RESOURCE_KIND)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: collections.OrderedDict[tuple[str, str, type], BaseModel] = collections.OrderedDict()

    def get(self, name: str, model_type: type[ModelT]) -> ModelT | None:
        key = (current_identity().tenant, name, model_type)
        found = self._items.get(key)
        if found is not None:
            self._items.move_to_end(key)
        return found  # type: ignore[return-value]

    def put(self, name: str, value: BaseModel) -> None:
        if self._size <= 0:
            return
        key = (current_identity().tenant, name, type(value))
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self._size:
            self._items.popitem(last=False)


class PlannerStore:
    """Typed reads and writes of planner resources through storage."""

    def __init__(self, client: StorageClient, *, cache_size: int = 64) -> None:
        self._client = client
        self._cache = _Cache(cache_size)
        self._loading: dict[tuple[str, str, type, str], asyncio.Future] = {}
        self._known_assets: dict[tuple[str, str], str] = {}

    # ------------------------------------------------------------ assets
    async def create_asset(
        self,
        project: str,
        kind: int,
        *,
        request_id: str,
        asset_id: str = "",
        display_name: str = "",
        labels: Mapping[str, str] | None = None,
    ) -> storage_pb2.Asset:
        """A new asset (ALREADY_EXISTS if ``asset_id`` is taken); a retry
        with the same ``request_id`` returns the first one."""
        request = storage_rpc.CreateAssetRequest(
            parent=project,
            asset=storage_pb2.Asset(kind=kind, display_name=display_name[:200], labels=dict(labels or {})),
            asset_id=asset_id,
            request_id=request_id,
        )
        with translated("storage"):
            return await self._client.stub.CreateAsset(request)

    async def asset_for_output(
        self, project: str, kind: int, asset_id: str, *, field: str, request_id: str, display_name: str = ""
    ) -> storage_pb2.Asset:
        """Where a generated output goes: the named asset when it exists
        (it must hold ``kind``), a new asset with that id otherwise, or a
        new asset with a generated id when ``asset_id`` is empty."""
        if not asset_id:
            return await self.create_asset(project, kind, request_id=request_id, display_name=display_name)
        if not is_valid_id(ASSET_ID, asset_id):
            raise InvalidArgument.for_field(field, f"{asset_id[:80]!r} must match {ASSET_ID}", "INVALID_NAME")
        with translated("storage"):
            asset = await self._client.ensure_asset(project, asset_id, kind, display_name=display_name[:200])
        require_kind(asset, kind, field)
        return asset

    async def get_asset(self, name: str) -> storage_pb2.Asset:
        with translated("storage"):
            return await self._client.stub.GetAsset(storage_rpc.GetAssetRequest(name=name))

    async def keyed_asset(self, project: str, kind: int, key: str, *, display_name: str, labels: Mapping[str, str]) -> str:
        """The one asset of ``kind`` that belongs to ``key`` (e.g. the
        continuity reports of a shot plan asset), created on first use. The
        asset create's request id is derived from the key, so storage's
        idempotency makes this a get-or-create that concurrent callers
        agree on."""
        cache_key = (current_identity().tenant, f"{kind}:{project}:{key}")
        known = self._known_assets.get(cache_key)
        if known is not None:
            return known
        asset = await self.create_asset(
            project, kind, request_id=_keyed_request_id(KIND_NAMES.get(kind, "asset"), key),
            display_name=display_name, labels=labels,
        )
        self._known_assets[cache_key] = asset.name
        return asset.name

    async def trace_asset(self, project: str) -> str:
        """The project's LLM trace asset, created on first use."""
        cache_key = (current_identity().tenant, f"traces:{project}")
        known = self._known_assets.get(cache_key)
        if known is not None:
            return known
        with translated("storage"):
            asset = await self._client.ensure_asset(
                project, TRACE_ASSET_ID, storage_pb2.ASSET_KIND_LLM_TRACE, display_name="LLM calls of the planner"
            )
        require_kind(asset, storage_pb2.ASSET_KIND_LLM_TRACE, TRACE_ASSET_ID)
        self._known_assets[cache_key] = asset.name
        return asset.name

    # ------------------------------------------------------------ revisions
    async def append(
        self,
        asset: str,
        payload: Message,
        *,
        request_id: str,
        parents: Sequence[str] = (),
        blobs: Sequence[tuple[str, str]] = (),
        labels: Mapping[str, str] | None = None,
        message: str = "",
        expected_revision_count: int = 0,
        expected_etag: str = "",
    ) -> storage_pb2.Revision:
        """Appends a revision holding ``payload``; ABORTED when an
        expectation is stale, unless the write is a retry of one that
        already landed: then the original revision."""
        try:
            with translated("storage"):
                if not expected_etag:
                    return await self._client.append_revision(
                        asset, payload, blobs=blobs, parents=list(dict.fromkeys(parents)), message=message,
                        labels=labels, request_id=request_id, expected_revision_count=expected_revision_count,
                    )
                revision = storage_pb2.Revision(
                    blobs=[storage_pb2.BlobRef(role=role, blob=blob) for role, blob in blobs],
                    parents=list(dict.fromkeys(parents)), message=message, labels=dict(labels or {}),
                )
                revision.payload.Pack(payload)
                return await self._client.stub.CreateRevision(
                    storage_rpc.CreateRevisionRequest(
                        parent=asset, revision=revision, request_id=request_id,
                        expected_revision_count=expected_revision_count, expected_etag=expected_etag,
                    )
                )
        except Aborted:
            earlier = await self._earlier_write(asset, request_id, expected_revision_count)
            if earlier is None:
                raise
            return earlier

    async def _earlier_write(self, asset: str, request_id: str, expected_revision_count: int) -> storage_pb2.Revision | None:
        """The revision an earlier attempt of this write stored, if any.

        Storage answers a repeated request id with the original revision,
        but whether it checks the request id before a stale expectation is
        its business; this makes a retried conditional write return the
        original either way. The original is the revision right after the
        expected count, or (for an etag) one of the last few revisions."""
        if expected_revision_count:
            candidates = [expected_revision_count + 1]
        else:
            head = (await self.get_asset(asset)).revision_count
            candidates = list(range(head, max(0, head - MAX_RETRY_LOOKBACK), -1))
        for number in candidates:
            try:
                with translated("storage"):
                    revision = await self._client.get_revision(f"{asset}/revisions/{number}")
            except NotFound:
                continue
            if revision.request_id == request_id:
                return revision
        return None

    async def read(self, name: str, message_type: type[Message], *, field: str, what: str) -> tuple[storage_pb2.Revision, Message]:
        """The revision ``name`` (a number or ``latest``) and its payload,
        which must be a ``message_type``."""
        parse_revision(name, field)
        with translated("storage"):
            revision = await self._client.get_revision(name)
        try:
            return revision, self._client.payload(revision, message_type)
        except ValueError:
            raise InvalidArgument.for_field(
                field, f"{revision.name} is not {what} (it holds {revision.payload.type_url.rsplit('/', 1)[-1] or 'no payload'})",
                "WRONG_RESOURCE_KIND",
            ) from None

    @staticmethod
    def head_or_revision(name: str, field: str) -> str:
        """A revision name for ``name``, which may also be an asset (its head)."""
        if "/revisions/" in name:
            parse_revision(name, field)
            return name
        parse_asset(name, field)
        return f"{name}/revisions/latest"

    async def _cached(self, name: str, message_type: type[Message], model_type: type[ModelT], *, field: str, what: str) -> ModelT:
        """The decoded revision, from the cache when the name is numeric.
        Concurrent misses for one revision (media rendering a scene's frames
        at once) share one read and one decode."""
        if parse_revision(name, field).is_latest:
            return await self._load(name, message_type, model_type, field=field, what=what)
        found = self._cache.get(name, model_type)
        if found is not None:
            return found
        key = (current_identity().tenant, name, model_type, field)  # an error names the caller's field
        loading = self._loading.get(key)
        if loading is None:
            loading = asyncio.ensure_future(self._load(name, message_type, model_type, field=field, what=what))
            self._loading[key] = loading
            loading.add_done_callback(lambda done: self._loaded(key, done))
        return await asyncio.shield(loading)

    def _loaded(self, key: tuple[str, str, type, str], done: asyncio.Future) -> None:
        self._loading.pop(key, None)
        if not done.cancelled():
            done.exception()  # retrieved, even when every waiter was cancelled

    async def _load(self, name: str, message_type: type[Message], model_type: type[ModelT], *, field: str, what: str) -> ModelT:
        revision, message = await self.read(name, message_type, field=field, what=what)
        try:
            value = await asyncio.to_thread(to_model, message, model_type, extra={"revision": revision.name})
        except ValidationError as error:
            raise _unusable(revision.name, what, error) from None
        self._cache.put(revision.name, value)
        return value

    async def read_plan(self, name: str, field: str) -> Plan:
        """A plan revision (or plan asset: its head) as a domain plan whose
        ``revision`` is the numeric revision name."""
        return await self._cached(self.head_or_revision(name, field), planner_pb2.Plan, Plan, field=field, what="a plan")

    async def read_shot_plan(self, name: str, field: str) -> ShotPlan:
        return await self._cached(
            self.head_or_revision(name, field), planner_pb2.ShotPlan, ShotPlan, field=field, what="a shot plan"
        )

    async def store_plan(self, asset: str, plan: Plan, **write) -> Plan:
        """Stores ``plan`` (strings cut to their fields' limits, so the
        revision always decodes again); returns the stored plan (on a retry:
        the plan stored the first time) with its revision name."""
        plan = await asyncio.to_thread(fitted, plan)
        revision = await self.append(asset, to_message(plan, planner_pb2.Plan, exclude={"revision"}), **write)
        return self._decoded(revision, planner_pb2.Plan, Plan)

    async def store_shot_plan(self, asset: str, shot_plan: ShotPlan, **write) -> ShotPlan:
        shot_plan = await asyncio.to_thread(fitted, shot_plan)
        revision = await self.append(asset, to_message(shot_plan, planner_pb2.ShotPlan, exclude={"revision"}), **write)
        return self._decoded(revision, planner_pb2.ShotPlan, ShotPlan)

    async def store_report(self, asset: str, report: ContinuityReport, **write) -> ContinuityReport:
        report = await asyncio.to_thread(fitted, report)
        revision = await self.append(asset, to_message(report, planner_pb2.ContinuityReport, exclude={"revision"}), **write)
        return self._decoded(revision, planner_pb2.ContinuityReport, ContinuityReport)

    def _decoded(self, revision: storage_pb2.Revision, message_type: type[Message], model_type: type[ModelT]) -> ModelT:
        value = to_model(self._client.payload(revision, message_type), model_type, extra={"revision": revision.name})
        if isinstance(value, (Plan, ShotPlan)):
            self._cache.put(revision.name, value)
        return value

    async def list_revisions(self, asset: str, *, page_size: int, page_token: str) -> storage_rpc.ListRevisionsResponse:
        with translated("storage"):
            return await self._client.stub.ListRevisions(
                storage_rpc.ListRevisionsRequest(parent=asset, page_size=page_size, page_token=page_token)
            )

    async def get_revision(self, name: str, field: str) -> storage_pb2.Revision:
        parse_revision(name, field)
        with translated("storage"):
            return await self._client.get_revision(name)

    async def newest_shot_plan_of(self, plan_revision: str) -> ShotPlan | None:
        """The newest shot plan made from ``plan_revision`` (a lineage
        child, or the repair of one), or None."""
        with translated("storage"):
            walk = await self._client.stub.WalkLineage(
                storage_rpc.WalkLineageRequest(
                    name=plan_revision, direction=storage_rpc.LINEAGE_DIRECTION_DESCENDANTS, max_depth=2, page_size=1000
                )
            )
        newest: storage_pb2.Revision | None = None
        for entry in walk.entries:
            revision = entry.revision
            if revision.payload.Is(planner_pb2.ShotPlan.DESCRIPTOR) and (
                newest is None or revision.create_time.ToNanoseconds() >= newest.create_time.ToNanoseconds()
            ):
                newest = revision
        if newest is None:
            return None
        return await self.read_shot_plan(newest.name, "plan_revision")

    async def get_project(self, project: str) -> storage_pb2.Project:
        with translated("storage"):
            return await self._client.stub.GetProject(storage_rpc.GetProjectRequest(name=project))

    # ------------------------------------------------------------ blobs
    async def get_blob(self, name: str) -> storage_pb2.Blob:
        with translated("storage"):
            return await self._client.stub.GetBlob(storage_rpc.GetBlobRequest(name=name))

    async def upload_bytes(self, project: str, content: bytes, media_type: str) -> storage_pb2.Blob:
        """Uploads ``content`` as a blob (content-addressed, so a retry
        stores nothing new)."""
        with tempfile.TemporaryDirectory(prefix="previs-planner-") as folder:
            path = Path(folder) / "upload"
            await asyncio.to_thread(path.write_bytes, content)
            with translated("storage"):
                return await self._client.upload_file(project, path, media_type)


def _unusable(revision: str, what: str, error: ValidationError) -> FailedPrecondition:
    """A payload of the right type that the planner cannot use (written to
    storage by something other than the planner)."""
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "(root)"
    return FailedPrecondition(
        f"{revision} holds {what} the planner cannot use: {where}: {first['msg']}",
        reason="INVALID_STORED_PAYLOAD", metadata={"revision": revision, "field": where},
    )


def require_kind(asset: storage_pb2.Asset, kind: int, field: str) -> None:
    if asset.kind != kind:
        raise InvalidArgument.for_field(
            field,
            f"{asset.name} holds {KIND_NAMES.get(asset.kind, 'something else')} revisions, not {KIND_NAMES.get(kind, kind)}",
            "WRONG_RESOURCE_KIND",
        )
