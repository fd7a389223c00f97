"""Render prompts for media: a shot, character, location or style frame
plus the plan and a lock profile into positive and negative prompts, aspect
ratio and reference images.

Every prompt that shows a character carries the character's canonical
description (identity lock, wardrobe, hair and make-up) verbatim, so the
same person is described the same way in every frame. References are
ordered character references first (in frame order), then location
references, then style frames, then the image being edited.
"""

from __future__ import annotations

import enum

from pydantic import BaseModel, ConfigDict, Field

from services.planner.feedback import EditDelta
from services.planner.plan import Character, Location, Plan, PlanIndex
from services.planner.prose import clip
from services.planner.shot_plan import Shot, ShotPlan
from services.planner.vocabulary import (
    SHOT_SIZE_ABBREVIATIONS,
    CameraAngle,
    CameraMovement,
    Composition,
    Setting,
    TimeOfDay,
    VisualRealism,
    humanize,
)
from services.runtime.errors import InvalidArgument

MAX_PROMPT_CHARS = 4000
CHARACTER_SHEET_ASPECT_RATIO = "1:1"
BASE_NEGATIVE = ["blurry", "low quality", "distorted anatomy", "extra limbs", "deformed hands", "text", "watermark",
                 "logo", "subtitles", "split screen", "frame border"]
_REALISM = {
    VisualRealism.HIGH: "photorealistic cinematic film still",
    VisualRealism.MEDIUM: "stylised cinematic illustration",
    VisualRealism.LOW: "storyboard sketch, clean pencil lines, grey wash",
    VisualRealism.UNSPECIFIED: "cinematic film still",
}
_OPPOSITE_LIGHT = {
    TimeOfDay.NIGHT: "daylight, bright sky", TimeOfDay.DAY: "night, darkness", TimeOfDay.DAWN: "midday sun, night",
    TimeOfDay.DUSK: "midday sun", TimeOfDay.MORNING: "night", TimeOfDay.AFTERNOON: "night", TimeOfDay.EVENING: "midday sun",
}


class LockProfile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    preserve_identity: bool = False
    preserve_wardrobe: bool = False
    preserve_style: bool = False
    preserve_camera: bool = False
    preserve_pose: bool = False
    preserve_location_layout: bool = False
    preserve_time_of_day: bool = False
    banned_elements: list[str] = Field(default_factory=list, max_length=50)
    must_keep_elements: list[str] = Field(default_factory=list, max_length=50)


