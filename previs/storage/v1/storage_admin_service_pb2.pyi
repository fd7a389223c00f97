from previs.storage.v1 import storage_pb2 as _storage_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class RecordSpendRequest(_message.Message):
    __slots__ = ("name", "delta_usd", "enforce_budget", "request_id", "memo")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DELTA_USD_FIELD_NUMBER: _ClassVar[int]
    ENFORCE_BUDGET_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    MEMO_FIELD_NUMBER: _ClassVar[int]
    name: str
    delta_usd: float
    enforce_budget: bool
    request_id: str
    memo: str
    def __init__(self, name: _Optional[str] = ..., delta_usd: _Optional[float] = ..., enforce_budget: _Optional[bool] = ..., request_id: _Optional[str] = ..., memo: _Optional[str] = ...) -> None: ...

class CollectGarbageRequest(_message.Message):
    __slots__ = ("dry_run",)
    DRY_RUN_FIELD_NUMBER: _ClassVar[int]
    dry_run: bool
    def __init__(self, dry_run: _Optional[bool] = ...) -> None: ...

class CollectGarbageResponse(_message.Message):
    __slots__ = ("removed_blobs", "freed_bytes", "kept_blobs")
    REMOVED_BLOBS_FIELD_NUMBER: _ClassVar[int]
    FREED_BYTES_FIELD_NUMBER: _ClassVar[int]
    KEPT_BLOBS_FIELD_NUMBER: _ClassVar[int]
    removed_blobs: int
    freed_bytes: int
    kept_blobs: int
    def __init__(self, removed_blobs: _Optional[int] = ..., freed_bytes: _Optional[int] = ..., kept_blobs: _Optional[int] = ...) -> None: ...
