import datetime

from google.protobuf import any_pb2 as _any_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AssetKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    ASSET_KIND_UNSPECIFIED: _ClassVar[AssetKind]
    ASSET_KIND_SCRIPT: _ClassVar[AssetKind]
    ASSET_KIND_BRIEF: _ClassVar[AssetKind]
    ASSET_KIND_PLAN: _ClassVar[AssetKind]
    ASSET_KIND_SHOT_PLAN: _ClassVar[AssetKind]
    ASSET_KIND_CONTINUITY_REPORT: _ClassVar[AssetKind]
    ASSET_KIND_IMAGE: _ClassVar[AssetKind]
    ASSET_KIND_VIDEO: _ClassVar[AssetKind]
    ASSET_KIND_ANIMATIC: _ClassVar[AssetKind]
    ASSET_KIND_STORYBOARD_EXPORT: _ClassVar[AssetKind]
    ASSET_KIND_PLAN_EXPORT: _ClassVar[AssetKind]
    ASSET_KIND_LLM_TRACE: _ClassVar[AssetKind]
    ASSET_KIND_UPLOAD: _ClassVar[AssetKind]

class ReviewStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_STATUS_UNSPECIFIED: _ClassVar[ReviewStatus]
    REVIEW_STATUS_PENDING: _ClassVar[ReviewStatus]
    REVIEW_STATUS_ACCEPTED: _ClassVar[ReviewStatus]
    REVIEW_STATUS_REJECTED: _ClassVar[ReviewStatus]
ASSET_KIND_UNSPECIFIED: AssetKind
ASSET_KIND_SCRIPT: AssetKind
ASSET_KIND_BRIEF: AssetKind
ASSET_KIND_PLAN: AssetKind
ASSET_KIND_SHOT_PLAN: AssetKind
ASSET_KIND_CONTINUITY_REPORT: AssetKind
ASSET_KIND_IMAGE: AssetKind
ASSET_KIND_VIDEO: AssetKind
ASSET_KIND_ANIMATIC: AssetKind
ASSET_KIND_STORYBOARD_EXPORT: AssetKind
ASSET_KIND_PLAN_EXPORT: AssetKind
ASSET_KIND_LLM_TRACE: AssetKind
ASSET_KIND_UPLOAD: AssetKind
REVIEW_STATUS_UNSPECIFIED: ReviewStatus
REVIEW_STATUS_PENDING: ReviewStatus
REVIEW_STATUS_ACCEPTED: ReviewStatus
REVIEW_STATUS_REJECTED: ReviewStatus

class Project(_message.Message):
    __slots__ = ("name", "title", "owner", "labels", "budget_usd", "spent_usd", "tenant", "state", "create_time", "update_time", "delete_time", "etag")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Project.State]
        STATE_ACTIVE: _ClassVar[Project.State]
        STATE_DELETED: _ClassVar[Project.State]
    STATE_UNSPECIFIED: Project.State
    STATE_ACTIVE: Project.State
    STATE_DELETED: Project.State
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    OWNER_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    BUDGET_USD_FIELD_NUMBER: _ClassVar[int]
    SPENT_USD_FIELD_NUMBER: _ClassVar[int]
    TENANT_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    title: str
    owner: str
    labels: _containers.ScalarMap[str, str]
    budget_usd: float
    spent_usd: float
    tenant: str
    state: Project.State
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    delete_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., title: _Optional[str] = ..., owner: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., budget_usd: _Optional[float] = ..., spent_usd: _Optional[float] = ..., tenant: _Optional[str] = ..., state: _Optional[_Union[Project.State, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class Asset(_message.Message):
    __slots__ = ("name", "kind", "display_name", "labels", "head_revision", "revision_count", "head_review_status", "create_time", "update_time", "delete_time", "etag")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    HEAD_REVISION_FIELD_NUMBER: _ClassVar[int]
    REVISION_COUNT_FIELD_NUMBER: _ClassVar[int]
    HEAD_REVIEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    DELETE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: AssetKind
    display_name: str
    labels: _containers.ScalarMap[str, str]
    head_revision: str
    revision_count: int
    head_review_status: ReviewStatus
    create_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    delete_time: _timestamp_pb2.Timestamp
    etag: str
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[AssetKind, str]] = ..., display_name: _Optional[str] = ..., labels: _Optional[_Mapping[str, str]] = ..., head_revision: _Optional[str] = ..., revision_count: _Optional[int] = ..., head_review_status: _Optional[_Union[ReviewStatus, str]] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., delete_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ...) -> None: ...

