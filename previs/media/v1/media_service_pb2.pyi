import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from previs.media.v1 import media_pb2 as _media_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class GenerateFramesRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.FramesSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.FramesSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GenerateCharacterReferenceRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.CharacterReferenceSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.CharacterReferenceSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GenerateImageRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.ImageSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.ImageSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GenerateVideoRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.VideoSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.VideoSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class AcceptImageRequest(_message.Message):
    __slots__ = ("revision", "comment")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    COMMENT_FIELD_NUMBER: _ClassVar[int]
    revision: str
    comment: str
    def __init__(self, revision: _Optional[str] = ..., comment: _Optional[str] = ...) -> None: ...

class AcceptImageResponse(_message.Message):
    __slots__ = ("revision", "review_status", "review_time")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    REVIEW_TIME_FIELD_NUMBER: _ClassVar[int]
    revision: str
    review_status: _media_pb2.ReviewStatus
    review_time: _timestamp_pb2.Timestamp
    def __init__(self, revision: _Optional[str] = ..., review_status: _Optional[_Union[_media_pb2.ReviewStatus, str]] = ..., review_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class EditImageRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.ImageEditSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.ImageEditSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RegenerateImageRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.ImageRegenerateSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.ImageRegenerateSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class RenderAnimaticRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.AnimaticSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.AnimaticSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class ExportStoryboardRequest(_message.Message):
    __slots__ = ("parent", "spec", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SPEC_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    spec: _media_pb2.StoryboardExportSpec
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., spec: _Optional[_Union[_media_pb2.StoryboardExportSpec, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ListJobsRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "states", "kinds")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    STATES_FIELD_NUMBER: _ClassVar[int]
    KINDS_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    states: _containers.RepeatedScalarFieldContainer[_media_pb2.Job.State]
    kinds: _containers.RepeatedScalarFieldContainer[_media_pb2.JobKind]
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., states: _Optional[_Iterable[_Union[_media_pb2.Job.State, str]]] = ..., kinds: _Optional[_Iterable[_Union[_media_pb2.JobKind, str]]] = ...) -> None: ...

class ListJobsResponse(_message.Message):
    __slots__ = ("jobs", "next_page_token")
    JOBS_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    jobs: _containers.RepeatedCompositeFieldContainer[_media_pb2.Job]
    next_page_token: str
    def __init__(self, jobs: _Optional[_Iterable[_Union[_media_pb2.Job, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class CancelJobRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class WatchJobRequest(_message.Message):
    __slots__ = ("name", "after_sequence")
    NAME_FIELD_NUMBER: _ClassVar[int]
    AFTER_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    name: str
    after_sequence: int
    def __init__(self, name: _Optional[str] = ..., after_sequence: _Optional[int] = ...) -> None: ...
