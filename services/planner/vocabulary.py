"""The planner's enumerations, shared with media (docs/CONVENTIONS.md).

Each Python enum value is the proto enum value name without its prefix:
``ShotSize.CLOSE_UP`` is ``SHOT_SIZE_CLOSE_UP`` in ``previs.planner.v1``, and
``UNSPECIFIED`` is the proto zero value. :func:`proto_name` and
:func:`from_proto_name` convert between the two.
"""

from __future__ import annotations

import enum
import re

from services.runtime.errors import InvalidArgument


class ShotSize(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    EXTREME_WIDE = "EXTREME_WIDE"
    WIDE = "WIDE"
    FULL = "FULL"
    MEDIUM_WIDE = "MEDIUM_WIDE"
    MEDIUM = "MEDIUM"
    MEDIUM_CLOSE_UP = "MEDIUM_CLOSE_UP"
    CLOSE_UP = "CLOSE_UP"
    EXTREME_CLOSE_UP = "EXTREME_CLOSE_UP"
    INSERT = "INSERT"
    OVER_THE_SHOULDER = "OVER_THE_SHOULDER"
    POINT_OF_VIEW = "POINT_OF_VIEW"


class CameraAngle(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    EYE_LEVEL = "EYE_LEVEL"
    HIGH = "HIGH"
    LOW = "LOW"
    OVERHEAD = "OVERHEAD"
    DUTCH = "DUTCH"
    WORMS_EYE = "WORMS_EYE"


class CameraMovement(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    STATIC = "STATIC"
    PAN_LEFT = "PAN_LEFT"
    PAN_RIGHT = "PAN_RIGHT"
    TILT_UP = "TILT_UP"
    TILT_DOWN = "TILT_DOWN"
    PUSH_IN = "PUSH_IN"
    PULL_OUT = "PULL_OUT"
    TRACKING = "TRACKING"
    HANDHELD = "HANDHELD"
    CRANE_UP = "CRANE_UP"
    CRANE_DOWN = "CRANE_DOWN"


class ScreenDirection(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    LEFT_TO_RIGHT = "LEFT_TO_RIGHT"
    RIGHT_TO_LEFT = "RIGHT_TO_LEFT"
    TOWARD_CAMERA = "TOWARD_CAMERA"
    AWAY_FROM_CAMERA = "AWAY_FROM_CAMERA"
    NEUTRAL = "NEUTRAL"


class TimeOfDay(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    DAY = "DAY"
    NIGHT = "NIGHT"
    DAWN = "DAWN"
    DUSK = "DUSK"
    MORNING = "MORNING"
    AFTERNOON = "AFTERNOON"
    EVENING = "EVENING"
    CONTINUOUS = "CONTINUOUS"


class Setting(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    INTERIOR = "INTERIOR"
    EXTERIOR = "EXTERIOR"
    INTERIOR_EXTERIOR = "INTERIOR_EXTERIOR"


class BriefKind(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    SCREENPLAY = "SCREENPLAY"
    MUSIC_VIDEO = "MUSIC_VIDEO"
    PRODUCT_AD = "PRODUCT_AD"
    SCENE = "SCENE"


class VisualRealism(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    LOW = "LOW"
    MEDIUM = "MEDIUM"
    HIGH = "HIGH"


class Pacing(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    SLOW = "SLOW"
    MEDIUM = "MEDIUM"
    FAST = "FAST"


class AdStyle(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    LUXURY = "LUXURY"
    ENERGETIC = "ENERGETIC"
    MINIMAL = "MINIMAL"
    BOLD = "BOLD"


class Composition(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    RULE_OF_THIRDS = "RULE_OF_THIRDS"
    CENTERED = "CENTERED"
    SYMMETRICAL = "SYMMETRICAL"
    LEADING_LINES = "LEADING_LINES"
    DIAGONAL = "DIAGONAL"
    FRAME_WITHIN_FRAME = "FRAME_WITHIN_FRAME"


ASPECT_RATIOS: tuple[str, ...] = ("16:9", "9:16", "1:1", "4:3", "3:4", "2.39:1")
DEFAULT_ASPECT_RATIO = "16:9"

SHOT_SIZE_ABBREVIATIONS: dict[ShotSize, str] = {
    ShotSize.EXTREME_WIDE: "EWS",
    ShotSize.WIDE: "WS",
    ShotSize.FULL: "FS",
    ShotSize.MEDIUM_WIDE: "MWS",
    ShotSize.MEDIUM: "MS",
    ShotSize.MEDIUM_CLOSE_UP: "MCU",
    ShotSize.CLOSE_UP: "CU",
    ShotSize.EXTREME_CLOSE_UP: "ECU",
    ShotSize.INSERT: "INSERT",
    ShotSize.OVER_THE_SHOULDER: "OTS",
    ShotSize.POINT_OF_VIEW: "POV",
}

_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


def _prefix(enum_type: type[enum.StrEnum]) -> str:
    return _CAMEL_BOUNDARY.sub("_", enum_type.__name__).upper()


def proto_name(value: enum.StrEnum) -> str:
    """``ShotSize.CLOSE_UP`` -> ``"SHOT_SIZE_CLOSE_UP"``."""
    return f"{_prefix(type(value))}_{value.value}"


def from_proto_name(enum_type: type[enum.StrEnum], name: str) -> enum.StrEnum:
    """``(ShotSize, "SHOT_SIZE_CLOSE_UP")`` -> ``ShotSize.CLOSE_UP``."""
    prefix = _prefix(enum_type) + "_"
    if not name.startswith(prefix):
        raise ValueError(f"{name!r} is not a {enum_type.__name__} value")
    return enum_type(name[len(prefix):])


def check_aspect_ratio(value: str, field: str = "aspect_ratio") -> str:
    """Returns the aspect ratio, ``16:9`` when empty; INVALID_ARGUMENT otherwise."""
    if not value:
        return DEFAULT_ASPECT_RATIO
    if value not in ASPECT_RATIOS:
        raise InvalidArgument.for_field(field, f"{value[:20]!r} is not one of {', '.join(ASPECT_RATIOS)}", "INVALID_ASPECT_RATIO")
    return value


def humanize(value: enum.StrEnum) -> str:
    """``TimeOfDay.NIGHT`` -> ``"night"``; ``ShotSize.CLOSE_UP`` -> ``"close-up"``."""
    text = value.value.lower().replace("_", " ")
    return text.replace("close up", "close-up").replace("over the shoulder", "over-the-shoulder").replace("worms eye", "worm's-eye")
