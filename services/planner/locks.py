"""Continuity locks: what each shot must keep, derived from the plan.

Walking a scene's shots in order, the state of every character (wardrobe,
hair and make-up) and prop (state, holder) starts from the plan (the
character's wardrobe for that scene) and changes only where a beat says so
(:class:`ContinuityChange`). A shot sees the state after the beats it
covers; a shot that covers no beat sees the state so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from services.planner.plan import ChangeAspect, Plan, PlanIndex, Scene
from services.planner.shot_plan import CharacterContinuity, ContinuityLock, PropState, Shot
from services.planner.vocabulary import TimeOfDay, humanize

IN_PLACE = "in place"


@dataclass
class SceneState:
    """Continuity state while walking one scene."""

    scene: Scene
    index: PlanIndex
    wardrobe: dict[str, str] = field(default_factory=dict)
    hair: dict[str, str] = field(default_factory=dict)
    props: dict[str, tuple[str, str]] = field(default_factory=dict)
    time_of_day: TimeOfDay = TimeOfDay.UNSPECIFIED
    applied: int = 0

    @classmethod
    def start(cls, scene: Scene, index: PlanIndex, props: dict[str, tuple[str, str]] | None = None) -> "SceneState":
        return cls(scene, index, props=dict(props or {}), time_of_day=scene.time_of_day)

    def wardrobe_of(self, character: str) -> str:
        if character not in self.wardrobe:
            self.wardrobe[character] = self.index.wardrobe_in(character, self.scene.id)
        return self.wardrobe[character]

    def hair_of(self, character: str) -> str:
        if character not in self.hair:
            found = self.index.characters.get(character)
            self.hair[character] = found.hair_makeup if found else ""
        return self.hair[character]

    def advance_to(self, beat_index: int) -> None:
        """Applies the changes of every beat up to and including ``beat_index``."""
        beats = self.scene.beats
        while self.applied <= beat_index and self.applied < len(beats):
            for change in beats[self.applied].changes:
                self._apply(change.aspect, change.entity_id, change.description, change.holder_id)
            self.applied += 1

    def _apply(self, aspect: ChangeAspect, entity: str, description: str, holder: str) -> None:
        if aspect is ChangeAspect.WARDROBE:
            self.wardrobe[entity] = description
        elif aspect is ChangeAspect.HAIR_MAKEUP:
            self.hair[entity] = description
        elif aspect is ChangeAspect.PROP_STATE:
            self.props[entity] = (description, holder)
        elif aspect is ChangeAspect.TIME_OF_DAY and description in TimeOfDay.__members__:
            self.time_of_day = TimeOfDay(description)

    def lock_for(self, shot: Shot) -> ContinuityLock:
        if shot.beat_indexes:
            self.advance_to(max(shot.beat_indexes))
        characters = [CharacterContinuity(character_id=c, wardrobe=self.wardrobe_of(c), hair_makeup=self.hair_of(c))
                      for c in shot.character_ids if c in self.index.characters]
        props = []
        for prop in shot.prop_ids:
            if prop in self.index.props:
                state, holder = self.props.get(prop, (IN_PLACE, ""))
                props.append(PropState(prop_id=prop, state=state, holder_id=holder))
        location = self.index.locations.get(self.scene.location_id)
        lock = ContinuityLock(characters=characters, props=props, time_of_day=self.time_of_day,
                              screen_direction=shot.screen_direction, location_layout=location.layout if location else "")
        lock.summary = summarize(lock, self.index, location.name.title() if location else "")
        return lock


def summarize(lock: ContinuityLock, index: PlanIndex, place: str) -> str:
    """One sentence for people and prompts, as in the seed's example."""
    parts = []
    for look in lock.characters:
        name = index.character_name(look.character_id)
        worn = f"{name} wears {look.wardrobe}" if look.wardrobe else f"{name} as established"
        parts.append(worn + (f", {look.hair_makeup}" if look.hair_makeup else ""))
    for prop in lock.props:
        found = index.props.get(prop.prop_id)
        holder = f", held by {index.character_name(prop.holder_id)}" if prop.holder_id else ""
        parts.append(f"{found.name if found else prop.prop_id} {prop.state}{holder}")
    if place:
        when = humanize(lock.time_of_day) if lock.time_of_day not in (TimeOfDay.UNSPECIFIED, TimeOfDay.CONTINUOUS) else ""
        parts.append(f"{place}{' at ' + when if when else ''}")
    if lock.screen_direction.value not in ("UNSPECIFIED", "NEUTRAL"):
        parts.append(f"screen direction {humanize(lock.screen_direction)}")
    return "; ".join(parts)


def props_at_scene_start(plan: Plan) -> dict[str, dict[str, tuple[str, str]]]:
    """Prop states carried into each scene: a prop still held at the end of
    a scene stays in the holder's hand in the next scene if the holder is
    there; anything else starts the scene in place."""
    carried: dict[str, tuple[str, str]] = {}
    starts: dict[str, dict[str, tuple[str, str]]] = {}
    for scene in plan.scenes:
        present = set(scene.character_ids)
        carried = {p: (state, holder) for p, (state, holder) in carried.items() if holder and holder in present}
        starts[scene.id] = dict(carried)
        for beat in scene.beats:
            for change in beat.changes:
                if change.aspect is ChangeAspect.PROP_STATE:
                    carried[change.entity_id] = (change.description, change.holder_id)
    return starts


def fill_locks(plan: Plan, shots: list[Shot], scene_ids: set[str] | None = None, index: PlanIndex | None = None) -> list[Shot]:
    """Copies of the shots with fresh continuity locks (only for the scenes
    in ``scene_ids`` when given). Shots of unknown scenes are left as they are."""
    index = index or PlanIndex.of(plan)
    starts = props_at_scene_start(plan)
    states: dict[str, SceneState] = {}
    filled = []
    for shot in shots:
        scene = index.scenes.get(shot.scene_id)
        if scene is None or (scene_ids is not None and scene.id not in scene_ids):
            filled.append(shot)
            continue
        if scene.id not in states:
            states[scene.id] = SceneState.start(scene, index, starts.get(scene.id))
        state = states[scene.id]
        filled.append(shot.model_copy(update={"continuity": state.lock_for(shot)}))
    return filled