class RenderTargetKind(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    SHOT = "SHOT"
    CHARACTER = "CHARACTER"
    LOCATION = "LOCATION"
    STYLE_FRAME = "STYLE_FRAME"


class RenderTarget(BaseModel):
    kind: RenderTargetKind
    id: str = Field("", max_length=20)


class RenderPrompt(BaseModel):
    positive: str
    negative: str
    aspect_ratio: str
    reference_revisions: list[str] = Field(default_factory=list)
    reference_blobs: list[str] = Field(default_factory=list)
    target_kind: RenderTargetKind
    target_id: str = ""
    character_ids: list[str] = Field(default_factory=list)
    plan_revision: str = ""
    shot_plan_revision: str = ""
    duration_s: float = 0.0


def canonical_description(character: Character, wardrobe: str | None = None, hair: str | None = None) -> str:
    """``Sarah: Woman in her 40s, sharp-eyed; wearing gray suit`` - the one
    way a character is described in every prompt."""
    identity = character.identity_lock or character.description or "as established"
    worn = character.wardrobe if wardrobe is None else wardrobe
    look = character.hair_makeup if hair is None else hair
    parts = [f"{character.name}: {identity.rstrip('.')}"]
    if look and look not in identity:
        parts.append(look)
    if worn:
        parts.append(f"wearing {worn}")
    return "; ".join(parts)


def _check_lock(lock: LockProfile, edit: EditDelta | None) -> None:
    for field_name in ("banned_elements", "must_keep_elements"):
        for j, element in enumerate(getattr(lock, field_name)):
            if not element.strip() or len(element) > 200:
                raise InvalidArgument.for_field(f"lock_profile.{field_name}[{j}]", "must be 1 to 200 characters", "INVALID_LOCK_PROFILE")
    banned = {e.strip().lower() for e in lock.banned_elements}
    for j, element in enumerate(lock.must_keep_elements):
        if element.strip().lower() in banned:
            raise InvalidArgument.for_field(f"lock_profile.must_keep_elements[{j}]", f"{element!r} is also banned", "LOCK_PROFILE_CONFLICT")
    if edit is None:
        return
    for j, element in enumerate(edit.add_elements):
        if element.strip().lower() in banned:
            raise InvalidArgument.for_field(f"edit_delta.add_elements[{j}]", f"{element!r} is banned by the lock profile", "LOCK_PROFILE_CONFLICT")
    keep = {e.strip().lower() for e in lock.must_keep_elements}
    for j, element in enumerate(edit.remove_elements):
        if element.strip().lower() in keep:
            raise InvalidArgument.for_field(f"edit_delta.remove_elements[{j}]", f"{element!r} must be kept by the lock profile", "LOCK_PROFILE_CONFLICT")


def _look_words(plan: Plan) -> list[str]:
    look = plan.bible.look
    words = []
    if look.lighting is not None:
        words.append("low-key dramatic lighting" if look.lighting < 35 else "bright high-key lighting" if look.lighting > 70 else "balanced natural lighting")
    if look.contrast is not None:
        words.append("high contrast" if look.contrast > 65 else "soft low contrast" if look.contrast < 35 else "moderate contrast")
    if look.hdr_bloom is not None and look.hdr_bloom > 40:
        words.append("HDR bloom on highlights")
    if look.color_temperature_kelvin:
        k = look.color_temperature_kelvin
        words.append(f"{'warm' if k < 4500 else 'cool' if k > 6500 else 'neutral'} light ({k}K)")
    if look.composition is not Composition.UNSPECIFIED:
        words.append(f"{humanize(look.composition)} composition")
    return words


def _style(plan: Plan) -> str:
    bible = plan.bible
    parts = [_REALISM[bible.visual_realism], bible.style, bible.genre and f"{bible.genre} genre", *_look_words(plan)]
    if bible.color_palette:
        parts.append("palette of " + ", ".join(bible.color_palette))
    return ", ".join(p for p in parts if p)


def _lock_clauses(lock: LockProfile, plan: Plan, shot: Shot | None, names: list[str], place: str, time: TimeOfDay) -> list[str]:
    clauses = []
    if lock.preserve_identity and names:
        clauses.append(f"Keep the identity of {', '.join(names)} exactly as in the reference images: same face, age, build and hair")
    if lock.preserve_wardrobe and names:
        clauses.append("Keep every costume exactly as described; no wardrobe changes")
    if lock.preserve_style:
        clauses.append(f"Keep the established visual style: {plan.bible.style or 'as in the style frames'}")
    if lock.preserve_camera and shot is not None:
        clauses.append(f"Keep the camera: {humanize(shot.size)}, {humanize(shot.angle)} angle, {shot.lens_mm:g}mm lens")
    if lock.preserve_pose and names:
        clauses.append("Keep every pose and position in frame unchanged")
    if lock.preserve_location_layout and place:
        clauses.append(f"Keep the layout of {place} unchanged")
    if lock.preserve_time_of_day and time not in (TimeOfDay.UNSPECIFIED, TimeOfDay.CONTINUOUS):
        clauses.append(f"Keep the {humanize(time)} light and time of day")
    return clauses


def _negative(plan: Plan, lock: LockProfile, edit: EditDelta | None, time: TimeOfDay, extra: list[str]) -> str:
    parts = [*BASE_NEGATIVE, *plan.bible.negative_elements, *extra, *lock.banned_elements]
    if lock.preserve_time_of_day and time in _OPPOSITE_LIGHT:
        parts.append(_OPPOSITE_LIGHT[time])
    if lock.preserve_identity:
        parts.append("different face, changed age, inconsistent character")
    if lock.preserve_wardrobe:
        parts.append("different clothing, costume change")
    if edit is not None:
        parts += [*edit.remove_elements, *edit.negative_additions]
    seen, unique = set(), []
    for part in (piece.strip() for p in parts for piece in p.split(",")):
        if part and part.lower() not in seen:
            seen.add(part.lower())
            unique.append(part)
    return ", ".join(unique)


def _edit_parts(edit: EditDelta | None) -> list[str]:
    if edit is None:
        return []
    parts = [*edit.prompt_additions]
    if edit.add_elements:
        parts.append("Add: " + ", ".join(edit.add_elements))
    if edit.emphasize_elements:
        parts.append("Emphasise: " + ", ".join(edit.emphasize_elements))
    if edit.camera_angle is not CameraAngle.UNSPECIFIED:
        parts.append(f"{humanize(edit.camera_angle)} angle")
    return parts


def _assemble(parts: list[str]) -> str:
    text = ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip()) + "."
    return clip(text, MAX_PROMPT_CHARS)


