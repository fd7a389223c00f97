from google.protobuf import field_mask_pb2 as _field_mask_pb2
from previs.planner.v1 import planner_pb2 as _planner_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CreateScriptRequest(_message.Message):
    __slots__ = ("parent", "script", "script_id", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    SCRIPT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    script: _planner_pb2.Script
    script_id: str
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., script: _Optional[_Union[_planner_pb2.Script, _Mapping]] = ..., script_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class UpdateScriptRequest(_message.Message):
    __slots__ = ("script", "update_mask", "request_id")
    SCRIPT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_MASK_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    script: _planner_pb2.Script
    update_mask: _field_mask_pb2.FieldMask
    request_id: str
    def __init__(self, script: _Optional[_Union[_planner_pb2.Script, _Mapping]] = ..., update_mask: _Optional[_Union[_field_mask_pb2.FieldMask, _Mapping]] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetScriptRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class GeneratePlanRequest(_message.Message):
    __slots__ = ("parent", "screenplay", "music_video", "product_ad", "scene", "preferences", "plan_id", "offline", "request_id")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    SCREENPLAY_FIELD_NUMBER: _ClassVar[int]
    MUSIC_VIDEO_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_AD_FIELD_NUMBER: _ClassVar[int]
    SCENE_FIELD_NUMBER: _ClassVar[int]
    PREFERENCES_FIELD_NUMBER: _ClassVar[int]
    PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    parent: str
    screenplay: _planner_pb2.ScreenplayBrief
    music_video: _planner_pb2.MusicVideoBrief
    product_ad: _planner_pb2.ProductAdBrief
    scene: _planner_pb2.SceneBrief
    preferences: _planner_pb2.PlanPreferences
    plan_id: str
    offline: bool
    request_id: str
    def __init__(self, parent: _Optional[str] = ..., screenplay: _Optional[_Union[_planner_pb2.ScreenplayBrief, _Mapping]] = ..., music_video: _Optional[_Union[_planner_pb2.MusicVideoBrief, _Mapping]] = ..., product_ad: _Optional[_Union[_planner_pb2.ProductAdBrief, _Mapping]] = ..., scene: _Optional[_Union[_planner_pb2.SceneBrief, _Mapping]] = ..., preferences: _Optional[_Union[_planner_pb2.PlanPreferences, _Mapping]] = ..., plan_id: _Optional[str] = ..., offline: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class GetPlanRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class PatchPlanRequest(_message.Message):
    __slots__ = ("plan_revision", "patches", "message", "request_id")
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    PATCHES_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    plan_revision: str
    patches: _containers.RepeatedCompositeFieldContainer[_planner_pb2.PlanPatch]
    message: str
    request_id: str
    def __init__(self, plan_revision: _Optional[str] = ..., patches: _Optional[_Iterable[_Union[_planner_pb2.PlanPatch, _Mapping]]] = ..., message: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class GenerateShotPlanRequest(_message.Message):
    __slots__ = ("plan_revision", "shot_plan_id", "offline", "request_id")
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_PLAN_ID_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    plan_revision: str
    shot_plan_id: str
    offline: bool
    request_id: str
    def __init__(self, plan_revision: _Optional[str] = ..., shot_plan_id: _Optional[str] = ..., offline: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class GenerateShotPlanResponse(_message.Message):
    __slots__ = ("shot_plan", "report_before", "report_after")
    SHOT_PLAN_FIELD_NUMBER: _ClassVar[int]
    REPORT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    REPORT_AFTER_FIELD_NUMBER: _ClassVar[int]
    shot_plan: _planner_pb2.ShotPlan
    report_before: _planner_pb2.ContinuityReport
    report_after: _planner_pb2.ContinuityReport
    def __init__(self, shot_plan: _Optional[_Union[_planner_pb2.ShotPlan, _Mapping]] = ..., report_before: _Optional[_Union[_planner_pb2.ContinuityReport, _Mapping]] = ..., report_after: _Optional[_Union[_planner_pb2.ContinuityReport, _Mapping]] = ...) -> None: ...

class GetShotPlanRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...

class ValidateContinuityRequest(_message.Message):
    __slots__ = ("shot_plan_revision", "request_id")
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    shot_plan_revision: str
    request_id: str
    def __init__(self, shot_plan_revision: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class RepairContinuityRequest(_message.Message):
    __slots__ = ("shot_plan_revision", "offline", "request_id")
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    shot_plan_revision: str
    offline: bool
    request_id: str
    def __init__(self, shot_plan_revision: _Optional[str] = ..., offline: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class RepairContinuityResponse(_message.Message):
    __slots__ = ("shot_plan", "report_before", "report_after")
    SHOT_PLAN_FIELD_NUMBER: _ClassVar[int]
    REPORT_BEFORE_FIELD_NUMBER: _ClassVar[int]
    REPORT_AFTER_FIELD_NUMBER: _ClassVar[int]
    shot_plan: _planner_pb2.ShotPlan
    report_before: _planner_pb2.ContinuityReport
    report_after: _planner_pb2.ContinuityReport
    def __init__(self, shot_plan: _Optional[_Union[_planner_pb2.ShotPlan, _Mapping]] = ..., report_before: _Optional[_Union[_planner_pb2.ContinuityReport, _Mapping]] = ..., report_after: _Optional[_Union[_planner_pb2.ContinuityReport, _Mapping]] = ...) -> None: ...

class InterpretFeedbackRequest(_message.Message):
    __slots__ = ("feedback", "image_revision", "plan_revision", "shot_id", "offline", "request_id")
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    IMAGE_REVISION_FIELD_NUMBER: _ClassVar[int]
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    OFFLINE_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    feedback: str
    image_revision: str
    plan_revision: str
    shot_id: str
    offline: bool
    request_id: str
    def __init__(self, feedback: _Optional[str] = ..., image_revision: _Optional[str] = ..., plan_revision: _Optional[str] = ..., shot_id: _Optional[str] = ..., offline: _Optional[bool] = ..., request_id: _Optional[str] = ...) -> None: ...

class InterpretFeedbackResponse(_message.Message):
    __slots__ = ("edit_delta", "trace_revision")
    EDIT_DELTA_FIELD_NUMBER: _ClassVar[int]
    TRACE_REVISION_FIELD_NUMBER: _ClassVar[int]
    edit_delta: _planner_pb2.EditDelta
    trace_revision: str
    def __init__(self, edit_delta: _Optional[_Union[_planner_pb2.EditDelta, _Mapping]] = ..., trace_revision: _Optional[str] = ...) -> None: ...

class BuildRenderPromptRequest(_message.Message):
    __slots__ = ("plan_revision", "shot_plan_revision", "shot_id", "character_id", "location_id", "style_frame", "lock_profile", "edit_delta", "source_image_revision")
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    STYLE_FRAME_FIELD_NUMBER: _ClassVar[int]
    LOCK_PROFILE_FIELD_NUMBER: _ClassVar[int]
    EDIT_DELTA_FIELD_NUMBER: _ClassVar[int]
    SOURCE_IMAGE_REVISION_FIELD_NUMBER: _ClassVar[int]
    plan_revision: str
    shot_plan_revision: str
    shot_id: str
    character_id: str
    location_id: str
    style_frame: bool
    lock_profile: _planner_pb2.LockProfile
    edit_delta: _planner_pb2.EditDelta
    source_image_revision: str
    def __init__(self, plan_revision: _Optional[str] = ..., shot_plan_revision: _Optional[str] = ..., shot_id: _Optional[str] = ..., character_id: _Optional[str] = ..., location_id: _Optional[str] = ..., style_frame: _Optional[bool] = ..., lock_profile: _Optional[_Union[_planner_pb2.LockProfile, _Mapping]] = ..., edit_delta: _Optional[_Union[_planner_pb2.EditDelta, _Mapping]] = ..., source_image_revision: _Optional[str] = ...) -> None: ...

class ExportPlanRequest(_message.Message):
    __slots__ = ("plan_revision", "shot_plan_revision", "formats", "export_id", "request_id")
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    FORMATS_FIELD_NUMBER: _ClassVar[int]
    EXPORT_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    plan_revision: str
    shot_plan_revision: str
    formats: _containers.RepeatedScalarFieldContainer[_planner_pb2.ExportFormat]
    export_id: str
    request_id: str
    def __init__(self, plan_revision: _Optional[str] = ..., shot_plan_revision: _Optional[str] = ..., formats: _Optional[_Iterable[_Union[_planner_pb2.ExportFormat, str]]] = ..., export_id: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ListLlmTracesRequest(_message.Message):
    __slots__ = ("parent", "page_size", "page_token", "purpose")
    PARENT_FIELD_NUMBER: _ClassVar[int]
    PAGE_SIZE_FIELD_NUMBER: _ClassVar[int]
    PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    parent: str
    page_size: int
    page_token: str
    purpose: str
    def __init__(self, parent: _Optional[str] = ..., page_size: _Optional[int] = ..., page_token: _Optional[str] = ..., purpose: _Optional[str] = ...) -> None: ...

class ListLlmTracesResponse(_message.Message):
    __slots__ = ("traces", "next_page_token")
    TRACES_FIELD_NUMBER: _ClassVar[int]
    NEXT_PAGE_TOKEN_FIELD_NUMBER: _ClassVar[int]
    traces: _containers.RepeatedCompositeFieldContainer[_planner_pb2.LlmTrace]
    next_page_token: str
    def __init__(self, traces: _Optional[_Iterable[_Union[_planner_pb2.LlmTrace, _Mapping]]] = ..., next_page_token: _Optional[str] = ...) -> None: ...

class GetLlmTraceRequest(_message.Message):
    __slots__ = ("name",)
    NAME_FIELD_NUMBER: _ClassVar[int]
    name: str
    def __init__(self, name: _Optional[str] = ...) -> None: ...
