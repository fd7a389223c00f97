"""What the local renderer and the storyboard need from a planner shot plan:
a :class:`PanelSpec` per shot, with names instead of ids and the shared
vocabulary without enum prefixes (``SHOT_SIZE_CLOSE_UP`` → ``CLOSE_UP``)."""

from __future__ import annotations

from previs.planner.v1 import planner_pb2
from services.media.backends.base import PanelSpec


def enum_suffix(enum_type, value: int, prefix: str, default: str) -> str:
    """``SHOT_SIZE_CLOSE_UP`` → ``CLOSE_UP``; unset values give ``default``."""
    if value == 0:
        return default
    return enum_type.Name(value).removeprefix(prefix)


class PlanIndex:
    """Lookups by id into a plan, built once per job."""

    def __init__(self, plan: planner_pb2.Plan) -> None:
        self.plan = plan
        self.characters = {c.id: c for c in plan.characters}
        self.locations = {loc.id: loc for loc in plan.locations}
        self.props = {p.id: p for p in plan.props}
        self.scenes = {s.id: s for s in plan.scenes}

    def character_names(self, ids) -> tuple[str, ...]:
        return tuple(self.characters[i].name if i in self.characters else i for i in ids)

    def prop_names(self, ids) -> tuple[str, ...]:
        return tuple(self.props[i].name if i in self.props else i for i in ids)


def time_of_day(shot: planner_pb2.Shot, index: PlanIndex) -> str:
    value = shot.continuity.time_of_day
    if value == 0 and shot.scene_id in index.scenes:
        value = index.scenes[shot.scene_id].time_of_day
    return enum_suffix(planner_pb2.TimeOfDay, value, "TIME_OF_DAY_", "DAY")


def location_name(shot: planner_pb2.Shot, index: PlanIndex) -> str:
    scene = index.scenes.get(shot.scene_id)
    location = index.locations.get(scene.location_id) if scene else None
    return location.name if location else ""


def is_interior(shot: planner_pb2.Shot, index: PlanIndex) -> bool:
    """An ``INT.`` scene (not ``INT./EXT.``, which sees outside too)."""
    scene = index.scenes.get(shot.scene_id)
    location = index.locations.get(scene.location_id) if scene else None
    return location is not None and location.setting == planner_pb2.SETTING_INTERIOR


def panel_for_shot(shot: planner_pb2.Shot, index: PlanIndex) -> PanelSpec:
    return PanelSpec(
        shot_id=shot.id,
        scene_id=shot.scene_id,
        shot_size=enum_suffix(planner_pb2.ShotSize, shot.size, "SHOT_SIZE_", "MEDIUM"),
        camera_angle=enum_suffix(planner_pb2.CameraAngle, shot.angle, "CAMERA_ANGLE_", "EYE_LEVEL"),
        camera_movement=enum_suffix(planner_pb2.CameraMovement, shot.movement, "CAMERA_MOVEMENT_", "STATIC"),
        screen_direction=enum_suffix(planner_pb2.ScreenDirection, shot.screen_direction, "SCREEN_DIRECTION_", "NEUTRAL"),
        time_of_day=time_of_day(shot, index),
        style=index.plan.bible.style,
        location=location_name(shot, index),
        interior=is_interior(shot, index),
        characters=index.character_names(shot.character_ids),
        props=index.prop_names(shot.prop_ids),
        description=shot.description,
        dialogue=shot.dialogue or shot.voiceover,
        lens_mm=shot.lens_mm or 35.0,
        duration_seconds=shot.duration.ToTimedelta().total_seconds() or 3.0,
    )
