"""What the storage domain returns: plain records, converted to protobuf
messages only by the servicer."""

from __future__ import annotations

from dataclasses import dataclass, field

from services.runtime.request_context import CallIdentity

# Lifecycle and status numbers are the proto enum numbers (stored as is).
PROJECT_STATE_ACTIVE = 1
PROJECT_STATE_DELETED = 2

REVIEW_UNSPECIFIED = 0
REVIEW_PENDING = 1
REVIEW_ACCEPTED = 2
REVIEW_REJECTED = 3
REVIEW_STATUSES = (REVIEW_PENDING, REVIEW_ACCEPTED, REVIEW_REJECTED)

# AssetKind values 1..12 (ASSET_KIND_SCRIPT .. ASSET_KIND_UPLOAD).
ASSET_KINDS = range(1, 13)

Caller = CallIdentity


@dataclass(frozen=True)
class ProjectRecord:
    project_id: str
    tenant: str
    title: str
    owner: str
    labels: dict[str, str]
    budget_micros: int
    spent_micros: int
    version: int
    create_time_us: int
    update_time_us: int
    delete_time_us: int | None

    @property
    def deleted(self) -> bool:
        return self.delete_time_us is not None


@dataclass(frozen=True)
class AssetRecord:
    project_id: str
    asset_id: str
    kind: int
    display_name: str
    labels: dict[str, str]
    revision_count: int
    head_review_status: int
    version: int
    create_time_us: int
    update_time_us: int
    delete_time_us: int | None


@dataclass(frozen=True)
class BlobRefRecord:
    role: str
    sha256: str
    media_type: str
    size_bytes: int


@dataclass(frozen=True)
class ReviewEventRecord:
    status: int
    actor: str
    comment: str
    time_us: int


@dataclass(frozen=True)
class RevisionRecord:
    project_id: str
    asset_id: str
    number: int
    payload_type_url: str
    payload_value: bytes
    blobs: list[BlobRefRecord]
    parents: list[str]
    labels: dict[str, str]
    message: str
    creator: str
    request_id: str
    review_status: int
    create_time_us: int
    review_history: list[ReviewEventRecord] = field(default_factory=list)


@dataclass(frozen=True)
class BlobRecord:
    project_id: str
    sha256: str
    size_bytes: int
    media_type: str
    create_time_us: int


@dataclass(frozen=True)
class LineageEntryRecord:
    revision: RevisionRecord
    depth: int
    via: str


@dataclass(frozen=True)
class Page:
    """One page of a list and the token of the next one ("" on the last)."""

    items: list
    next_page_token: str