def _place(location: Location | None, time: TimeOfDay) -> tuple[str, str]:
    if location is None:
        return "", ""
    setting = {Setting.INTERIOR: "interior", Setting.EXTERIOR: "exterior", Setting.INTERIOR_EXTERIOR: "interior/exterior"}.get(location.setting, "")
    when = humanize(time) if time not in (TimeOfDay.UNSPECIFIED, TimeOfDay.CONTINUOUS) else ""
    name = location.name.title()
    text = f"Location: {name}{', ' + setting if setting else ''}{', ' + when if when else ''}"
    if location.description:
        text += f": {clip(location.description, 400)}"
    return name, text


def _references(index: PlanIndex, characters: list[str], location: Location | None, plan: Plan, source: str) -> list[str]:
    refs: list[str] = []
    for character in characters:
        refs += index.characters[character].reference_revisions
    if location is not None:
        refs += location.reference_revisions
    refs += plan.bible.style_frame_revisions
    if source:
        refs.append(source)
    return list(dict.fromkeys(refs))


def build_render_prompt(
    plan: Plan,
    target: RenderTarget,
    lock: LockProfile | None = None,
    shot_plan: ShotPlan | None = None,
    edit: EditDelta | None = None,
    source_image_revision: str = "",
) -> RenderPrompt:
    """The prompt for one render target; INVALID_ARGUMENT for unknown ids,
    a missing shot plan, or lock/edit conflicts."""
    lock = lock or LockProfile()
    _check_lock(lock, edit)
    index = PlanIndex.of(plan)
    if target.kind is RenderTargetKind.SHOT:
        return _shot_prompt(plan, index, target.id, lock, shot_plan, edit, source_image_revision)
    if target.kind is RenderTargetKind.CHARACTER:
        return _character_prompt(plan, index, target.id, lock, edit, source_image_revision)
    if target.kind is RenderTargetKind.LOCATION:
        return _location_prompt(plan, index, target.id, lock, edit, source_image_revision)
    if target.kind is RenderTargetKind.STYLE_FRAME:
        return _style_frame_prompt(plan, lock, edit, source_image_revision)
    raise InvalidArgument.for_field("target", "one of shot_id, character_id, location_id or style_frame is required", "TARGET_REQUIRED")


def _shot_prompt(plan: Plan, index: PlanIndex, shot_id: str, lock: LockProfile, shot_plan: ShotPlan | None,
                 edit: EditDelta | None, source: str) -> RenderPrompt:
    if shot_plan is None:
        raise InvalidArgument.for_field("shot_plan_revision", "is required for a shot target", "SHOT_PLAN_REQUIRED")
    shot = next((s for s in shot_plan.shots if s.id == shot_id), None)
    if shot is None:
        raise InvalidArgument.for_field("shot_id", f"{shot_id!r} is not a shot of the shot plan", "SHOT_NOT_FOUND")
    scene = index.scenes.get(shot.scene_id)
    if scene is None:
        raise InvalidArgument.for_field("shot_id", f"shot {shot_id} names scene {shot.scene_id!r}, which the plan does not have", "SHOT_SCENE_NOT_FOUND")
    characters = [c for c in shot.character_ids if c in index.characters]
    time = shot.continuity.time_of_day if shot.continuity.time_of_day is not TimeOfDay.UNSPECIFIED else scene.time_of_day
    location = index.locations.get(scene.location_id)
    place, place_text = _place(location, time)
    size = edit.shot_size if edit is not None and edit.shot_size.value != "UNSPECIFIED" else shot.size
    angle = edit.camera_angle if edit is not None and edit.camera_angle is not CameraAngle.UNSPECIFIED else shot.angle
    movement = "" if shot.movement in (CameraMovement.UNSPECIFIED, CameraMovement.STATIC) else f", {humanize(shot.movement)}"
    framing = f"{humanize(size).capitalize()} ({SHOT_SIZE_ABBREVIATIONS.get(size, '')}), {humanize(angle)} angle, {shot.lens_mm:g}mm lens{movement}"
    people = []
    for character in characters:
        look = shot.continuity.wardrobe_of(character)
        people.append(canonical_description(index.characters[character], look.wardrobe if look and look.wardrobe else index.wardrobe_in(character, scene.id),
                                            look.hair_makeup if look and look.hair_makeup else None))
    props = []
    for prop_id in shot.prop_ids:
        prop = index.props.get(prop_id)
        state = shot.continuity.prop_state(prop_id)
        if prop is not None:
            held = f", held by {index.character_name(state.holder_id)}" if state and state.holder_id else ""
            props.append(f"{prop.name} ({state.state if state else 'in place'}{held})")
    names = [index.characters[c].name for c in characters]
    parts = [framing, clip(shot.description, 600)]
    parts += [("Characters: " if n == 0 else "") + p for n, p in enumerate(people)]
    if props:
        parts.append("Props: " + ", ".join(props))
    parts += [place_text, scene.description if scene.description and scene.description not in shot.description else "",
              f"Style: {_style(plan)}", *_lock_clauses(lock, plan, shot, names, place, time)]
    if lock.must_keep_elements:
        parts.append("Must include: " + ", ".join(lock.must_keep_elements))
    parts += _edit_parts(edit)
    blobs = [p.image_blob for p in (index.props.get(i) for i in shot.prop_ids) if p is not None and p.image_blob]
    if plan.ad_copy and plan.ad_copy.product_image_blob and (scene.packshot or shot.prop_ids):
        blobs.append(plan.ad_copy.product_image_blob)
    return RenderPrompt(
        positive=_assemble(parts), negative=_negative(plan, lock, edit, time, [scene.negative_description] if scene.negative_description else []),
        aspect_ratio=plan.bible.aspect_ratio, reference_revisions=_references(index, characters, location, plan, source),
        reference_blobs=list(dict.fromkeys(blobs)), target_kind=RenderTargetKind.SHOT, target_id=shot.id, character_ids=characters,
        plan_revision=plan.revision, shot_plan_revision=shot_plan.revision, duration_s=shot.duration_s,
    )


