"""What an image is of, in the planner's terms (a shot, a character sheet,
a location reference, the style frame), and what follows from it: the
planner's render-prompt request, and the panel the local renderer draws.

Lock profiles are the same message in both contracts (field for field), so
the media one converts to the planner one by its wire form.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from previs.media.v1 import media_pb2
from previs.planner.v1 import planner_pb2, planner_service_pb2
from services.media.backends.base import PanelSpec
from services.media.panel_look import look_from
from services.media.shot_panels import PlanIndex, panel_for_shot
from services.runtime.errors import InvalidArgument

MAX_LOCK_ELEMENTS = 50
MAX_LOCK_ELEMENT_CHARS = 200


class TargetKind(enum.Enum):
    """Values are the ``image_type`` labels on image assets: ``ImageType``
    names without their prefix, in lower case."""

    STYLE_FRAME = "style_frame"
    CHARACTER_REFERENCE = "character_reference"
    LOCATION_REFERENCE = "location_reference"
    SHOT_FRAME = "shot_frame"


@dataclass(frozen=True)
class RenderTarget:
    """One image of a plan; ``id`` is the shot, character or location id
    (``style_frame`` for the style frame). It is also the job item key."""

    kind: TargetKind
    id: str

    @property
    def key(self) -> str:
        return self.id


STYLE_FRAME_ID = "style_frame"


def checked_lock_profile(lock: media_pb2.LockProfile, field: str) -> media_pb2.LockProfile:
    for name in ("banned_elements", "must_keep_elements"):
        values = getattr(lock, name)
        if len(values) > MAX_LOCK_ELEMENTS:
            raise InvalidArgument.for_field(f"{field}.{name}", f"at most {MAX_LOCK_ELEMENTS} elements")
        for index, value in enumerate(values):
            if not value.strip() or len(value) > MAX_LOCK_ELEMENT_CHARS:
                raise InvalidArgument.for_field(f"{field}.{name}[{index}]",
                                                f"must be 1 to {MAX_LOCK_ELEMENT_CHARS} characters")
    banned = {element.strip().lower() for element in lock.banned_elements}
    for index, element in enumerate(lock.must_keep_elements):
        if element.strip().lower() in banned:
            raise InvalidArgument.for_field(f"{field}.must_keep_elements[{index}]", f"{element[:40]!r} is also banned",
                                            "LOCK_PROFILE_CONFLICT")
    return lock


def planner_lock(lock: media_pb2.LockProfile) -> planner_pb2.LockProfile:
    """The planner's ``LockProfile`` with the same values."""
    return planner_pb2.LockProfile.FromString(lock.SerializeToString())


def prompt_request(
    target: RenderTarget,
    plan_revision: str,
    shot_plan_revision: str,
    lock: media_pb2.LockProfile,
    *,
    edit_delta: planner_pb2.EditDelta | None = None,
    source_image_revision: str = "",
) -> planner_service_pb2.BuildRenderPromptRequest:
    request = planner_service_pb2.BuildRenderPromptRequest(
        plan_revision=plan_revision,
        shot_plan_revision=shot_plan_revision,
        lock_profile=planner_lock(lock),
        source_image_revision=source_image_revision,
    )
    if target.kind is TargetKind.SHOT_FRAME:
        request.shot_id = target.id
    elif target.kind is TargetKind.CHARACTER_REFERENCE:
        request.character_id = target.id
    elif target.kind is TargetKind.LOCATION_REFERENCE:
        request.location_id = target.id
    else:
        request.style_frame = True
    if edit_delta is not None:
        request.edit_delta.CopyFrom(edit_delta)
    return request


def panel_for_target(target: RenderTarget, index: PlanIndex, shots: dict[str, planner_pb2.Shot]) -> PanelSpec:
    """What the local renderer draws for ``target``."""
    plan = index.plan
    style = plan.bible.style
    if target.kind is TargetKind.SHOT_FRAME:
        return panel_for_shot(shots[target.id], index)
    if target.kind is TargetKind.CHARACTER_REFERENCE:
        character = index.characters[target.id]
        look = character.identity_lock or character.description
        return PanelSpec(shot_id=character.id, shot_size="FULL", style=style, characters=(character.name,),
                         description=f"Character reference: {character.name}. {look}".strip(),
                         duration_seconds=3.0)
    if target.kind is TargetKind.LOCATION_REFERENCE:
        location = index.locations[target.id]
        return PanelSpec(shot_id=location.id, shot_size="EXTREME_WIDE", style=style, location=location.name,
                         description=f"Location reference: {location.name}. {location.description}".strip(),
                         duration_seconds=3.0)
    return PanelSpec(shot_id="STYLE", shot_size="WIDE", style=style,
                     description=f"Style frame: {plan.title}. {plan.bible.logline}".strip(), duration_seconds=3.0)


def edited_panel(panel: PanelSpec, delta: planner_pb2.EditDelta) -> PanelSpec:
    """The panel with an edit applied: a reframing the feedback asks for,
    its look changes (light, contrast, colour, framing), and the edit's
    summary in the description."""
    size = panel.shot_size
    if delta.shot_size:
        size = planner_pb2.ShotSize.Name(delta.shot_size).removeprefix("SHOT_SIZE_")
    angle = panel.camera_angle
    if delta.camera_angle:
        angle = planner_pb2.CameraAngle.Name(delta.camera_angle).removeprefix("CAMERA_ANGLE_")
    summary = delta.summary or delta.feedback
    description = f"{panel.description} (edit: {summary})" if summary else panel.description
    return PanelSpec(
        **{**vars(panel), "shot_size": size, "camera_angle": angle, "description": description, "look": look_from(delta.look)}
    )
