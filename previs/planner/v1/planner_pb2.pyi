import datetime

from google.protobuf import duration_pb2 as _duration_pb2
from google.protobuf import struct_pb2 as _struct_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ShotSize(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SHOT_SIZE_UNSPECIFIED: _ClassVar[ShotSize]
    SHOT_SIZE_EXTREME_WIDE: _ClassVar[ShotSize]
    SHOT_SIZE_WIDE: _ClassVar[ShotSize]
    SHOT_SIZE_FULL: _ClassVar[ShotSize]
    SHOT_SIZE_MEDIUM_WIDE: _ClassVar[ShotSize]
    SHOT_SIZE_MEDIUM: _ClassVar[ShotSize]
    SHOT_SIZE_MEDIUM_CLOSE_UP: _ClassVar[ShotSize]
    SHOT_SIZE_CLOSE_UP: _ClassVar[ShotSize]
    SHOT_SIZE_EXTREME_CLOSE_UP: _ClassVar[ShotSize]
    SHOT_SIZE_INSERT: _ClassVar[ShotSize]
    SHOT_SIZE_OVER_THE_SHOULDER: _ClassVar[ShotSize]
    SHOT_SIZE_POINT_OF_VIEW: _ClassVar[ShotSize]

class CameraAngle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMERA_ANGLE_UNSPECIFIED: _ClassVar[CameraAngle]
    CAMERA_ANGLE_EYE_LEVEL: _ClassVar[CameraAngle]
    CAMERA_ANGLE_HIGH: _ClassVar[CameraAngle]
    CAMERA_ANGLE_LOW: _ClassVar[CameraAngle]
    CAMERA_ANGLE_OVERHEAD: _ClassVar[CameraAngle]
    CAMERA_ANGLE_DUTCH: _ClassVar[CameraAngle]
    CAMERA_ANGLE_WORMS_EYE: _ClassVar[CameraAngle]

class CameraMovement(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CAMERA_MOVEMENT_UNSPECIFIED: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_STATIC: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_PAN_LEFT: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_PAN_RIGHT: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_TILT_UP: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_TILT_DOWN: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_PUSH_IN: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_PULL_OUT: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_TRACKING: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_HANDHELD: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_CRANE_UP: _ClassVar[CameraMovement]
    CAMERA_MOVEMENT_CRANE_DOWN: _ClassVar[CameraMovement]

class ScreenDirection(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCREEN_DIRECTION_UNSPECIFIED: _ClassVar[ScreenDirection]
    SCREEN_DIRECTION_LEFT_TO_RIGHT: _ClassVar[ScreenDirection]
    SCREEN_DIRECTION_RIGHT_TO_LEFT: _ClassVar[ScreenDirection]
    SCREEN_DIRECTION_TOWARD_CAMERA: _ClassVar[ScreenDirection]
    SCREEN_DIRECTION_AWAY_FROM_CAMERA: _ClassVar[ScreenDirection]
    SCREEN_DIRECTION_NEUTRAL: _ClassVar[ScreenDirection]

class TimeOfDay(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIME_OF_DAY_UNSPECIFIED: _ClassVar[TimeOfDay]
    TIME_OF_DAY_DAY: _ClassVar[TimeOfDay]
    TIME_OF_DAY_NIGHT: _ClassVar[TimeOfDay]
    TIME_OF_DAY_DAWN: _ClassVar[TimeOfDay]
    TIME_OF_DAY_DUSK: _ClassVar[TimeOfDay]
    TIME_OF_DAY_MORNING: _ClassVar[TimeOfDay]
    TIME_OF_DAY_AFTERNOON: _ClassVar[TimeOfDay]
    TIME_OF_DAY_EVENING: _ClassVar[TimeOfDay]
    TIME_OF_DAY_CONTINUOUS: _ClassVar[TimeOfDay]

class Setting(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SETTING_UNSPECIFIED: _ClassVar[Setting]
    SETTING_INTERIOR: _ClassVar[Setting]
    SETTING_EXTERIOR: _ClassVar[Setting]
    SETTING_INTERIOR_EXTERIOR: _ClassVar[Setting]

class ScriptFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    SCRIPT_FORMAT_UNSPECIFIED: _ClassVar[ScriptFormat]
    SCRIPT_FORMAT_FOUNTAIN: _ClassVar[ScriptFormat]
    SCRIPT_FORMAT_PLAIN_TEXT: _ClassVar[ScriptFormat]

class BriefKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    BRIEF_KIND_UNSPECIFIED: _ClassVar[BriefKind]
    BRIEF_KIND_SCREENPLAY: _ClassVar[BriefKind]
    BRIEF_KIND_MUSIC_VIDEO: _ClassVar[BriefKind]
    BRIEF_KIND_PRODUCT_AD: _ClassVar[BriefKind]
    BRIEF_KIND_SCENE: _ClassVar[BriefKind]

class VisualRealism(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VISUAL_REALISM_UNSPECIFIED: _ClassVar[VisualRealism]
    VISUAL_REALISM_LOW: _ClassVar[VisualRealism]
    VISUAL_REALISM_MEDIUM: _ClassVar[VisualRealism]
    VISUAL_REALISM_HIGH: _ClassVar[VisualRealism]

class Pacing(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    PACING_UNSPECIFIED: _ClassVar[Pacing]
    PACING_SLOW: _ClassVar[Pacing]
    PACING_MEDIUM: _ClassVar[Pacing]
    PACING_FAST: _ClassVar[Pacing]

class AdStyle(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AD_STYLE_UNSPECIFIED: _ClassVar[AdStyle]
    AD_STYLE_LUXURY: _ClassVar[AdStyle]
    AD_STYLE_ENERGETIC: _ClassVar[AdStyle]
    AD_STYLE_MINIMAL: _ClassVar[AdStyle]
    AD_STYLE_BOLD: _ClassVar[AdStyle]

class Composition(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    COMPOSITION_UNSPECIFIED: _ClassVar[Composition]
    COMPOSITION_RULE_OF_THIRDS: _ClassVar[Composition]
    COMPOSITION_CENTERED: _ClassVar[Composition]
    COMPOSITION_SYMMETRICAL: _ClassVar[Composition]
    COMPOSITION_LEADING_LINES: _ClassVar[Composition]
    COMPOSITION_DIAGONAL: _ClassVar[Composition]
    COMPOSITION_FRAME_WITHIN_FRAME: _ClassVar[Composition]

class RenderTargetKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    RENDER_TARGET_KIND_UNSPECIFIED: _ClassVar[RenderTargetKind]
    RENDER_TARGET_KIND_SHOT: _ClassVar[RenderTargetKind]
    RENDER_TARGET_KIND_CHARACTER: _ClassVar[RenderTargetKind]
    RENDER_TARGET_KIND_LOCATION: _ClassVar[RenderTargetKind]
    RENDER_TARGET_KIND_STYLE_FRAME: _ClassVar[RenderTargetKind]

class ExportFormat(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    EXPORT_FORMAT_UNSPECIFIED: _ClassVar[ExportFormat]
    EXPORT_FORMAT_PLAN_JSON: _ClassVar[ExportFormat]
    EXPORT_FORMAT_CHARACTERS_CSV: _ClassVar[ExportFormat]
    EXPORT_FORMAT_SHOTS_CSV: _ClassVar[ExportFormat]
SHOT_SIZE_UNSPECIFIED: ShotSize
SHOT_SIZE_EXTREME_WIDE: ShotSize
SHOT_SIZE_WIDE: ShotSize
SHOT_SIZE_FULL: ShotSize
SHOT_SIZE_MEDIUM_WIDE: ShotSize
SHOT_SIZE_MEDIUM: ShotSize
SHOT_SIZE_MEDIUM_CLOSE_UP: ShotSize
SHOT_SIZE_CLOSE_UP: ShotSize
SHOT_SIZE_EXTREME_CLOSE_UP: ShotSize
SHOT_SIZE_INSERT: ShotSize
SHOT_SIZE_OVER_THE_SHOULDER: ShotSize
SHOT_SIZE_POINT_OF_VIEW: ShotSize
CAMERA_ANGLE_UNSPECIFIED: CameraAngle
CAMERA_ANGLE_EYE_LEVEL: CameraAngle
CAMERA_ANGLE_HIGH: CameraAngle
CAMERA_ANGLE_LOW: CameraAngle
CAMERA_ANGLE_OVERHEAD: CameraAngle
CAMERA_ANGLE_DUTCH: CameraAngle
CAMERA_ANGLE_WORMS_EYE: CameraAngle
CAMERA_MOVEMENT_UNSPECIFIED: CameraMovement
CAMERA_MOVEMENT_STATIC: CameraMovement
CAMERA_MOVEMENT_PAN_LEFT: CameraMovement
CAMERA_MOVEMENT_PAN_RIGHT: CameraMovement
CAMERA_MOVEMENT_TILT_UP: CameraMovement
CAMERA_MOVEMENT_TILT_DOWN: CameraMovement
CAMERA_MOVEMENT_PUSH_IN: CameraMovement
CAMERA_MOVEMENT_PULL_OUT: CameraMovement
CAMERA_MOVEMENT_TRACKING: CameraMovement
CAMERA_MOVEMENT_HANDHELD: CameraMovement
CAMERA_MOVEMENT_CRANE_UP: CameraMovement
CAMERA_MOVEMENT_CRANE_DOWN: CameraMovement
SCREEN_DIRECTION_UNSPECIFIED: ScreenDirection
SCREEN_DIRECTION_LEFT_TO_RIGHT: ScreenDirection
SCREEN_DIRECTION_RIGHT_TO_LEFT: ScreenDirection
SCREEN_DIRECTION_TOWARD_CAMERA: ScreenDirection
SCREEN_DIRECTION_AWAY_FROM_CAMERA: ScreenDirection
SCREEN_DIRECTION_NEUTRAL: ScreenDirection
TIME_OF_DAY_UNSPECIFIED: TimeOfDay
TIME_OF_DAY_DAY: TimeOfDay
TIME_OF_DAY_NIGHT: TimeOfDay
TIME_OF_DAY_DAWN: TimeOfDay
TIME_OF_DAY_DUSK: TimeOfDay
TIME_OF_DAY_MORNING: TimeOfDay
TIME_OF_DAY_AFTERNOON: TimeOfDay
TIME_OF_DAY_EVENING: TimeOfDay
TIME_OF_DAY_CONTINUOUS: TimeOfDay
SETTING_UNSPECIFIED: Setting
SETTING_INTERIOR: Setting
SETTING_EXTERIOR: Setting
SETTING_INTERIOR_EXTERIOR: Setting
SCRIPT_FORMAT_UNSPECIFIED: ScriptFormat
SCRIPT_FORMAT_FOUNTAIN: ScriptFormat
SCRIPT_FORMAT_PLAIN_TEXT: ScriptFormat
BRIEF_KIND_UNSPECIFIED: BriefKind
BRIEF_KIND_SCREENPLAY: BriefKind
BRIEF_KIND_MUSIC_VIDEO: BriefKind
BRIEF_KIND_PRODUCT_AD: BriefKind
BRIEF_KIND_SCENE: BriefKind
VISUAL_REALISM_UNSPECIFIED: VisualRealism
VISUAL_REALISM_LOW: VisualRealism
VISUAL_REALISM_MEDIUM: VisualRealism
VISUAL_REALISM_HIGH: VisualRealism
PACING_UNSPECIFIED: Pacing
PACING_SLOW: Pacing
PACING_MEDIUM: Pacing
PACING_FAST: Pacing
AD_STYLE_UNSPECIFIED: AdStyle
AD_STYLE_LUXURY: AdStyle
AD_STYLE_ENERGETIC: AdStyle
AD_STYLE_MINIMAL: AdStyle
AD_STYLE_BOLD: AdStyle
COMPOSITION_UNSPECIFIED: Composition
COMPOSITION_RULE_OF_THIRDS: Composition
COMPOSITION_CENTERED: Composition
COMPOSITION_SYMMETRICAL: Composition
COMPOSITION_LEADING_LINES: Composition
COMPOSITION_DIAGONAL: Composition
COMPOSITION_FRAME_WITHIN_FRAME: Composition
RENDER_TARGET_KIND_UNSPECIFIED: RenderTargetKind
RENDER_TARGET_KIND_SHOT: RenderTargetKind
RENDER_TARGET_KIND_CHARACTER: RenderTargetKind
RENDER_TARGET_KIND_LOCATION: RenderTargetKind
RENDER_TARGET_KIND_STYLE_FRAME: RenderTargetKind
EXPORT_FORMAT_UNSPECIFIED: ExportFormat
EXPORT_FORMAT_PLAN_JSON: ExportFormat
EXPORT_FORMAT_CHARACTERS_CSV: ExportFormat
EXPORT_FORMAT_SHOTS_CSV: ExportFormat

class Script(_message.Message):
    __slots__ = ("name", "revision", "title", "format", "content", "etag", "title_page", "scene_count", "page_estimate", "character_cues", "detected_format")
    class TitlePageEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    NAME_FIELD_NUMBER: _ClassVar[int]
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_FIELD_NUMBER: _ClassVar[int]
    ETAG_FIELD_NUMBER: _ClassVar[int]
    TITLE_PAGE_FIELD_NUMBER: _ClassVar[int]
    SCENE_COUNT_FIELD_NUMBER: _ClassVar[int]
    PAGE_ESTIMATE_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_CUES_FIELD_NUMBER: _ClassVar[int]
    DETECTED_FORMAT_FIELD_NUMBER: _ClassVar[int]
    name: str
    revision: str
    title: str
    format: ScriptFormat
    content: str
    etag: str
    title_page: _containers.ScalarMap[str, str]
    scene_count: int
    page_estimate: float
    character_cues: _containers.RepeatedScalarFieldContainer[str]
    detected_format: ScriptFormat
    def __init__(self, name: _Optional[str] = ..., revision: _Optional[str] = ..., title: _Optional[str] = ..., format: _Optional[_Union[ScriptFormat, str]] = ..., content: _Optional[str] = ..., etag: _Optional[str] = ..., title_page: _Optional[_Mapping[str, str]] = ..., scene_count: _Optional[int] = ..., page_estimate: _Optional[float] = ..., character_cues: _Optional[_Iterable[str]] = ..., detected_format: _Optional[_Union[ScriptFormat, str]] = ...) -> None: ...

class LookParameters(_message.Message):
    __slots__ = ("fov_degrees", "lighting", "hdr_bloom", "color_temperature_kelvin", "contrast", "camera_angle", "composition")
    FOV_DEGREES_FIELD_NUMBER: _ClassVar[int]
    LIGHTING_FIELD_NUMBER: _ClassVar[int]
    HDR_BLOOM_FIELD_NUMBER: _ClassVar[int]
    COLOR_TEMPERATURE_KELVIN_FIELD_NUMBER: _ClassVar[int]
    CONTRAST_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ANGLE_FIELD_NUMBER: _ClassVar[int]
    COMPOSITION_FIELD_NUMBER: _ClassVar[int]
    fov_degrees: float
    lighting: int
    hdr_bloom: int
    color_temperature_kelvin: int
    contrast: int
    camera_angle: CameraAngle
    composition: Composition
    def __init__(self, fov_degrees: _Optional[float] = ..., lighting: _Optional[int] = ..., hdr_bloom: _Optional[int] = ..., color_temperature_kelvin: _Optional[int] = ..., contrast: _Optional[int] = ..., camera_angle: _Optional[_Union[CameraAngle, str]] = ..., composition: _Optional[_Union[Composition, str]] = ...) -> None: ...

class ProjectBible(_message.Message):
    __slots__ = ("style", "visual_realism", "pacing", "target_duration", "aspect_ratio", "genre", "logline", "color_palette", "look", "negative_elements", "style_frame_revisions")
    STYLE_FIELD_NUMBER: _ClassVar[int]
    VISUAL_REALISM_FIELD_NUMBER: _ClassVar[int]
    PACING_FIELD_NUMBER: _ClassVar[int]
    TARGET_DURATION_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    GENRE_FIELD_NUMBER: _ClassVar[int]
    LOGLINE_FIELD_NUMBER: _ClassVar[int]
    COLOR_PALETTE_FIELD_NUMBER: _ClassVar[int]
    LOOK_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    STYLE_FRAME_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    style: str
    visual_realism: VisualRealism
    pacing: Pacing
    target_duration: _duration_pb2.Duration
    aspect_ratio: str
    genre: str
    logline: str
    color_palette: _containers.RepeatedScalarFieldContainer[str]
    look: LookParameters
    negative_elements: _containers.RepeatedScalarFieldContainer[str]
    style_frame_revisions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, style: _Optional[str] = ..., visual_realism: _Optional[_Union[VisualRealism, str]] = ..., pacing: _Optional[_Union[Pacing, str]] = ..., target_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., aspect_ratio: _Optional[str] = ..., genre: _Optional[str] = ..., logline: _Optional[str] = ..., color_palette: _Optional[_Iterable[str]] = ..., look: _Optional[_Union[LookParameters, _Mapping]] = ..., negative_elements: _Optional[_Iterable[str]] = ..., style_frame_revisions: _Optional[_Iterable[str]] = ...) -> None: ...

class SceneWardrobe(_message.Message):
    __slots__ = ("scene_id", "wardrobe")
    SCENE_ID_FIELD_NUMBER: _ClassVar[int]
    WARDROBE_FIELD_NUMBER: _ClassVar[int]
    scene_id: str
    wardrobe: str
    def __init__(self, scene_id: _Optional[str] = ..., wardrobe: _Optional[str] = ...) -> None: ...

class Character(_message.Message):
    __slots__ = ("id", "name", "aliases", "description", "identity_lock", "wardrobe", "wardrobe_by_scene", "hair_makeup", "reference_revisions", "dialogue_lines")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    ALIASES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_LOCK_FIELD_NUMBER: _ClassVar[int]
    WARDROBE_FIELD_NUMBER: _ClassVar[int]
    WARDROBE_BY_SCENE_FIELD_NUMBER: _ClassVar[int]
    HAIR_MAKEUP_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    DIALOGUE_LINES_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    aliases: _containers.RepeatedScalarFieldContainer[str]
    description: str
    identity_lock: str
    wardrobe: str
    wardrobe_by_scene: _containers.RepeatedCompositeFieldContainer[SceneWardrobe]
    hair_makeup: str
    reference_revisions: _containers.RepeatedScalarFieldContainer[str]
    dialogue_lines: int
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., aliases: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., identity_lock: _Optional[str] = ..., wardrobe: _Optional[str] = ..., wardrobe_by_scene: _Optional[_Iterable[_Union[SceneWardrobe, _Mapping]]] = ..., hair_makeup: _Optional[str] = ..., reference_revisions: _Optional[_Iterable[str]] = ..., dialogue_lines: _Optional[int] = ...) -> None: ...

class Location(_message.Message):
    __slots__ = ("id", "name", "setting", "time_of_day", "description", "layout", "reference_revisions")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    SETTING_FIELD_NUMBER: _ClassVar[int]
    TIME_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LAYOUT_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    setting: Setting
    time_of_day: TimeOfDay
    description: str
    layout: str
    reference_revisions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., setting: _Optional[_Union[Setting, str]] = ..., time_of_day: _Optional[_Union[TimeOfDay, str]] = ..., description: _Optional[str] = ..., layout: _Optional[str] = ..., reference_revisions: _Optional[_Iterable[str]] = ...) -> None: ...

class Prop(_message.Message):
    __slots__ = ("id", "name", "description", "scene_ids", "image_blob")
    ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    SCENE_IDS_FIELD_NUMBER: _ClassVar[int]
    IMAGE_BLOB_FIELD_NUMBER: _ClassVar[int]
    id: str
    name: str
    description: str
    scene_ids: _containers.RepeatedScalarFieldContainer[str]
    image_blob: str
    def __init__(self, id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., scene_ids: _Optional[_Iterable[str]] = ..., image_blob: _Optional[str] = ...) -> None: ...

class ContinuityChange(_message.Message):
    __slots__ = ("entity_id", "aspect", "description", "holder_id")
    class Aspect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ASPECT_UNSPECIFIED: _ClassVar[ContinuityChange.Aspect]
        ASPECT_WARDROBE: _ClassVar[ContinuityChange.Aspect]
        ASPECT_PROP_STATE: _ClassVar[ContinuityChange.Aspect]
        ASPECT_HAIR_MAKEUP: _ClassVar[ContinuityChange.Aspect]
        ASPECT_TIME_OF_DAY: _ClassVar[ContinuityChange.Aspect]
    ASPECT_UNSPECIFIED: ContinuityChange.Aspect
    ASPECT_WARDROBE: ContinuityChange.Aspect
    ASPECT_PROP_STATE: ContinuityChange.Aspect
    ASPECT_HAIR_MAKEUP: ContinuityChange.Aspect
    ASPECT_TIME_OF_DAY: ContinuityChange.Aspect
    ENTITY_ID_FIELD_NUMBER: _ClassVar[int]
    ASPECT_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    HOLDER_ID_FIELD_NUMBER: _ClassVar[int]
    entity_id: str
    aspect: ContinuityChange.Aspect
    description: str
    holder_id: str
    def __init__(self, entity_id: _Optional[str] = ..., aspect: _Optional[_Union[ContinuityChange.Aspect, str]] = ..., description: _Optional[str] = ..., holder_id: _Optional[str] = ...) -> None: ...

class Beat(_message.Message):
    __slots__ = ("kind", "text", "speaker_id", "parenthetical", "character_ids", "prop_ids", "changes", "simultaneous", "extension")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Beat.Kind]
        KIND_ACTION: _ClassVar[Beat.Kind]
        KIND_DIALOGUE: _ClassVar[Beat.Kind]
        KIND_TRANSITION: _ClassVar[Beat.Kind]
    KIND_UNSPECIFIED: Beat.Kind
    KIND_ACTION: Beat.Kind
    KIND_DIALOGUE: Beat.Kind
    KIND_TRANSITION: Beat.Kind
    KIND_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_ID_FIELD_NUMBER: _ClassVar[int]
    PARENTHETICAL_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    PROP_IDS_FIELD_NUMBER: _ClassVar[int]
    CHANGES_FIELD_NUMBER: _ClassVar[int]
    SIMULTANEOUS_FIELD_NUMBER: _ClassVar[int]
    EXTENSION_FIELD_NUMBER: _ClassVar[int]
    kind: Beat.Kind
    text: str
    speaker_id: str
    parenthetical: str
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    prop_ids: _containers.RepeatedScalarFieldContainer[str]
    changes: _containers.RepeatedCompositeFieldContainer[ContinuityChange]
    simultaneous: bool
    extension: str
    def __init__(self, kind: _Optional[_Union[Beat.Kind, str]] = ..., text: _Optional[str] = ..., speaker_id: _Optional[str] = ..., parenthetical: _Optional[str] = ..., character_ids: _Optional[_Iterable[str]] = ..., prop_ids: _Optional[_Iterable[str]] = ..., changes: _Optional[_Iterable[_Union[ContinuityChange, _Mapping]]] = ..., simultaneous: _Optional[bool] = ..., extension: _Optional[str] = ...) -> None: ...

class Scene(_message.Message):
    __slots__ = ("id", "number", "heading", "location_id", "time_of_day", "character_ids", "prop_ids", "summary", "beats", "notes", "description", "negative_description", "voiceover", "target_duration", "planned_shot_count", "packshot", "camera_angle")
    ID_FIELD_NUMBER: _ClassVar[int]
    NUMBER_FIELD_NUMBER: _ClassVar[int]
    HEADING_FIELD_NUMBER: _ClassVar[int]
    LOCATION_ID_FIELD_NUMBER: _ClassVar[int]
    TIME_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    PROP_IDS_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    BEATS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    VOICEOVER_FIELD_NUMBER: _ClassVar[int]
    TARGET_DURATION_FIELD_NUMBER: _ClassVar[int]
    PLANNED_SHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    PACKSHOT_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ANGLE_FIELD_NUMBER: _ClassVar[int]
    id: str
    number: int
    heading: str
    location_id: str
    time_of_day: TimeOfDay
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    prop_ids: _containers.RepeatedScalarFieldContainer[str]
    summary: str
    beats: _containers.RepeatedCompositeFieldContainer[Beat]
    notes: _containers.RepeatedScalarFieldContainer[str]
    description: str
    negative_description: str
    voiceover: str
    target_duration: _duration_pb2.Duration
    planned_shot_count: int
    packshot: bool
    camera_angle: CameraAngle
    def __init__(self, id: _Optional[str] = ..., number: _Optional[int] = ..., heading: _Optional[str] = ..., location_id: _Optional[str] = ..., time_of_day: _Optional[_Union[TimeOfDay, str]] = ..., character_ids: _Optional[_Iterable[str]] = ..., prop_ids: _Optional[_Iterable[str]] = ..., summary: _Optional[str] = ..., beats: _Optional[_Iterable[_Union[Beat, _Mapping]]] = ..., notes: _Optional[_Iterable[str]] = ..., description: _Optional[str] = ..., negative_description: _Optional[str] = ..., voiceover: _Optional[str] = ..., target_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., planned_shot_count: _Optional[int] = ..., packshot: _Optional[bool] = ..., camera_angle: _Optional[_Union[CameraAngle, str]] = ...) -> None: ...

class AdCopy(_message.Message):
    __slots__ = ("product_name", "hook", "cta_text", "style", "product_image_blob")
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    HOOK_FIELD_NUMBER: _ClassVar[int]
    CTA_TEXT_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_IMAGE_BLOB_FIELD_NUMBER: _ClassVar[int]
    product_name: str
    hook: str
    cta_text: str
    style: AdStyle
    product_image_blob: str
    def __init__(self, product_name: _Optional[str] = ..., hook: _Optional[str] = ..., cta_text: _Optional[str] = ..., style: _Optional[_Union[AdStyle, str]] = ..., product_image_blob: _Optional[str] = ...) -> None: ...

class Plan(_message.Message):
    __slots__ = ("revision", "title", "brief_kind", "source_revision", "parent_revision", "bible", "characters", "locations", "props", "scenes", "ad_copy", "generator", "trace_revisions")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    TITLE_FIELD_NUMBER: _ClassVar[int]
    BRIEF_KIND_FIELD_NUMBER: _ClassVar[int]
    SOURCE_REVISION_FIELD_NUMBER: _ClassVar[int]
    PARENT_REVISION_FIELD_NUMBER: _ClassVar[int]
    BIBLE_FIELD_NUMBER: _ClassVar[int]
    CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    LOCATIONS_FIELD_NUMBER: _ClassVar[int]
    PROPS_FIELD_NUMBER: _ClassVar[int]
    SCENES_FIELD_NUMBER: _ClassVar[int]
    AD_COPY_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    TRACE_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    revision: str
    title: str
    brief_kind: BriefKind
    source_revision: str
    parent_revision: str
    bible: ProjectBible
    characters: _containers.RepeatedCompositeFieldContainer[Character]
    locations: _containers.RepeatedCompositeFieldContainer[Location]
    props: _containers.RepeatedCompositeFieldContainer[Prop]
    scenes: _containers.RepeatedCompositeFieldContainer[Scene]
    ad_copy: AdCopy
    generator: str
    trace_revisions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, revision: _Optional[str] = ..., title: _Optional[str] = ..., brief_kind: _Optional[_Union[BriefKind, str]] = ..., source_revision: _Optional[str] = ..., parent_revision: _Optional[str] = ..., bible: _Optional[_Union[ProjectBible, _Mapping]] = ..., characters: _Optional[_Iterable[_Union[Character, _Mapping]]] = ..., locations: _Optional[_Iterable[_Union[Location, _Mapping]]] = ..., props: _Optional[_Iterable[_Union[Prop, _Mapping]]] = ..., scenes: _Optional[_Iterable[_Union[Scene, _Mapping]]] = ..., ad_copy: _Optional[_Union[AdCopy, _Mapping]] = ..., generator: _Optional[str] = ..., trace_revisions: _Optional[_Iterable[str]] = ...) -> None: ...

class PropState(_message.Message):
    __slots__ = ("prop_id", "state", "holder_id")
    PROP_ID_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    HOLDER_ID_FIELD_NUMBER: _ClassVar[int]
    prop_id: str
    state: str
    holder_id: str
    def __init__(self, prop_id: _Optional[str] = ..., state: _Optional[str] = ..., holder_id: _Optional[str] = ...) -> None: ...

class CharacterContinuity(_message.Message):
    __slots__ = ("character_id", "wardrobe", "hair_makeup")
    CHARACTER_ID_FIELD_NUMBER: _ClassVar[int]
    WARDROBE_FIELD_NUMBER: _ClassVar[int]
    HAIR_MAKEUP_FIELD_NUMBER: _ClassVar[int]
    character_id: str
    wardrobe: str
    hair_makeup: str
    def __init__(self, character_id: _Optional[str] = ..., wardrobe: _Optional[str] = ..., hair_makeup: _Optional[str] = ...) -> None: ...

class ContinuityLock(_message.Message):
    __slots__ = ("characters", "props", "time_of_day", "screen_direction", "location_layout", "summary")
    CHARACTERS_FIELD_NUMBER: _ClassVar[int]
    PROPS_FIELD_NUMBER: _ClassVar[int]
    TIME_OF_DAY_FIELD_NUMBER: _ClassVar[int]
    SCREEN_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    LOCATION_LAYOUT_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    characters: _containers.RepeatedCompositeFieldContainer[CharacterContinuity]
    props: _containers.RepeatedCompositeFieldContainer[PropState]
    time_of_day: TimeOfDay
    screen_direction: ScreenDirection
    location_layout: str
    summary: str
    def __init__(self, characters: _Optional[_Iterable[_Union[CharacterContinuity, _Mapping]]] = ..., props: _Optional[_Iterable[_Union[PropState, _Mapping]]] = ..., time_of_day: _Optional[_Union[TimeOfDay, str]] = ..., screen_direction: _Optional[_Union[ScreenDirection, str]] = ..., location_layout: _Optional[str] = ..., summary: _Optional[str] = ...) -> None: ...

class Shot(_message.Message):
    __slots__ = ("id", "scene_id", "size", "angle", "movement", "lens_mm", "duration", "character_ids", "prop_ids", "screen_direction", "description", "dialogue", "voiceover", "speaker_id", "subject_id", "first_frame", "last_frame", "continuity", "beat_indexes")
    ID_FIELD_NUMBER: _ClassVar[int]
    SCENE_ID_FIELD_NUMBER: _ClassVar[int]
    SIZE_FIELD_NUMBER: _ClassVar[int]
    ANGLE_FIELD_NUMBER: _ClassVar[int]
    MOVEMENT_FIELD_NUMBER: _ClassVar[int]
    LENS_MM_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    PROP_IDS_FIELD_NUMBER: _ClassVar[int]
    SCREEN_DIRECTION_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    DIALOGUE_FIELD_NUMBER: _ClassVar[int]
    VOICEOVER_FIELD_NUMBER: _ClassVar[int]
    SPEAKER_ID_FIELD_NUMBER: _ClassVar[int]
    SUBJECT_ID_FIELD_NUMBER: _ClassVar[int]
    FIRST_FRAME_FIELD_NUMBER: _ClassVar[int]
    LAST_FRAME_FIELD_NUMBER: _ClassVar[int]
    CONTINUITY_FIELD_NUMBER: _ClassVar[int]
    BEAT_INDEXES_FIELD_NUMBER: _ClassVar[int]
    id: str
    scene_id: str
    size: ShotSize
    angle: CameraAngle
    movement: CameraMovement
    lens_mm: float
    duration: _duration_pb2.Duration
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    prop_ids: _containers.RepeatedScalarFieldContainer[str]
    screen_direction: ScreenDirection
    description: str
    dialogue: str
    voiceover: str
    speaker_id: str
    subject_id: str
    first_frame: str
    last_frame: str
    continuity: ContinuityLock
    beat_indexes: _containers.RepeatedScalarFieldContainer[int]
    def __init__(self, id: _Optional[str] = ..., scene_id: _Optional[str] = ..., size: _Optional[_Union[ShotSize, str]] = ..., angle: _Optional[_Union[CameraAngle, str]] = ..., movement: _Optional[_Union[CameraMovement, str]] = ..., lens_mm: _Optional[float] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., character_ids: _Optional[_Iterable[str]] = ..., prop_ids: _Optional[_Iterable[str]] = ..., screen_direction: _Optional[_Union[ScreenDirection, str]] = ..., description: _Optional[str] = ..., dialogue: _Optional[str] = ..., voiceover: _Optional[str] = ..., speaker_id: _Optional[str] = ..., subject_id: _Optional[str] = ..., first_frame: _Optional[str] = ..., last_frame: _Optional[str] = ..., continuity: _Optional[_Union[ContinuityLock, _Mapping]] = ..., beat_indexes: _Optional[_Iterable[int]] = ...) -> None: ...

class ShotPlan(_message.Message):
    __slots__ = ("revision", "plan_revision", "shots", "target_duration", "total_duration", "duration_tolerance", "generator", "parent_revision", "trace_revisions")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOTS_FIELD_NUMBER: _ClassVar[int]
    TARGET_DURATION_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DURATION_FIELD_NUMBER: _ClassVar[int]
    DURATION_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    GENERATOR_FIELD_NUMBER: _ClassVar[int]
    PARENT_REVISION_FIELD_NUMBER: _ClassVar[int]
    TRACE_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    revision: str
    plan_revision: str
    shots: _containers.RepeatedCompositeFieldContainer[Shot]
    target_duration: _duration_pb2.Duration
    total_duration: _duration_pb2.Duration
    duration_tolerance: float
    generator: str
    parent_revision: str
    trace_revisions: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, revision: _Optional[str] = ..., plan_revision: _Optional[str] = ..., shots: _Optional[_Iterable[_Union[Shot, _Mapping]]] = ..., target_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., total_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., duration_tolerance: _Optional[float] = ..., generator: _Optional[str] = ..., parent_revision: _Optional[str] = ..., trace_revisions: _Optional[_Iterable[str]] = ...) -> None: ...

class Violation(_message.Message):
    __slots__ = ("kind", "severity", "message", "shot_ids", "scene_id", "entity_ids", "fixable")
    class Kind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        KIND_UNSPECIFIED: _ClassVar[Violation.Kind]
        KIND_UNKNOWN_ENTITY: _ClassVar[Violation.Kind]
        KIND_CHARACTER_NOT_IN_SCENE: _ClassVar[Violation.Kind]
        KIND_WARDROBE_CONFLICT: _ClassVar[Violation.Kind]
        KIND_PROP_CONFLICT: _ClassVar[Violation.Kind]
        KIND_TIME_OF_DAY_CONFLICT: _ClassVar[Violation.Kind]
        KIND_SCREEN_DIRECTION_BREAK: _ClassVar[Violation.Kind]
        KIND_DUPLICATE_ID: _ClassVar[Violation.Kind]
        KIND_MISSING_ID: _ClassVar[Violation.Kind]
        KIND_DURATION_OFF_TARGET: _ClassVar[Violation.Kind]
        KIND_UNCOVERED_SCENE: _ClassVar[Violation.Kind]
    KIND_UNSPECIFIED: Violation.Kind
    KIND_UNKNOWN_ENTITY: Violation.Kind
    KIND_CHARACTER_NOT_IN_SCENE: Violation.Kind
    KIND_WARDROBE_CONFLICT: Violation.Kind
    KIND_PROP_CONFLICT: Violation.Kind
    KIND_TIME_OF_DAY_CONFLICT: Violation.Kind
    KIND_SCREEN_DIRECTION_BREAK: Violation.Kind
    KIND_DUPLICATE_ID: Violation.Kind
    KIND_MISSING_ID: Violation.Kind
    KIND_DURATION_OFF_TARGET: Violation.Kind
    KIND_UNCOVERED_SCENE: Violation.Kind
    class Severity(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        SEVERITY_UNSPECIFIED: _ClassVar[Violation.Severity]
        SEVERITY_WARNING: _ClassVar[Violation.Severity]
        SEVERITY_ERROR: _ClassVar[Violation.Severity]
    SEVERITY_UNSPECIFIED: Violation.Severity
    SEVERITY_WARNING: Violation.Severity
    SEVERITY_ERROR: Violation.Severity
    KIND_FIELD_NUMBER: _ClassVar[int]
    SEVERITY_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    SHOT_IDS_FIELD_NUMBER: _ClassVar[int]
    SCENE_ID_FIELD_NUMBER: _ClassVar[int]
    ENTITY_IDS_FIELD_NUMBER: _ClassVar[int]
    FIXABLE_FIELD_NUMBER: _ClassVar[int]
    kind: Violation.Kind
    severity: Violation.Severity
    message: str
    shot_ids: _containers.RepeatedScalarFieldContainer[str]
    scene_id: str
    entity_ids: _containers.RepeatedScalarFieldContainer[str]
    fixable: bool
    def __init__(self, kind: _Optional[_Union[Violation.Kind, str]] = ..., severity: _Optional[_Union[Violation.Severity, str]] = ..., message: _Optional[str] = ..., shot_ids: _Optional[_Iterable[str]] = ..., scene_id: _Optional[str] = ..., entity_ids: _Optional[_Iterable[str]] = ..., fixable: _Optional[bool] = ...) -> None: ...

class ContinuityReport(_message.Message):
    __slots__ = ("revision", "shot_plan_revision", "violations", "score", "shot_count", "total_duration", "target_duration", "duration_tolerance")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    VIOLATIONS_FIELD_NUMBER: _ClassVar[int]
    SCORE_FIELD_NUMBER: _ClassVar[int]
    SHOT_COUNT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_DURATION_FIELD_NUMBER: _ClassVar[int]
    TARGET_DURATION_FIELD_NUMBER: _ClassVar[int]
    DURATION_TOLERANCE_FIELD_NUMBER: _ClassVar[int]
    revision: str
    shot_plan_revision: str
    violations: _containers.RepeatedCompositeFieldContainer[Violation]
    score: int
    shot_count: int
    total_duration: _duration_pb2.Duration
    target_duration: _duration_pb2.Duration
    duration_tolerance: float
    def __init__(self, revision: _Optional[str] = ..., shot_plan_revision: _Optional[str] = ..., violations: _Optional[_Iterable[_Union[Violation, _Mapping]]] = ..., score: _Optional[int] = ..., shot_count: _Optional[int] = ..., total_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., target_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., duration_tolerance: _Optional[float] = ...) -> None: ...

class ScreenplayBrief(_message.Message):
    __slots__ = ("script_revision",)
    SCRIPT_REVISION_FIELD_NUMBER: _ClassVar[int]
    script_revision: str
    def __init__(self, script_revision: _Optional[str] = ...) -> None: ...

class MusicVideoBrief(_message.Message):
    __slots__ = ("idea", "character_description", "character_characteristics", "number_of_scenes", "video_type", "video_characteristics", "camera_angle")
    IDEA_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_CHARACTERISTICS_FIELD_NUMBER: _ClassVar[int]
    NUMBER_OF_SCENES_FIELD_NUMBER: _ClassVar[int]
    VIDEO_TYPE_FIELD_NUMBER: _ClassVar[int]
    VIDEO_CHARACTERISTICS_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ANGLE_FIELD_NUMBER: _ClassVar[int]
    idea: str
    character_description: str
    character_characteristics: str
    number_of_scenes: int
    video_type: str
    video_characteristics: str
    camera_angle: CameraAngle
    def __init__(self, idea: _Optional[str] = ..., character_description: _Optional[str] = ..., character_characteristics: _Optional[str] = ..., number_of_scenes: _Optional[int] = ..., video_type: _Optional[str] = ..., video_characteristics: _Optional[str] = ..., camera_angle: _Optional[_Union[CameraAngle, str]] = ...) -> None: ...

class ProductAdBrief(_message.Message):
    __slots__ = ("product_name", "style", "cta_text", "product_image_blob", "product_description")
    PRODUCT_NAME_FIELD_NUMBER: _ClassVar[int]
    STYLE_FIELD_NUMBER: _ClassVar[int]
    CTA_TEXT_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_IMAGE_BLOB_FIELD_NUMBER: _ClassVar[int]
    PRODUCT_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    product_name: str
    style: AdStyle
    cta_text: str
    product_image_blob: str
    product_description: str
    def __init__(self, product_name: _Optional[str] = ..., style: _Optional[_Union[AdStyle, str]] = ..., cta_text: _Optional[str] = ..., product_image_blob: _Optional[str] = ..., product_description: _Optional[str] = ...) -> None: ...

class SceneBrief(_message.Message):
    __slots__ = ("scene_description", "genre", "frame_count", "base_params")
    SCENE_DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    GENRE_FIELD_NUMBER: _ClassVar[int]
    FRAME_COUNT_FIELD_NUMBER: _ClassVar[int]
    BASE_PARAMS_FIELD_NUMBER: _ClassVar[int]
    scene_description: str
    genre: str
    frame_count: int
    base_params: LookParameters
    def __init__(self, scene_description: _Optional[str] = ..., genre: _Optional[str] = ..., frame_count: _Optional[int] = ..., base_params: _Optional[_Union[LookParameters, _Mapping]] = ...) -> None: ...

class PlanPreferences(_message.Message):
    __slots__ = ("style", "visual_realism", "pacing", "target_duration", "aspect_ratio")
    STYLE_FIELD_NUMBER: _ClassVar[int]
    VISUAL_REALISM_FIELD_NUMBER: _ClassVar[int]
    PACING_FIELD_NUMBER: _ClassVar[int]
    TARGET_DURATION_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    style: str
    visual_realism: VisualRealism
    pacing: Pacing
    target_duration: _duration_pb2.Duration
    aspect_ratio: str
    def __init__(self, style: _Optional[str] = ..., visual_realism: _Optional[_Union[VisualRealism, str]] = ..., pacing: _Optional[_Union[Pacing, str]] = ..., target_duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., aspect_ratio: _Optional[str] = ...) -> None: ...

class PlanPatch(_message.Message):
    __slots__ = ("path", "op", "value")
    class Op(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OP_UNSPECIFIED: _ClassVar[PlanPatch.Op]
        OP_REPLACE: _ClassVar[PlanPatch.Op]
        OP_ADD: _ClassVar[PlanPatch.Op]
        OP_REMOVE: _ClassVar[PlanPatch.Op]
    OP_UNSPECIFIED: PlanPatch.Op
    OP_REPLACE: PlanPatch.Op
    OP_ADD: PlanPatch.Op
    OP_REMOVE: PlanPatch.Op
    PATH_FIELD_NUMBER: _ClassVar[int]
    OP_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    path: str
    op: PlanPatch.Op
    value: _struct_pb2.Value
    def __init__(self, path: _Optional[str] = ..., op: _Optional[_Union[PlanPatch.Op, str]] = ..., value: _Optional[_Union[_struct_pb2.Value, _Mapping]] = ...) -> None: ...

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

class LookAdjustment(_message.Message):
    __slots__ = ("lighting_delta", "contrast_delta", "hdr_bloom_delta", "color_temperature_delta_kelvin", "fov_delta_degrees", "saturation_delta")
    LIGHTING_DELTA_FIELD_NUMBER: _ClassVar[int]
    CONTRAST_DELTA_FIELD_NUMBER: _ClassVar[int]
    HDR_BLOOM_DELTA_FIELD_NUMBER: _ClassVar[int]
    COLOR_TEMPERATURE_DELTA_KELVIN_FIELD_NUMBER: _ClassVar[int]
    FOV_DELTA_DEGREES_FIELD_NUMBER: _ClassVar[int]
    SATURATION_DELTA_FIELD_NUMBER: _ClassVar[int]
    lighting_delta: int
    contrast_delta: int
    hdr_bloom_delta: int
    color_temperature_delta_kelvin: int
    fov_delta_degrees: float
    saturation_delta: int
    def __init__(self, lighting_delta: _Optional[int] = ..., contrast_delta: _Optional[int] = ..., hdr_bloom_delta: _Optional[int] = ..., color_temperature_delta_kelvin: _Optional[int] = ..., fov_delta_degrees: _Optional[float] = ..., saturation_delta: _Optional[int] = ...) -> None: ...

class EditInstruction(_message.Message):
    __slots__ = ("aspect", "instruction", "target")
    class Aspect(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        ASPECT_UNSPECIFIED: _ClassVar[EditInstruction.Aspect]
        ASPECT_LIGHTING: _ClassVar[EditInstruction.Aspect]
        ASPECT_CONTRAST: _ClassVar[EditInstruction.Aspect]
        ASPECT_COLOR: _ClassVar[EditInstruction.Aspect]
        ASPECT_CAMERA: _ClassVar[EditInstruction.Aspect]
        ASPECT_COMPOSITION: _ClassVar[EditInstruction.Aspect]
        ASPECT_ELEMENT: _ClassVar[EditInstruction.Aspect]
        ASPECT_CHARACTER: _ClassVar[EditInstruction.Aspect]
        ASPECT_ATMOSPHERE: _ClassVar[EditInstruction.Aspect]
        ASPECT_STYLE: _ClassVar[EditInstruction.Aspect]
        ASPECT_OTHER: _ClassVar[EditInstruction.Aspect]
    ASPECT_UNSPECIFIED: EditInstruction.Aspect
    ASPECT_LIGHTING: EditInstruction.Aspect
    ASPECT_CONTRAST: EditInstruction.Aspect
    ASPECT_COLOR: EditInstruction.Aspect
    ASPECT_CAMERA: EditInstruction.Aspect
    ASPECT_COMPOSITION: EditInstruction.Aspect
    ASPECT_ELEMENT: EditInstruction.Aspect
    ASPECT_CHARACTER: EditInstruction.Aspect
    ASPECT_ATMOSPHERE: EditInstruction.Aspect
    ASPECT_STYLE: EditInstruction.Aspect
    ASPECT_OTHER: EditInstruction.Aspect
    ASPECT_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTION_FIELD_NUMBER: _ClassVar[int]
    TARGET_FIELD_NUMBER: _ClassVar[int]
    aspect: EditInstruction.Aspect
    instruction: str
    target: str
    def __init__(self, aspect: _Optional[_Union[EditInstruction.Aspect, str]] = ..., instruction: _Optional[str] = ..., target: _Optional[str] = ...) -> None: ...

class EditDelta(_message.Message):
    __slots__ = ("feedback", "summary", "instructions", "look", "add_elements", "remove_elements", "emphasize_elements", "prompt_additions", "negative_additions", "shot_size", "camera_angle")
    FEEDBACK_FIELD_NUMBER: _ClassVar[int]
    SUMMARY_FIELD_NUMBER: _ClassVar[int]
    INSTRUCTIONS_FIELD_NUMBER: _ClassVar[int]
    LOOK_FIELD_NUMBER: _ClassVar[int]
    ADD_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    REMOVE_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    EMPHASIZE_ELEMENTS_FIELD_NUMBER: _ClassVar[int]
    PROMPT_ADDITIONS_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_ADDITIONS_FIELD_NUMBER: _ClassVar[int]
    SHOT_SIZE_FIELD_NUMBER: _ClassVar[int]
    CAMERA_ANGLE_FIELD_NUMBER: _ClassVar[int]
    feedback: str
    summary: str
    instructions: _containers.RepeatedCompositeFieldContainer[EditInstruction]
    look: LookAdjustment
    add_elements: _containers.RepeatedScalarFieldContainer[str]
    remove_elements: _containers.RepeatedScalarFieldContainer[str]
    emphasize_elements: _containers.RepeatedScalarFieldContainer[str]
    prompt_additions: _containers.RepeatedScalarFieldContainer[str]
    negative_additions: _containers.RepeatedScalarFieldContainer[str]
    shot_size: ShotSize
    camera_angle: CameraAngle
    def __init__(self, feedback: _Optional[str] = ..., summary: _Optional[str] = ..., instructions: _Optional[_Iterable[_Union[EditInstruction, _Mapping]]] = ..., look: _Optional[_Union[LookAdjustment, _Mapping]] = ..., add_elements: _Optional[_Iterable[str]] = ..., remove_elements: _Optional[_Iterable[str]] = ..., emphasize_elements: _Optional[_Iterable[str]] = ..., prompt_additions: _Optional[_Iterable[str]] = ..., negative_additions: _Optional[_Iterable[str]] = ..., shot_size: _Optional[_Union[ShotSize, str]] = ..., camera_angle: _Optional[_Union[CameraAngle, str]] = ...) -> None: ...

class RenderPrompt(_message.Message):
    __slots__ = ("positive", "negative", "aspect_ratio", "reference_revisions", "reference_blobs", "target_kind", "target_id", "character_ids", "plan_revision", "shot_plan_revision", "duration")
    POSITIVE_FIELD_NUMBER: _ClassVar[int]
    NEGATIVE_FIELD_NUMBER: _ClassVar[int]
    ASPECT_RATIO_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_REVISIONS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_BLOBS_FIELD_NUMBER: _ClassVar[int]
    TARGET_KIND_FIELD_NUMBER: _ClassVar[int]
    TARGET_ID_FIELD_NUMBER: _ClassVar[int]
    CHARACTER_IDS_FIELD_NUMBER: _ClassVar[int]
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    DURATION_FIELD_NUMBER: _ClassVar[int]
    positive: str
    negative: str
    aspect_ratio: str
    reference_revisions: _containers.RepeatedScalarFieldContainer[str]
    reference_blobs: _containers.RepeatedScalarFieldContainer[str]
    target_kind: RenderTargetKind
    target_id: str
    character_ids: _containers.RepeatedScalarFieldContainer[str]
    plan_revision: str
    shot_plan_revision: str
    duration: _duration_pb2.Duration
    def __init__(self, positive: _Optional[str] = ..., negative: _Optional[str] = ..., aspect_ratio: _Optional[str] = ..., reference_revisions: _Optional[_Iterable[str]] = ..., reference_blobs: _Optional[_Iterable[str]] = ..., target_kind: _Optional[_Union[RenderTargetKind, str]] = ..., target_id: _Optional[str] = ..., character_ids: _Optional[_Iterable[str]] = ..., plan_revision: _Optional[str] = ..., shot_plan_revision: _Optional[str] = ..., duration: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ...) -> None: ...

class LlmTrace(_message.Message):
    __slots__ = ("revision", "model", "purpose", "prompt", "response", "input_tokens", "output_tokens", "latency", "attempt", "outcome", "error", "request_id")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[LlmTrace.Outcome]
        OUTCOME_SUCCESS: _ClassVar[LlmTrace.Outcome]
        OUTCOME_INVALID_OUTPUT: _ClassVar[LlmTrace.Outcome]
        OUTCOME_RATE_LIMITED: _ClassVar[LlmTrace.Outcome]
        OUTCOME_SERVER_ERROR: _ClassVar[LlmTrace.Outcome]
        OUTCOME_TIMEOUT: _ClassVar[LlmTrace.Outcome]
        OUTCOME_BLOCKED: _ClassVar[LlmTrace.Outcome]
        OUTCOME_CLIENT_ERROR: _ClassVar[LlmTrace.Outcome]
    OUTCOME_UNSPECIFIED: LlmTrace.Outcome
    OUTCOME_SUCCESS: LlmTrace.Outcome
    OUTCOME_INVALID_OUTPUT: LlmTrace.Outcome
    OUTCOME_RATE_LIMITED: LlmTrace.Outcome
    OUTCOME_SERVER_ERROR: LlmTrace.Outcome
    OUTCOME_TIMEOUT: LlmTrace.Outcome
    OUTCOME_BLOCKED: LlmTrace.Outcome
    OUTCOME_CLIENT_ERROR: LlmTrace.Outcome
    REVISION_FIELD_NUMBER: _ClassVar[int]
    MODEL_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_NUMBER: _ClassVar[int]
    INPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TOKENS_FIELD_NUMBER: _ClassVar[int]
    LATENCY_FIELD_NUMBER: _ClassVar[int]
    ATTEMPT_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    revision: str
    model: str
    purpose: str
    prompt: str
    response: str
    input_tokens: int
    output_tokens: int
    latency: _duration_pb2.Duration
    attempt: int
    outcome: LlmTrace.Outcome
    error: str
    request_id: str
    def __init__(self, revision: _Optional[str] = ..., model: _Optional[str] = ..., purpose: _Optional[str] = ..., prompt: _Optional[str] = ..., response: _Optional[str] = ..., input_tokens: _Optional[int] = ..., output_tokens: _Optional[int] = ..., latency: _Optional[_Union[datetime.timedelta, _duration_pb2.Duration, _Mapping]] = ..., attempt: _Optional[int] = ..., outcome: _Optional[_Union[LlmTrace.Outcome, str]] = ..., error: _Optional[str] = ..., request_id: _Optional[str] = ...) -> None: ...

class ExportFile(_message.Message):
    __slots__ = ("format", "blob", "media_type", "size_bytes", "file_name")
    FORMAT_FIELD_NUMBER: _ClassVar[int]
    BLOB_FIELD_NUMBER: _ClassVar[int]
    MEDIA_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FILE_NAME_FIELD_NUMBER: _ClassVar[int]
    format: ExportFormat
    blob: str
    media_type: str
    size_bytes: int
    file_name: str
    def __init__(self, format: _Optional[_Union[ExportFormat, str]] = ..., blob: _Optional[str] = ..., media_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., file_name: _Optional[str] = ...) -> None: ...

class PlanExport(_message.Message):
    __slots__ = ("revision", "plan_revision", "shot_plan_revision", "files")
    REVISION_FIELD_NUMBER: _ClassVar[int]
    PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    SHOT_PLAN_REVISION_FIELD_NUMBER: _ClassVar[int]
    FILES_FIELD_NUMBER: _ClassVar[int]
    revision: str
    plan_revision: str
    shot_plan_revision: str
    files: _containers.RepeatedCompositeFieldContainer[ExportFile]
    def __init__(self, revision: _Optional[str] = ..., plan_revision: _Optional[str] = ..., shot_plan_revision: _Optional[str] = ..., files: _Optional[_Iterable[_Union[ExportFile, _Mapping]]] = ...) -> None: ...
