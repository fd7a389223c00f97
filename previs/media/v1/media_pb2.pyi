import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class JobKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_KIND_UNSPECIFIED: _ClassVar[JobKind]
    JOB_KIND_FRAMES: _ClassVar[JobKind]
    JOB_KIND_CHARACTER_REFERENCE: _ClassVar[JobKind]
    JOB_KIND_IMAGE: _ClassVar[JobKind]
    JOB_KIND_VIDEO: _ClassVar[JobKind]
    JOB_KIND_IMAGE_EDIT: _ClassVar[JobKind]
    JOB_KIND_IMAGE_REGENERATE: _ClassVar[JobKind]
    JOB_KIND_ANIMATIC: _ClassVar[JobKind]
    JOB_KIND_STORYBOARD_EXPORT: _ClassVar[JobKind]

class Backend(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BACKEND_UNSPECIFIED: _ClassVar[Backend]
    BACKEND_LOCAL: _ClassVar[Backend]
    BACKEND_REPLICATE: _ClassVar[Backend]
    BACKEND_GEMINI: _ClassVar[Backend]

class JobErrorReason(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    JOB_ERROR_REASON_UNSPECIFIED: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_CONTENT_POLICY_VIOLATION: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_RATE_LIMITED: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_BACKEND_UNAVAILABLE: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_INVALID_INPUT: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_TIMEOUT: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_BUDGET_EXCEEDED: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_CANCELLED: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_INVALID_OUTPUT: _ClassVar[JobErrorReason]
    JOB_ERROR_REASON_INTERNAL: _ClassVar[JobErrorReason]

class ImageType(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMAGE_TYPE_UNSPECIFIED: _ClassVar[ImageType]
    IMAGE_TYPE_STYLE_FRAME: _ClassVar[ImageType]
    IMAGE_TYPE_CHARACTER_REFERENCE: _ClassVar[ImageType]
    IMAGE_TYPE_LOCATION_REFERENCE: _ClassVar[ImageType]
    IMAGE_TYPE_SHOT_FRAME: _ClassVar[ImageType]
    IMAGE_TYPE_FREE: _ClassVar[ImageType]

class SafetyFilterLevel(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SAFETY_FILTER_LEVEL_UNSPECIFIED: _ClassVar[SafetyFilterLevel]
    SAFETY_FILTER_LEVEL_BLOCK_LOW_AND_ABOVE: _ClassVar[SafetyFilterLevel]
    SAFETY_FILTER_LEVEL_BLOCK_MEDIUM_AND_ABOVE: _ClassVar[SafetyFilterLevel]
    SAFETY_FILTER_LEVEL_BLOCK_ONLY_HIGH: _ClassVar[SafetyFilterLevel]

class PersonGeneration(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PERSON_GENERATION_UNSPECIFIED: _ClassVar[PersonGeneration]
    PERSON_GENERATION_DONT_ALLOW: _ClassVar[PersonGeneration]
    PERSON_GENERATION_ALLOW_ADULT: _ClassVar[PersonGeneration]
    PERSON_GENERATION_ALLOW_ALL: _ClassVar[PersonGeneration]

class ImageFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    IMAGE_FORMAT_UNSPECIFIED: _ClassVar[ImageFormat]
    IMAGE_FORMAT_PNG: _ClassVar[ImageFormat]
    IMAGE_FORMAT_JPEG: _ClassVar[ImageFormat]

class StoryboardFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    STORYBOARD_FORMAT_UNSPECIFIED: _ClassVar[StoryboardFormat]
    STORYBOARD_FORMAT_PDF: _ClassVar[StoryboardFormat]
    STORYBOARD_FORMAT_CSV: _ClassVar[StoryboardFormat]
    STORYBOARD_FORMAT_JSON: _ClassVar[StoryboardFormat]

class PageSize(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PAGE_SIZE_UNSPECIFIED: _ClassVar[PageSize]
    PAGE_SIZE_A4: _ClassVar[PageSize]
    PAGE_SIZE_LETTER: _ClassVar[PageSize]

class ReviewStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    REVIEW_STATUS_UNSPECIFIED: _ClassVar[ReviewStatus]
    REVIEW_STATUS_PENDING: _ClassVar[ReviewStatus]
    REVIEW_STATUS_ACCEPTED: _ClassVar[ReviewStatus]
    REVIEW_STATUS_REJECTED: _ClassVar[ReviewStatus]
JOB_KIND_UNSPECIFIED: JobKind
JOB_KIND_FRAMES: JobKind
JOB_KIND_CHARACTER_REFERENCE: JobKind
JOB_KIND_IMAGE: JobKind
JOB_KIND_VIDEO: JobKind
JOB_KIND_IMAGE_EDIT: JobKind
JOB_KIND_IMAGE_REGENERATE: JobKind
JOB_KIND_ANIMATIC: JobKind
JOB_KIND_STORYBOARD_EXPORT: JobKind
BACKEND_UNSPECIFIED: Backend
BACKEND_LOCAL: Backend
BACKEND_REPLICATE: Backend
BACKEND_GEMINI: Backend
JOB_ERROR_REASON_UNSPECIFIED: JobErrorReason
JOB_ERROR_REASON_CONTENT_POLICY_VIOLATION: JobErrorReason
JOB_ERROR_REASON_RATE_LIMITED: JobErrorReason
JOB_ERROR_REASON_BACKEND_UNAVAILABLE: JobErrorReason
JOB_ERROR_REASON_INVALID_INPUT: JobErrorReason
JOB_ERROR_REASON_TIMEOUT: JobErrorReason
JOB_ERROR_REASON_BUDGET_EXCEEDED: JobErrorReason
JOB_ERROR_REASON_CANCELLED: JobErrorReason
JOB_ERROR_REASON_INVALID_OUTPUT: JobErrorReason
JOB_ERROR_REASON_INTERNAL: JobErrorReason
IMAGE_TYPE_UNSPECIFIED: ImageType
IMAGE_TYPE_STYLE_FRAME: ImageType
IMAGE_TYPE_CHARACTER_REFERENCE: ImageType
IMAGE_TYPE_LOCATION_REFERENCE: ImageType
IMAGE_TYPE_SHOT_FRAME: ImageType
IMAGE_TYPE_FREE: ImageType
SAFETY_FILTER_LEVEL_UNSPECIFIED: SafetyFilterLevel
SAFETY_FILTER_LEVEL_BLOCK_LOW_AND_ABOVE: SafetyFilterLevel
SAFETY_FILTER_LEVEL_BLOCK_MEDIUM_AND_ABOVE: SafetyFilterLevel
SAFETY_FILTER_LEVEL_BLOCK_ONLY_HIGH: SafetyFilterLevel
PERSON_GENERATION_UNSPECIFIED: PersonGeneration
PERSON_GENERATION_DONT_ALLOW: PersonGeneration
PERSON_GENERATION_ALLOW_ADULT: PersonGeneration
PERSON_GENERATION_ALLOW_ALL: PersonGeneration
IMAGE_FORMAT_UNSPECIFIED: ImageFormat
IMAGE_FORMAT_PNG: ImageFormat
IMAGE_FORMAT_JPEG: ImageFormat
STORYBOARD_FORMAT_UNSPECIFIED: StoryboardFormat
STORYBOARD_FORMAT_PDF: StoryboardFormat
STORYBOARD_FORMAT_CSV: StoryboardFormat
STORYBOARD_FORMAT_JSON: StoryboardFormat
PAGE_SIZE_UNSPECIFIED: PageSize
PAGE_SIZE_A4: PageSize
PAGE_SIZE_LETTER: PageSize
REVIEW_STATUS_UNSPECIFIED: ReviewStatus
REVIEW_STATUS_PENDING: ReviewStatus
REVIEW_STATUS_ACCEPTED: ReviewStatus
REVIEW_STATUS_REJECTED: ReviewStatus

class Job(_message.Message):
    __slots__ = ("name", "kind", "state", "progress", "current_stage", "message", "stages", "items", "cost", "error", "output_revisions", "request_id", "create_time", "start_time", "end_time", "update_time", "etag", "last_event_sequence", "frames", "character_reference", "image", "video", "image_edit", "image_regenerate", "animatic", "storyboard_export")
    class State(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        STATE_UNSPECIFIED: _ClassVar[Job.State]
        STATE_QUEUED: _ClassVar[Job.State]
        STATE_RUNNING: _ClassVar[Job.State]
        STATE_SUCCEEDED: _ClassVar[Job.State]
        STATE_FAILED: _ClassVar[Job.State]
        STATE_CANCELLED: _ClassVar[Job.State]
    STATE_UNSPECIFIED: Job.State
    STATE_QUEUED: Job.State
    STATE_RUNNING: Job.State
    STATE_SUCCEEDED: Job.State
    STATE_FAILED: Job.State
    STATE_CANCELLED: Job.State
    NAME_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CURRENT_STAGE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STAGES_FIELD_NUMBER: _ClassVar[int]
    ITEMS_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_TIME_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    UPDATE_TIME_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    LAST_EVENT_SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_REFERENCE_FIELD_NUMBER: _ClassVar[int]
    IMAGE_FIELD_NUMBER: _ClassVar[int]
    VIDEO_FIELD_NUMBER: _ClassVar[int]
    IMAGE_EDIT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_REGENERATE_FIELD_NUMBER: _ClassVar[int]
    ANIMATIC_FIELD_NUMBER: _ClassVar[int]
    STORYBOARD_EXPORT_FIELD_NUMBER: _ClassVar[int]
    name: str
    kind: JobKind
    state: Job.State
    progress: float
    current_stage: str
    message: str
    stages: _containers.RepeatedCompositeFieldContainer[JobStage]
    items: _containers.RepeatedCompositeFieldContainer[JobItem]
    cost: JobCost
    error: JobError
    output_revisions: _containers.RepeatedScalarFieldContainer[str]
    request_id: str
    create_time: _timestamp_pb2.Timestamp
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    update_time: _timestamp_pb2.Timestamp
    etag: str
    last_event_sequence: int
    frames: FramesSpec
    character_reference: CharacterReferenceSpec
    image: ImageSpec
    video: VideoSpec
    image_edit: ImageEditSpec
    image_regenerate: ImageRegenerateSpec
    animatic: AnimaticSpec
    storyboard_export: StoryboardExportSpec
    def __init__(self, name: _Optional[str] = ..., kind: _Optional[_Union[JobKind, str]] = ..., state: _Optional[_Union[Job.State, str]] = ..., progress: _Optional[float] = ..., current_stage: _Optional[str] = ..., message: _Optional[str] = ..., stages: _Optional[_Iterable[_Union[JobStage, _Mapping]]] = ..., items: _Optional[_Iterable[_Union[JobItem, _Mapping]]] = ..., cost: _Optional[_Union[JobCost, _Mapping]] = ..., error: _Optional[_Union[JobError, _Mapping]] = ..., output_revisions: _Optional[_Iterable[str]] = ..., request_id: _Optional[str] = ..., create_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., update_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., etag: _Optional[str] = ..., last_event_sequence: _Optional[int] = ..., frames: _Optional[_Union[FramesSpec, _Mapping]] = ..., character_reference: _Optional[_Union[CharacterReferenceSpec, _Mapping]] = ..., image: _Optional[_Union[ImageSpec, _Mapping]] = ..., video: _Optional[_Union[VideoSpec, _Mapping]] = ..., image_edit: _Optional[_Union[ImageEditSpec, _Mapping]] = ..., image_regenerate: _Optional[_Union[ImageRegenerateSpec, _Mapping]] = ..., animatic: _Optional[_Union[AnimaticSpec, _Mapping]] = ..., storyboard_export: _Optional[_Union[StoryboardExportSpec, _Mapping]] = ...) -> None: ...

class JobStage(_message.Message):
    __slots__ = ("id", "display_name", "state", "progress", "start_time", "end_time", "message")
    ID_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_NAME_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    START_TIME_FIELD_NUMBER: _ClassVar[int]
    END_TIME_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    id: str
    display_name: str
    state: Job.State
    progress: float
    start_time: _timestamp_pb2.Timestamp
    end_time: _timestamp_pb2.Timestamp
    message: str
    def __init__(self, id: _Optional[str] = ..., display_name: _Optional[str] = ..., state: _Optional[_Union[Job.State, str]] = ..., progress: _Optional[float] = ..., start_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., end_time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., message: _Optional[str] = ...) -> None: ...

class JobItem(_message.Message):
    __slots__ = ("key", "state", "output_revision", "backend", "model", "error", "cost", "progress", "attempts")
    KEY_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_REVISION_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ATTEMPTS_FIELD_NUMBER: _ClassVar[int]
    key: str
    state: Job.State
    output_revision: str
    backend: Backend
    model: str
    error: JobError
    cost: JobCost
    progress: float
    attempts: int
    def __init__(self, key: _Optional[str] = ..., state: _Optional[_Union[Job.State, str]] = ..., output_revision: _Optional[str] = ..., backend: _Optional[_Union[Backend, str]] = ..., model: _Optional[str] = ..., error: _Optional[_Union[JobError, _Mapping]] = ..., cost: _Optional[_Union[JobCost, _Mapping]] = ..., progress: _Optional[float] = ..., attempts: _Optional[int] = ...) -> None: ...

class JobCost(_message.Message):
    __slots__ = ("estimated_usd", "actual_usd")
    ESTIMATED_USD_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_USD_FIELD_NUMBER: _ClassVar[int]
    estimated_usd: float
    actual_usd: float
    def __init__(self, estimated_usd: _Optional[float] = ..., actual_usd: _Optional[float] = ...) -> None: ...

class JobError(_message.Message):
    __slots__ = ("code", "message", "reason", "backend", "item_key")
    CODE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    ITEM_KEY_FIELD_NUMBER: _ClassVar[int]
    code: int
    message: str
    reason: JobErrorReason
    backend: Backend
    item_key: str
    def __init__(self, code: _Optional[int] = ..., message: _Optional[str] = ..., reason: _Optional[_Union[JobErrorReason, str]] = ..., backend: _Optional[_Union[Backend, str]] = ..., item_key: _Optional[str] = ...) -> None: ...

class JobEvent(_message.Message):
    __slots__ = ("sequence", "time", "job", "state_change", "progress", "item_result", "cost_update", "completed")
    SEQUENCE_FIELD_NUMBER: _ClassVar[int]
    TIME_FIELD_NUMBER: _ClassVar[int]
    JOB_FIELD_NUMBER: _ClassVar[int]
    STATE_CHANGE_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    ITEM_RESULT_FIELD_NUMBER: _ClassVar[int]
    COST_UPDATE_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_FIELD_NUMBER: _ClassVar[int]
    sequence: int
    time: _timestamp_pb2.Timestamp
    job: str
    state_change: JobStateChange
    progress: JobProgress
    item_result: JobItem
    cost_update: JobCost
    completed: JobCompletion
    def __init__(self, sequence: _Optional[int] = ..., time: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., job: _Optional[str] = ..., state_change: _Optional[_Union[JobStateChange, _Mapping]] = ..., progress: _Optional[_Union[JobProgress, _Mapping]] = ..., item_result: _Optional[_Union[JobItem, _Mapping]] = ..., cost_update: _Optional[_Union[JobCost, _Mapping]] = ..., completed: _Optional[_Union[JobCompletion, _Mapping]] = ...) -> None: ...

class JobStateChange(_message.Message):
    __slots__ = ("previous_state", "state", "message")
    PREVIOUS_STATE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    previous_state: Job.State
    state: Job.State
    message: str
    def __init__(self, previous_state: _Optional[_Union[Job.State, str]] = ..., state: _Optional[_Union[Job.State, str]] = ..., message: _Optional[str] = ...) -> None: ...

class JobProgress(_message.Message):
    __slots__ = ("fraction", "stage", "message")
    FRACTION_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    fraction: float
    stage: str
    message: str
    def __init__(self, fraction: _Optional[float] = ..., stage: _Optional[str] = ..., message: _Optional[str] = ...) -> None: ...

class JobCompletion(_message.Message):
    __slots__ = ("state", "output_revisions", "error", "cost")
    STATE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    COST_FIELD_NUMBER: _ClassVar[int]
    state: Job.State
    output_revisions: _containers.RepeatedScalarFieldContainer[str]
    error: JobError
    cost: JobCost
    def __init__(self, state: _Optional[_Union[Job.State, str]] = ..., output_revisions: _Optional[_Iterable[str]] = ..., error: _Optional[_Union[JobError, _Mapping]] = ..., cost: _Optional[_Union[JobCost, _Mapping]] = ...) -> None: ...

class LockProfile(_message.Message):
    __slots__ = ("preserve_identity", "preserve_wardrobe", "preserve_style", "preserve_camera", "preserve_pose", "preserve_location_layout", "preserve_time_of_day", "banned_elements", "must_keep_elements")
    PRESERVE_IDENTITY_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_WARDROBE_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_STYLE_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_CAMERA_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_POSE_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_LOCATION_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    PRESERVE_TIME_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    BANNED_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    MUST_KEEP_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    preserve_identity: bool
    preserve_wardrobe: bool
    preserve_style: bool
    preserve_camera: bool
    preserve_pose: bool
    preserve_location_layout: bool
    preserve_time_of_day: bool
    banned_elements: _containers.RepeatedScalarFieldContainer[str]
    must_keep_elements: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, preserve_identity: _Optional[bool] = ..., preserve_wardrobe: _Optional[bool] = ..., preserve_style: _Optional[bool] = ..., preserve_camera: _Optional[bool] = ..., preserve_pose: _Optional[bool] = ..., preserve_location_layout: _Optional[bool] = ..., preserve_time_of_day: _Optional[bool] = ..., banned_elements: _Optional[_Iterable[str]] = ..., must_keep_elements: _Optional[_Iterable[str]] = ...) -> None: ...

class FramesScope(_message.Message):
    __slots__ = ("type", "scene_id", "shot_id", "asset_type")
    class Type(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        TYPE_UNSPECIFIED: _ClassVar[FramesScope.Type]
        TYPE_PROJECT: _ClassVar[FramesScope.Type]
        TYPE_SCENE: _ClassVar[FramesScope.Type]
        TYPE_SHOT: _ClassVar[FramesScope.Type]
        TYPE_ASSET_TYPE: _ClassVar[FramesScope.Type]
    TYPE_UNSPECIFIED: FramesScope.Type
    TYPE_PROJECT: FramesScope.Type
    TYPE_SCENE: FramesScope.Type
    TYPE_SHOT: FramesScope.Type
    TYPE_ASSET_TYPE: FramesScope.Type
    TYPE_FIELD_NUMBER: _ClassVar[int]
    SCENE_ID_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    ASSET_TYPE_FIELD_NUMBER: _ClassVar[int]
    type: FramesScope.Type
    scene_id: str
    shot_id: str
    asset_type: ImageType
    def __init__(self, type: _Optional[_Union[FramesScope.Type, str]] = ..., scene_id: _Optional[str] = ..., shot_id: _Optional[str] = ..., asset_type: _Optional[_Union[ImageType, str]] = ...) -> None: ...

class ImageOptions(_message.Message):
    __slots__ = ("aspect_ratio", "safety_filter_level", "person_generation", "output_format", "negative_prompt", "seed")
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    SAFETY_FILTER_LEVEL_FIELD_NUMBER: _ClassVar[int]
    PERSON_GENERATION_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    aspect_ratio: str
    safety_filter_level: SafetyFilterLevel
    person_generation: PersonGeneration
    output_format: ImageFormat
    negative_prompt: str
    seed: int
    def __init__(self, aspect_ratio: _Optional[str] = ..., safety_filter_level: _Optional[_Union[SafetyFilterLevel, str]] = ..., person_generation: _Optional[_Union[PersonGeneration, str]] = ..., output_format: _Optional[_Union[ImageFormat, str]] = ..., negative_prompt: _Optional[str] = ..., seed: _Optional[int] = ...) -> None: ...

class ShotRef(_message.Message):
    __slots__ = ("shot_plan_revision", "shot_id")
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    shot_plan_revision: str
    shot_id: str
    def __init__(self, shot_plan_revision: _Optional[str] = ..., shot_id: _Optional[str] = ...) -> None: ...

class CharacterRef(_message.Message):
    __slots__ = ("plan_revision", "character_id")
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    plan_revision: str
    character_id: str
    def __init__(self, plan_revision: _Optional[str] = ..., character_id: _Optional[str] = ...) -> None: ...

class FramesSpec(_message.Message):
    __slots__ = ("shot_plan_revision", "scope", "lock_profile", "options", "backend")
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    LOCK_PROFILE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    shot_plan_revision: str
    scope: FramesScope
    lock_profile: LockProfile
    options: ImageOptions
    backend: Backend
    def __init__(self, shot_plan_revision: _Optional[str] = ..., scope: _Optional[_Union[FramesScope, _Mapping]] = ..., lock_profile: _Optional[_Union[LockProfile, _Mapping]] = ..., options: _Optional[_Union[ImageOptions, _Mapping]] = ..., backend: _Optional[_Union[Backend, str]] = ...) -> None: ...

class CharacterReferenceSpec(_message.Message):
    __slots__ = ("character_description", "character", "character_characteristics", "options", "backend")
    CHARACTER_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_CHARACTERISTICS_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    character_description: str
    character: CharacterRef
    character_characteristics: str
    options: ImageOptions
    backend: Backend
    def __init__(self, character_description: _Optional[str] = ..., character: _Optional[_Union[CharacterRef, _Mapping]] = ..., character_characteristics: _Optional[str] = ..., options: _Optional[_Union[ImageOptions, _Mapping]] = ..., backend: _Optional[_Union[Backend, str]] = ...) -> None: ...

class ImageSpec(_message.Message):
    __slots__ = ("prompt", "options", "reference_revisions", "backend")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    options: ImageOptions
    reference_revisions: _containers.RepeatedScalarFieldContainer[str]
    backend: Backend
    def __init__(self, prompt: _Optional[str] = ..., options: _Optional[_Union[ImageOptions, _Mapping]] = ..., reference_revisions: _Optional[_Iterable[str]] = ..., backend: _Optional[_Union[Backend, str]] = ...) -> None: ...

class VideoSpec(_message.Message):
    __slots__ = ("prompt", "shot", "negative_prompt", "aspect_ratio", "duration", "generate_audio", "seed", "reference_image_revision", "last_frame_revision", "rules_template", "resolution", "backend")
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    SHOT_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_PROMPT_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    GENERATE_AUDIO_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_IMAGE_REVISION_FIELD_NUMBER: _ClassVar[int]
    LAST_FRAME_REVISION_FIELD_NUMBER: _ClassVar[int]
    RULES_TEMPLATE_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    prompt: str
    shot: ShotRef
    negative_prompt: str
    aspect_ratio: str
    duration: _duration_pb2.Duration
    generate_audio: bool
    seed: int
    reference_image_revision: str
    last_frame_revision: str
    rules_template: str
    resolution: str
    backend: Backend
    def __init__(self, prompt: _Optional[str] = ..., shot: _Optional[_Union[ShotRef, _Mapping]] = ..., negative_prompt: _Optional[str] = ..., aspect_ratio: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., generate_audio: _Optional[bool] = ..., seed: _Optional[int] = ..., reference_image_revision: _Optional[str] = ..., last_frame_revision: _Optional[str] = ..., rules_template: _Optional[str] = ..., resolution: _Optional[str] = ..., backend: _Optional[_Union[Backend, str]] = ...) -> None: ...

class ImageEditSpec(_message.Message):
    __slots__ = ("source_revision", "feedback", "lock_profile", "options", "backend")
    SOURCE_REVISION_FIELD_NUMBER: _ClassVar[int]
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    LOCK_PROFILE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    source_revision: str
    feedback: str
    lock_profile: LockProfile
    options: ImageOptions
    backend: Backend
    def __init__(self, source_revision: _Optional[str] = ..., feedback: _Optional[str] = ..., lock_profile: _Optional[_Union[LockProfile, _Mapping]] = ..., options: _Optional[_Union[ImageOptions, _Mapping]] = ..., backend: _Optional[_Union[Backend, str]] = ...) -> None: ...

class ImageRegenerateSpec(_message.Message):
    __slots__ = ("source_revision", "lock_profile", "options", "backend")
    SOURCE_REVISION_FIELD_NUMBER: _ClassVar[int]
    LOCK_PROFILE_FIELD_NUMBER: _ClassVar[int]
    OPTIONS_FIELD_NUMBER: _ClassVar[int]
    BACKEND_FIELD_NUMBER: _ClassVar[int]
    source_revision: str
    lock_profile: LockProfile
    options: ImageOptions
    backend: Backend
    def __init__(self, source_revision: _Optional[str] = ..., lock_profile: _Optional[_Union[LockProfile, _Mapping]] = ..., options: _Optional[_Union[ImageOptions, _Mapping]] = ..., backend: _Optional[_Union[Backend, str]] = ...) -> None: ...

class AnimaticSpec(_message.Message):
    __slots__ = ("shot_plan_revision", "fps", "resolution", "aspect_ratio", "captions", "stills_only")
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    CAPTIONS_FIELD_NUMBER: _ClassVar[int]
    STILLS_ONLY_FIELD_NUMBER: _ClassVar[int]
    shot_plan_revision: str
    fps: int
    resolution: str
    aspect_ratio: str
    captions: bool
    stills_only: bool
    def __init__(self, shot_plan_revision: _Optional[str] = ..., fps: _Optional[int] = ..., resolution: _Optional[str] = ..., aspect_ratio: _Optional[str] = ..., captions: _Optional[bool] = ..., stills_only: _Optional[bool] = ...) -> None: ...

class StoryboardExportSpec(_message.Message):
    __slots__ = ("shot_plan_revision", "formats", "page_size")
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    shot_plan_revision: str
    formats: _containers.RepeatedScalarFieldContainer[StoryboardFormat]
    page_size: PageSize
    def __init__(self, shot_plan_revision: _Optional[str] = ..., formats: _Optional[_Iterable[_Union[StoryboardFormat, str]]] = ..., page_size: _Optional[_Union[PageSize, str]] = ...) -> None: ...
