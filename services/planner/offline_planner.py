"""The offline planner: a parsed screenplay into a plan, deterministically.

No network, no randomness: the same script and preferences always give the
same plan. Characters come from :mod:`characters`, props and wardrobe
changes from :mod:`props`, locations and time of day from sluglines; each
action paragraph, line of dialogue and transition becomes a beat, with the
characters it names (pronouns resolved to the most recent character of the
matching gender), the props it handles and the continuity changes it
causes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.planner.characters import Cast, CharacterDraft, extract_cast
from services.planner.plan import (
    MAX_BEATS_PER_SCENE,
    MAX_CHARACTERS,
    MAX_LOCATIONS,
    MAX_PROPS,
    MAX_SCENES,
    Beat,
    BeatKind,
    ChangeAspect,
    Character,
    ContinuityChange,
    Location,
    Plan,
    Prop,
    Scene,
    SceneWardrobe,
    character_id,
    location_id,
    prop_id,
    scene_id,
)
from services.planner.preferences import PlanPreferences, bible_from
from services.planner.prose import clip, join_names, sentences, title_case
from services.planner.props import apply_wardrobe, find_handlings, find_wardrobe_changes, head_noun
from services.planner.scripts import ElementKind, ParsedScene, ParsedScript, SceneHeading, ScriptElement
from services.planner.vocabulary import BriefKind, Setting, TimeOfDay
from services.runtime.errors import InvalidArgument

GENERATOR = "offline"
SCRIPT_FIELD = "screenplay.script_revision"
SHORT_TEXT = 500  # plan.ShortText
TEXT = 20_000  # plan.Text
MAX_NOTES = 200
MAX_BEAT_PROPS = 100
MAX_BEAT_CHANGES = 50
MAX_ALIASES = 20
_SPATIAL = re.compile(
    r"\b(?:door|doors|doorway|window|windows|desk|table|wall|walls|stairs|staircase|stairway|corridor|hallway|counter|"
    r"bar|bed|couch|sofa|fireplace|shelves|shelf|crates|blinds|lamp|railing|rail|pier|dock|balcony|gallery|lantern|"
    r"ladder|cliff|path|road|street|alley|bench|booth|kitchen|hearth|stove|sink|mirror|porch|gate|fence|shore|rocks)\b",
    re.IGNORECASE,
)
_SUBJECT_PRONOUN = re.compile(r"\b(she|her|herself|he|him|his|himself|they|their|them)\b", re.IGNORECASE)
_FEMALE = {"she", "her", "herself"}
_MALE = {"he", "him", "his", "himself"}
_OFFSCREEN = {"V.O.", "V.O", "O.S.", "O.S", "O.C."}


@dataclass
class _Entities:
    """Ids by draft key, plus running state while walking the script."""

    cast: Cast
    character_ids: dict[str, str]
    genders: dict[str, str]
    excluded_words: set[str]
    props: dict[str, Prop] = field(default_factory=dict)
    prop_by_head: dict[str, str] = field(default_factory=dict)
    wardrobe: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern | None = None
    _pattern_size: int = 0

    def prop_for(self, name: str, phrase: str, sentence: str) -> str:
        """Id of the prop called ``name``, registering it on first sight."""
        head = head_noun(name)
        known = self.props.get(name) or self.props.get(self.prop_by_head.get(head, ""))
        if known is None:
            if len(self.props) >= MAX_PROPS:
                return ""  # a plan holds at most MAX_PROPS props: later ones stay prose
            known = Prop(id=prop_id(len(self.props) + 1), name=_fit(name, SHORT_TEXT), description=clip(f"{phrase}: {sentence}", 300))
            self.props[name] = known
        self.prop_by_head.setdefault(head, name)
        return known.id

    def mentioned_props(self, text: str) -> list[str]:
        """Ids of known props named in ``text`` by their head noun."""
        if not self.prop_by_head:
            return []
        if self._pattern_size != len(self.prop_by_head):
            heads = "|".join(re.escape(h) for h in sorted(self.prop_by_head, key=len, reverse=True))
            self._pattern = re.compile(rf"\b({heads})(?:s|es)?\b", re.IGNORECASE)
            self._pattern_size = len(self.prop_by_head)
        found = (self.props[self.prop_by_head[m.group(1).lower()]].id for m in self._pattern.finditer(text))
        return list(dict.fromkeys(found))


def _fit(text: str, limit: int) -> str:
    """``text`` as it is when it fits a plan field of ``limit``
    characters, else cut at a word boundary."""
    return text if len(text) <= limit else clip(text, limit)


def _too_large(description: str) -> InvalidArgument:
    return InvalidArgument.for_field(SCRIPT_FIELD, f"the script is too large to plan: {description}", "SCRIPT_TOO_LARGE_TO_PLAN")


def _check_scenes(scenes: list[ParsedScene]) -> None:
    """INVALID_ARGUMENT when the script has more scenes, or a scene more
    paragraphs, than a plan holds (the text limit alone allows both)."""
    if len(scenes) > MAX_SCENES:
        raise _too_large(f"it has {len(scenes)} scenes, a plan holds at most {MAX_SCENES}")
    for scene in scenes:
        if len(scene.elements) > MAX_BEATS_PER_SCENE:
            raise _too_large(
                f"scene {scene.number} ({scene.heading.text[:80]!r}) has {len(scene.elements)} paragraphs, "
                f"a scene holds at most {MAX_BEATS_PER_SCENE}"
            )
    places = {key for key in (_location_key(scene.heading) for scene in scenes) if key is not None}
    if len(places) > MAX_LOCATIONS:
        raise _too_large(f"its sluglines name {len(places)} locations, a plan holds at most {MAX_LOCATIONS}")


def plan_screenplay(parsed: ParsedScript, preferences: PlanPreferences, source_revision: str = "") -> Plan:
    """A plan from a parsed screenplay. Text longer than a plan field holds
    is cut at a word boundary; a script with more scenes, locations,
    characters or paragraphs per scene than a plan holds answers
    INVALID_ARGUMENT (reason ``SCRIPT_TOO_LARGE_TO_PLAN``)."""
    scenes = _scenes_with_opening(parsed)
    _check_scenes(scenes)
    parsed = parsed.model_copy(update={"scenes": scenes})
    cast = extract_cast(parsed)
    if len(cast.drafts) > MAX_CHARACTERS:
        raise _too_large(f"it has {len(cast.drafts)} characters, a plan holds at most {MAX_CHARACTERS}")
    entities = _Entities(
        cast=cast,
        character_ids={d.key: character_id(n) for n, d in enumerate(cast.drafts, start=1)},
        genders={d.key: d.gender for d in cast.drafts},
        excluded_words={t.lower() for d in cast.drafts for name in d.names for t in name.split()},
        wardrobe={d.key: _fit(d.wardrobe, SHORT_TEXT) for d in cast.drafts},
    )
    locations = _locations(scenes, cast)
    plan_scenes, wardrobe_rows = _plan_scenes(scenes, entities, locations)
    characters = [_character(d, entities.character_ids[d.key], wardrobe_rows.get(d.key, [])) for d in cast.drafts]
    props = _props_with_scenes(entities, plan_scenes)
    return Plan(
        title=_fit(parsed.title, SHORT_TEXT) or "Untitled",
        brief_kind=BriefKind.SCREENPLAY,
        source_revision=source_revision,
        bible=bible_from(preferences, logline=_fit(parsed.title_page.get("Notes", ""), TEXT)),
        characters=characters,
        locations=list(locations.values()),
        props=props,
        scenes=plan_scenes,
        generator=GENERATOR,
    )


def _scenes_with_opening(parsed: ParsedScript) -> list[ParsedScene]:
    opening = [e for e in parsed.preamble if e.kind is not ElementKind.TRANSITION]
    if not opening:
        return list(parsed.scenes)
    heading = SceneHeading(text="OPENING", location="")
    first = ParsedScene(number=0, heading=heading, elements=parsed.preamble, notes=parsed.preamble_notes)
    return [first, *parsed.scenes]


def _location_key(heading: SceneHeading) -> tuple[Setting, str] | None:
    return (heading.setting, heading.location) if heading.location else None


def _place_sentences(texts: list[str], cast: Cast) -> list[str]:
    """Sentences of the action, those that name no character first."""
    found = [cast.readable(s) for text in texts for s in sentences(text)]
    return sorted(found, key=lambda s: bool(cast.mentions(s) or _SUBJECT_PRONOUN.search(s)))


def _locations(scenes: list[ParsedScene], cast: Cast) -> dict[tuple[Setting, str], Location]:
    locations: dict[tuple[Setting, str], Location] = {}
    layouts: dict[tuple[Setting, str], list[str]] = {}
    for scene in scenes:
        key = _location_key(scene.heading)
        if key is None:
            continue
        action = [e.text for e in scene.elements if e.kind is ElementKind.ACTION]
        if key not in locations:
            description = clip(" ".join(_place_sentences(action[:1], cast)[:2]), 400)
            locations[key] = Location(id=location_id(len(locations) + 1), name=_fit(key[1], SHORT_TEXT), setting=key[0],
                                      time_of_day=scene.heading.time_of_day, description=description)
        found = layouts.setdefault(key, [])
        if len(found) < 2:
            for sentence in _place_sentences(action, cast):
                if len(found) < 2 and _SPATIAL.search(sentence) and sentence not in found:
                    found.append(sentence)
    for key, location in locations.items():
        location.layout = clip(" ".join(layouts.get(key, [])), 400)
    return locations


def _resolve(sentence: str, named: list[str], recent: list[str], genders: dict[str, str]) -> list[str]:
    if named:
        return named
    found = _SUBJECT_PRONOUN.search(sentence)
    if found is None or not recent:
        return []
    word = found.group(1).lower()
    wanted = "woman" if word in _FEMALE else "man" if word in _MALE else ""
    for key in reversed(recent):
        if not wanted or genders.get(key) in (wanted, ""):
            return [key]
    return []


def _touch(recent: list[str], keys: list[str]) -> None:
    for key in keys:
        if key in recent:
            recent.remove(key)
        recent.append(key)


def _action_beat(element: ScriptElement, entities: _Entities, recent: list[str]) -> Beat:
    ids, prop_ids, changes = [], [], []
    for sentence in sentences(element.text):
        keys = _resolve(sentence, entities.cast.present(sentence), recent, entities.genders)
        _touch(recent, keys)
        ids.extend(k for k in keys if k not in ids)
        subject = entities.character_ids[keys[0]] if keys else ""
        for handling in find_handlings(sentence, entities.excluded_words):
            prop = entities.prop_for(handling.name, handling.phrase, sentence)
            if not prop:
                continue
            prop_ids.append(prop)
            changes.append(ContinuityChange(entity_id=prop, aspect=ChangeAspect.PROP_STATE, description=_fit(handling.state, SHORT_TEXT),
                                            holder_id=subject if handling.keeps_holder else ""))
        for change in find_wardrobe_changes(sentence):
            if keys:
                entities.wardrobe[keys[0]] = _fit(apply_wardrobe(entities.wardrobe.get(keys[0], ""), change), SHORT_TEXT)
                changes.append(ContinuityChange(entity_id=subject, aspect=ChangeAspect.WARDROBE, description=entities.wardrobe[keys[0]]))
    prop_ids.extend(entities.mentioned_props(element.text))
    return Beat(kind=BeatKind.ACTION, text=_fit(element.text, TEXT), character_ids=[entities.character_ids[k] for k in ids],
                prop_ids=list(dict.fromkeys(prop_ids))[:MAX_BEAT_PROPS], changes=changes[:MAX_BEAT_CHANGES])


def _dialogue_beat(element: ScriptElement, entities: _Entities, recent: list[str]) -> Beat:
    key = entities.cast.key_for_cue(element.character)
    speaker = entities.character_ids.get(key, "") if key else ""
    extension = next((x for x in element.extensions if not x.startswith("CONT")), "")
    present = bool(speaker) and extension not in _OFFSCREEN
    if present:
        _touch(recent, [key])
    return Beat(kind=BeatKind.DIALOGUE, text=_fit(element.text, TEXT), speaker_id=speaker, extension=extension[:40],
                parenthetical=" ".join(element.parentheticals)[:500], character_ids=[speaker] if present else [],
                simultaneous=element.dual)


def _plan_scenes(scenes: list[ParsedScene], entities: _Entities, locations) -> tuple[list[Scene], dict[str, list[SceneWardrobe]]]:
    plan_scenes: list[Scene] = []
    wardrobe_rows: dict[str, list[SceneWardrobe]] = {}
    recent: list[str] = []
    previous_time = TimeOfDay.UNSPECIFIED
    for number, parsed_scene in enumerate(scenes, start=1):
        sid = scene_id(number)
        wardrobe_at_start = dict(entities.wardrobe)
        carried = recent[-1:]
        recent = list(carried)
        beats, scene_props = [], []
        for element in parsed_scene.elements:
            if element.kind is ElementKind.ACTION:
                beat = _action_beat(element, entities, recent)
                scene_props.extend(p for p in beat.prop_ids if p not in scene_props)
            elif element.kind is ElementKind.DIALOGUE:
                beat = _dialogue_beat(element, entities, recent)
            else:
                beat = Beat(kind=BeatKind.TRANSITION, text=_fit(element.text, TEXT))
            beats.append(beat)
        present = list(dict.fromkeys(c for b in beats for c in b.character_ids + ([b.speaker_id] if b.speaker_id and b.extension in ("O.S.", "O.C.") else [])))
        key_of = {v: k for k, v in entities.character_ids.items()}
        for character in present:
            wardrobe = wardrobe_at_start.get(key_of[character], "")
            if wardrobe:
                wardrobe_rows.setdefault(key_of[character], []).append(SceneWardrobe(scene_id=sid, wardrobe=wardrobe))
        time = parsed_scene.heading.time_of_day
        if time is TimeOfDay.CONTINUOUS and previous_time is not TimeOfDay.UNSPECIFIED:
            time = previous_time
        previous_time = time if time is not TimeOfDay.UNSPECIFIED else previous_time
        location = locations.get(_location_key(parsed_scene.heading)) if _location_key(parsed_scene.heading) else None
        if location is not None and location.time_of_day in (TimeOfDay.UNSPECIFIED, TimeOfDay.CONTINUOUS):
            location.time_of_day = time
        plan_scenes.append(Scene(
            id=sid, number=number, heading=_fit(parsed_scene.heading.text, SHORT_TEXT), location_id=location.id if location else "",
            time_of_day=time, character_ids=present, prop_ids=scene_props, beats=beats,
            notes=[_fit(note, TEXT) for note in parsed_scene.notes[:MAX_NOTES]],
            summary=_summary(beats, entities, key_of),
        ))
    return plan_scenes, wardrobe_rows


def _summary(beats: list[Beat], entities: _Entities, key_of: dict[str, str]) -> str:
    action = [entities.cast.readable(s) for b in beats if b.kind is BeatKind.ACTION for s in sentences(b.text)]
    speakers = list(dict.fromkeys(b.speaker_id for b in beats if b.kind is BeatKind.DIALOGUE and b.speaker_id))
    text = clip(" ".join(action[:2]), 240)
    if speakers:
        names = join_names([entities.cast.by_key(key_of[s]).display_name for s in speakers])
        text = f"{text} {names} {'speaks' if len(speakers) == 1 else 'talk'}.".strip()
    return text


def _character(draft: CharacterDraft, cid: str, wardrobe_rows: list[SceneWardrobe]) -> Character:
    name = draft.display_name
    aliases = sorted({title_case(n) for n in draft.names} - {name})[:MAX_ALIASES]
    return Character(
        id=cid, name=_fit(name, SHORT_TEXT), aliases=[_fit(a, SHORT_TEXT) for a in aliases], description=_fit(draft.description, TEXT),
        identity_lock=_fit(draft.identity_lock(), TEXT), wardrobe=_fit(draft.wardrobe, SHORT_TEXT), wardrobe_by_scene=wardrobe_rows,
        hair_makeup=_fit(draft.hair_makeup, SHORT_TEXT),
        dialogue_lines=draft.dialogue_lines,
    )


def _props_with_scenes(entities: _Entities, scenes: list[Scene]) -> list[Prop]:
    props = sorted(entities.props.values(), key=lambda p: p.id)
    for prop in props:
        prop.scene_ids = [s.id for s in scenes if prop.id in s.prop_ids]
    return props