def _character_prompt(plan: Plan, index: PlanIndex, character_id: str, lock: LockProfile, edit: EditDelta | None, source: str) -> RenderPrompt:
    character = index.characters.get(character_id)
    if character is None:
        raise InvalidArgument.for_field("character_id", f"{character_id!r} is not a character of the plan", "CHARACTER_NOT_FOUND")
    parts = [f"A full-body character reference image of {canonical_description(character)}",
             "Clear, well-lit, neutral background, professional quality, detailed features, front-facing view",
             f"Style: {_style(plan)}", *_lock_clauses(lock, plan, None, [character.name], "", TimeOfDay.UNSPECIFIED)]
    if lock.must_keep_elements:
        parts.append("Must include: " + ", ".join(lock.must_keep_elements))
    parts += _edit_parts(edit)
    return RenderPrompt(
        positive=_assemble(parts), negative=_negative(plan, lock, edit, TimeOfDay.UNSPECIFIED, ["busy background", "multiple people"]),
        aspect_ratio=CHARACTER_SHEET_ASPECT_RATIO, reference_revisions=_references(index, [character_id], None, plan, source),
        target_kind=RenderTargetKind.CHARACTER, target_id=character_id, character_ids=[character_id], plan_revision=plan.revision,
    )


def _location_prompt(plan: Plan, index: PlanIndex, location_id: str, lock: LockProfile, edit: EditDelta | None, source: str) -> RenderPrompt:
    location = index.locations.get(location_id)
    if location is None:
        raise InvalidArgument.for_field("location_id", f"{location_id!r} is not a location of the plan", "LOCATION_NOT_FOUND")
    place, place_text = _place(location, location.time_of_day)
    parts = [f"Location reference, wide establishing view, no people. {place_text}",
             f"Layout: {clip(location.layout, 400)}" if location.layout else "", f"Style: {_style(plan)}",
             *_lock_clauses(lock, plan, None, [], place, location.time_of_day)]
    if lock.must_keep_elements:
        parts.append("Must include: " + ", ".join(lock.must_keep_elements))
    parts += _edit_parts(edit)
    return RenderPrompt(
        positive=_assemble(parts), negative=_negative(plan, lock, edit, location.time_of_day, ["people", "crowd"]),
        aspect_ratio=plan.bible.aspect_ratio, reference_revisions=_references(index, [], location, plan, source),
        target_kind=RenderTargetKind.LOCATION, target_id=location_id, plan_revision=plan.revision,
    )


def _style_frame_prompt(plan: Plan, lock: LockProfile, edit: EditDelta | None, source: str) -> RenderPrompt:
    bible = plan.bible
    opening = plan.scenes[0].description or plan.scenes[0].summary if plan.scenes else ""
    parts = [f"Style frame for {plan.title or 'the project'}", bible.logline, clip(opening, 400), f"Style: {_style(plan)}",
             *_lock_clauses(lock, plan, None, [], "", TimeOfDay.UNSPECIFIED)]
    if lock.must_keep_elements:
        parts.append("Must include: " + ", ".join(lock.must_keep_elements))
    parts += _edit_parts(edit)
    return RenderPrompt(
        positive=_assemble(parts), negative=_negative(plan, lock, edit, TimeOfDay.UNSPECIFIED, []), aspect_ratio=bible.aspect_ratio,
        reference_revisions=_references(PlanIndex.of(plan), [], None, plan, source), target_kind=RenderTargetKind.STYLE_FRAME,
        plan_revision=plan.revision,
    )