class BlobRef(_message.Message):
    __slots__ = ("role", "blob", "media_type", "size_bytes")
    ROLE_FIELD_NUMBER: _ClassVar[int]
    BLOB_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    role: str
    blob: str
    media_type: str
    size_bytes: int
    def __init__(self, role: _Optional[str] = ..., blob: _Optional[str] = ..., media_type: _Optional[str] = ..., size_bytes: _Optional[int] = ...) -> None: ...

class ReviewEvent(_message.Message):
    __slots__ = ("status", "actor", "comment", "time")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ACTOR_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    status: ReviewStatus
    actor: str
    comment: str
    time: _timestamp_pb2.Timestamp
    def __init__(self, status: _Optional[_Union[ReviewStatus, str]] = ..., actor: _Optional[str] = ..., comment: _Optional[str] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class Revision(_message.Message):
    __slots__ = ("name", "revision_number", "payload", "blobs", "parents", "message", "creator", "create_time", "request_id", "review_status", "review_history", "labels")
    class LabelsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVISION_NUMBER_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    BLOBS_FIELD_NUMBER: _ClassVar[int]
    PARENTS_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    CREATOR_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_HISTORY_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    name: str
    revision_number: int
    payload: _any_pb2.Any
    blobs: _containers.RepeatedCompositeFieldContainer[BlobRef]
    parents: _containers.RepeatedScalarFieldContainer[str]
    message: str
    creator: str
    create_time: _timestamp_pb2.Timestamp
    request_id: str
    review_status: ReviewStatus
    review_history: _containers.RepeatedCompositeFieldContainer[ReviewEvent]
    labels: _containers.ScalarMap[str, str]
    def __init__(self, name: _Optional[str] = ..., revision_number: _Optional[int] = ..., payload: _Optional[_Union[_any_pb2.Any, _Mapping]] = ..., blobs: _Optional[_Iterable[_Union[BlobRef, _Mapping]]] = ..., parents: _Optional[_Iterable[str]] = ..., message: _Optional[str] = ..., creator: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., request_id: _Optional[str] = ..., review_status: _Optional[_Union[ReviewStatus, str]] = ..., review_history: _Optional[_Iterable[_Union[ReviewEvent, _Mapping]]] = ..., labels: _Optional[_Mapping[str, str]] = ...) -> None: ...

class Blob(_message.Message):
    __slots__ = ("name", "sha256", "size_bytes", "media_type", "create_time")
    NAME_FIELD_NUMBER: _ClassVar[int]
    SHA256_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    name: str
    sha256: str
    size_bytes: int
    media_type: str
    create_time: _timestamp_pb2.Timestamp
    def __init__(self, name: _Optional[str] = ..., sha256: _Optional[str] = ..., size_bytes: _Optional[int] = ..., media_type: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class LineageEntry(_message.Message):
    __slots__ = ("revision", "depth", "via")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    DEPTH_FIELD_NUMBER: _ClassVar[int]
    VIA_FIELD_NUMBER: _ClassVar[int]
    revision: Revision
    depth: int
    via: str
    def __init__(self, revision: _Optional[_Union[Revision, _Mapping]] = ..., depth: _Optional[int] = ..., via: _Optional[str] = ...) -> None: ...
