"""Coverage: how one scene is cut into shots.

A screenplay scene gets an establishing shot when the location changes,
then coverage beat by beat: action paragraphs are split where the kind of
action changes (movement, handling a prop, a discovery, a reaction, a look)
and each part gets the framing that kind calls for, with an insert the
first time a prop is handled; dialogue exchanges open on a two-shot, give
each speaker an over-the-shoulder the first time they speak and singles
after, and keep every speaker on one side of the 180-degree line; voice-over
rides on the shot it plays over. Brief scenes without beats (music video,
ad, scene description) get a planned number of shots along a progression.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from services.planner.plan import Beat, BeatKind, PlanIndex, ProjectBible, Scene
from services.planner.prose import clip, join_names, sentences, without_introductions
from services.planner.props import find_handlings, mentions
from services.planner.shot_plan import Shot
from services.planner.timing import Timing, action_timing, dialogue_timing, fixed_timing, MAX_SHOT_SECONDS, speech_seconds
from services.planner.vocabulary import CameraAngle, CameraMovement, Pacing, ScreenDirection, Setting, ShotSize, SHOT_SIZE_ABBREVIATIONS, humanize

LENS_MM = {
    ShotSize.EXTREME_WIDE: 16.0, ShotSize.WIDE: 24.0, ShotSize.FULL: 32.0, ShotSize.MEDIUM_WIDE: 35.0,
    ShotSize.MEDIUM: 50.0, ShotSize.MEDIUM_CLOSE_UP: 65.0, ShotSize.CLOSE_UP: 85.0, ShotSize.EXTREME_CLOSE_UP: 100.0,
    ShotSize.INSERT: 100.0, ShotSize.OVER_THE_SHOULDER: 65.0, ShotSize.POINT_OF_VIEW: 35.0,
}
_MOVE = re.compile(r"\b(?:walks?|runs?|rush(?:es)?|hurr(?:y|ies)|enters?|exits?|leaves|crosses|arrives?|approach(?:es)?|climbs?|descends?|drives?|follows?|chases?|flees|storms?|bursts?|races?|sprints?|heads? (?:for|to|toward|towards|out|back|down|up|off|into|inside|outside)|goes (?:out|in|inside|outside|off|back|up|down|to|into)|edges? (?:along|forward|toward|towards)|creeps?|sneaks?|wanders?|paces|stumbles?|staggers?|limps?|rows?|swims?|steps (?:in|out|into|inside|forward|back)|makes (?:his|her|their) way|trudges?|marches|strides?)\b", re.IGNORECASE)
_FAST = re.compile(r"\b(?:runs?|rush(?:es)?|chases?|flees|races?|sprints?|bursts?|storms?|stumbles?|scrambles?|fights?|struggles?|grapples?|dives?|lunges?)\b", re.IGNORECASE)
_REACTION = re.compile(r"\b(?:eyes widen|stares|smiles?|grins?|frowns?|gasps?|reali[sz]es?|freezes|trembles?|winces?|tears (?:up|well)|cries|sobs?|laughs?|nods?|swallows?|flinches?|blinks?|beams|shudders?|falling into place|dawns on|breaks down|closes (?:his|her|their) eyes)\b", re.IGNORECASE)
_DISCOVERY = re.compile(r"\b(?:discovers?|finds?|notices?|spots?|uncovers?|catches sight of|sees)\b\s+(?P<what>[^.;!?]+)", re.IGNORECASE)
_LOOK = re.compile(r"\b(?:looks?|studies|examines?|watches|reads?|inspects?|peers?|scans?|gazes?|stares? at|surveys?)\b", re.IGNORECASE)
_LOOK_UP = re.compile(r"\b(?:looks? up|gazes? up|towers? (?:over|above)|looms? (?:over|above)|stands? over)\b", re.IGNORECASE)
_LOOK_DOWN = re.compile(r"\b(?:looks? down|peers? down|kneels?|cowers?|crouches?|collapses?)\b", re.IGNORECASE)
_TOWARD = re.compile(r"\b(?:toward us|towards us|toward camera|towards camera|approaches?|comes? closer)\b", re.IGNORECASE)
_AWAY = re.compile(r"\b(?:away|disappears? into|vanish(?:es)? into|recedes?|into the (?:darkness|night|distance|fog))\b", re.IGNORECASE)
_BACK = re.compile(r"\b(?:returns?|retreats?|back(?:s)? away|heads? back|runs? back|walks? back)\b", re.IGNORECASE)
_EMOTIONAL = re.compile(r"\b(?:shout|shouting|yell|yelling|scream|screaming|cry|crying|tearful|sobbing|whisper|whispering|quietly|angrily|angry|furious|softly|pleading|desperate)\b", re.IGNORECASE)
_OFFSCREEN = {"V.O.", "V.O", "O.S.", "O.S", "O.C."}
_BRIEF_PROGRESSION = [
    (ShotSize.WIDE, CameraMovement.PUSH_IN), (ShotSize.MEDIUM, CameraMovement.STATIC),
    (ShotSize.CLOSE_UP, CameraMovement.PUSH_IN), (ShotSize.MEDIUM_WIDE, CameraMovement.TRACKING),
    (ShotSize.EXTREME_CLOSE_UP, CameraMovement.STATIC), (ShotSize.FULL, CameraMovement.PULL_OUT),
    (ShotSize.OVER_THE_SHOULDER, CameraMovement.STATIC), (ShotSize.EXTREME_WIDE, CameraMovement.CRANE_UP),
]


@dataclass
class CutShot:
    """A shot as cut, with the timing the duration fit may use."""

    shot: Shot
    timing: Timing


@dataclass
class _Cutter:
    scene: Scene
    index: PlanIndex
    bible: ProjectBible
    cuts: list[CutShot] = field(default_factory=list)
    sides: dict[str, ScreenDirection] = field(default_factory=dict)
    on_screen: list[str] = field(default_factory=list)
    inserted: set[str] = field(default_factory=set)

    @property
    def pacing(self) -> Pacing:
        return self.bible.pacing

    def names(self, ids: list[str]) -> str:
        return join_names([self.index.character_name(c) for c in ids])

    def lens(self, size: ShotSize) -> float:
        base = LENS_MM.get(size, 50.0)
        fov = self.bible.look.fov_degrees
        if fov:
            base *= (18.0 / math.tan(math.radians(fov) / 2)) / 50.0
        return round(base, 1)

    def angle(self, text: str = "") -> CameraAngle:
        if _LOOK_UP.search(text):
            return CameraAngle.LOW
        if _LOOK_DOWN.search(text):
            return CameraAngle.HIGH
        for chosen in (self.scene.camera_angle, self.bible.look.camera_angle):
            if chosen is not CameraAngle.UNSPECIFIED:
                return chosen
        return CameraAngle.EYE_LEVEL

    def add(self, size: ShotSize, timing: Timing, **fields) -> Shot:
        fields.setdefault("angle", self.angle())
        fields.setdefault("movement", CameraMovement.STATIC)
        fields.setdefault("screen_direction", ScreenDirection.NEUTRAL)
        shot = Shot(scene_id=self.scene.id, size=size, lens_mm=self.lens(size), **fields)
        self.cuts.append(CutShot(shot, timing))
        for character in shot.character_ids:
            if character in self.on_screen:
                self.on_screen.remove(character)
            self.on_screen.append(character)
        return shot

    def side(self, character: str) -> ScreenDirection:
        """The character's fixed side of the line: the first is on the left
        looking right, the next on the right looking left, and so on."""
        if character not in self.sides:
            taken = len(self.sides)
            self.sides[character] = ScreenDirection.LEFT_TO_RIGHT if taken % 2 == 0 else ScreenDirection.RIGHT_TO_LEFT
        return self.sides[character]


def cover_scene(scene: Scene, index: PlanIndex, bible: ProjectBible, previous_location: str | None) -> list[CutShot]:
    """The shots of one scene, in order, without ids or final durations."""
    cutter = _Cutter(scene, index, bible)
    if not scene.beats:
        _cover_brief_scene(cutter)
        return cutter.cuts
    covered = -1
    if scene.location_id != previous_location or previous_location is None:
        covered = _establish(cutter)
    exchange: list[tuple[int, Beat]] = []
    for number, beat in enumerate(scene.beats):
        if number <= covered:
            continue
        if beat.kind is BeatKind.DIALOGUE:
            exchange.append((number, beat))
            continue
        if exchange:
            _cover_exchange(cutter, exchange)
            exchange = []
        if beat.kind is BeatKind.ACTION:
            _cover_action(cutter, number, beat)
        elif beat.kind is BeatKind.TRANSITION and cutter.cuts:
            last = cutter.cuts[-1].shot
            last.last_frame = f"{last.last_frame} Then {beat.text.rstrip('.:').lower()}.".strip()
    if exchange:
        _cover_exchange(cutter, exchange)
    return cutter.cuts


def _establish(cutter: _Cutter) -> int:
    """The establishing shot; returns the index of the last beat it covers
    (the opening description of the place when it shows no one), or -1."""
    scene, index = cutter.scene, cutter.index
    location = index.locations.get(scene.location_id)
    exterior = location is not None and location.setting is Setting.EXTERIOR
    first = scene.beats[0]
    visible = [c for c in first.character_ids if c in scene.character_ids] if first.kind is BeatKind.ACTION else []
    covers = first.kind is BeatKind.ACTION and not visible
    place = location.name.title() if location else scene.heading.title()
    when = humanize(scene.time_of_day) if scene.time_of_day.value not in ("UNSPECIFIED", "CONTINUOUS") else ""
    detail = without_introductions(first.text) if covers else (location.description if location and location.description else "")
    timing = fixed_timing(3.0, cutter.pacing)
    if covers:
        timing = timing.merged(action_timing(detail, cutter.pacing))
    cutter.add(
        ShotSize.EXTREME_WIDE if exterior else ShotSize.WIDE,
        timing,
        angle=CameraAngle.HIGH if exterior else cutter.angle(),
        movement=CameraMovement.CRANE_DOWN if exterior else CameraMovement.PUSH_IN,
        character_ids=visible,
        beat_indexes=[0] if covers else [],
        prop_ids=[p for p in first.prop_ids if p in scene.prop_ids] if covers else [],
        description=clip(f"Establishing {place}{', ' + when if when else ''}. {detail}", 600),
        first_frame=clip(f"{place}{(' at ' + when) if when else ''}, {'empty' if not visible else cutter.names(visible) + ' small in frame'}", 300),
        last_frame="Hold on the location before cutting in.",
    )
    return 0 if covers else -1


def _sentence_kind(sentence: str, has_characters: bool, excluded: set[str]) -> str:
    if find_handlings(sentence, excluded):
        return "handle"
    if _DISCOVERY.search(sentence) and has_characters:
        return "discover"
    if _REACTION.search(sentence) and has_characters:
        return "react"
    if _MOVE.search(sentence) and has_characters:
        return "move"
    if _LOOK.search(sentence) and has_characters:
        return "look"
    return "plain"


def _chunks(cutter: _Cutter, beat: Beat) -> list[tuple[str, str]]:
    """Sentences grouped into (kind, text) parts: a new part starts where
    the kind of action changes or the part would run too long."""
    limit = MAX_SHOT_SECONDS[cutter.pacing]
    excluded = {w.lower() for c in cutter.index.characters.values() for w in c.name.split()}
    parts: list[list[str]] = []
    kinds: list[str] = []
    for sentence in sentences(without_introductions(beat.text)):
        kind = _sentence_kind(sentence, bool(beat.character_ids), excluded)
        fits = parts and action_timing(" ".join(parts[-1] + [sentence]), cutter.pacing).natural <= limit
        if parts and fits and (kind == "plain" or kind == kinds[-1]):
            parts[-1].append(sentence)
        elif parts and fits and kinds[-1] == "plain":
            parts[-1].append(sentence)
            kinds[-1] = kind
        else:
            parts.append([sentence])
            kinds.append(kind)
    return [(kind, " ".join(part)) for kind, part in zip(kinds, parts)]


def _cover_action(cutter: _Cutter, number: int, beat: Beat) -> None:
    in_beat = [c for c in beat.character_ids if c in cutter.scene.character_ids]
    if not in_beat:
        text = without_introductions(beat.text)
        props = [p for p in beat.prop_ids if p in cutter.scene.prop_ids and _names_prop(cutter, p, text)]
        phrases = sentences(text)
        cutter.add(ShotSize.WIDE, action_timing(text, cutter.pacing), character_ids=[], description=clip(text, 1200),
                   beat_indexes=[number], prop_ids=props, angle=cutter.angle(text), first_frame=clip(phrases[0], 300),
                   last_frame=clip(phrases[-1], 300) if len(phrases) > 1 else "Hold on the place.")
        return
    for kind, text in _chunks(cutter, beat):
        named = _named_in(cutter, text)
        present = [c for c in named if c in in_beat] or in_beat[:1]
        subject = present[0]
        timing = action_timing(text, cutter.pacing)
        props = [p for p in beat.prop_ids if p in cutter.scene.prop_ids and _names_prop(cutter, p, text)]
        common = dict(character_ids=present, description=text, beat_indexes=[number], subject_id=subject,
                      prop_ids=props, angle=cutter.angle(text))
        phrases = sentences(text)
        common["first_frame"] = clip(phrases[0], 300)
        common["last_frame"] = clip(phrases[-1], 300) if len(phrases) > 1 else f"Hold on {cutter.names(present) or 'the place'}."
        if not present or (kind == "plain" and not _names_someone(cutter, text)):
            cutter.add(ShotSize.WIDE, timing, **{**common, "subject_id": ""})
        elif kind == "move":
            _cover_movement(cutter, text, timing, common)
        elif kind == "discover":
            _cover_discovery(cutter, number, text, timing, common)
        elif kind == "react":
            moving = CameraMovement.PUSH_IN if re.search(r"widen|reali|dawns|falling into place", text, re.IGNORECASE) else CameraMovement.STATIC
            cutter.add(ShotSize.CLOSE_UP, timing, **{**common, "character_ids": [subject], "movement": moving})
        elif kind == "handle":
            cutter.add(ShotSize.MEDIUM, timing, **common)
            _insert_props(cutter, number, beat, text, subject)
        elif kind == "look":
            cutter.add(ShotSize.MEDIUM_CLOSE_UP, timing, **{**common, "character_ids": [subject]})
        else:
            cutter.add(ShotSize.MEDIUM if len(present) == 1 else ShotSize.MEDIUM_WIDE, timing, **common)


_PRONOUNS = re.compile(r"\b(?:she|her|he|him|his|they|them|their)\b", re.IGNORECASE)


def _named_in(cutter: _Cutter, text: str) -> list[str]:
    """Characters of the scene named in ``text``, in order of mention."""
    found: list[tuple[int, str]] = []
    for character in cutter.scene.character_ids:
        known = cutter.index.characters.get(character)
        words = {w for name in ([known.name, *known.aliases] if known else []) for w in name.split() if len(w) > 2}
        positions = [m.start() for w in words for m in re.finditer(rf"\b{re.escape(w)}\b", text, re.IGNORECASE)]
        if positions:
            found.append((min(positions), character))
    return [character for _, character in sorted(found)]


def _names_someone(cutter: _Cutter, text: str) -> bool:
    return bool(_PRONOUNS.search(text)) or bool(_named_in(cutter, text))


def _names_prop(cutter: _Cutter, prop_id: str, text: str) -> bool:
    prop = cutter.index.props.get(prop_id)
    return prop is not None and mentions(text, prop.name)


def _cover_movement(cutter: _Cutter, text: str, timing: Timing, common: dict) -> None:
    if _TOWARD.search(text):
        direction = ScreenDirection.TOWARD_CAMERA
    elif _AWAY.search(text):
        direction = ScreenDirection.AWAY_FROM_CAMERA
    elif _BACK.search(text):
        direction = ScreenDirection.RIGHT_TO_LEFT
    else:
        direction = ScreenDirection.LEFT_TO_RIGHT
    movement = CameraMovement.HANDHELD if _FAST.search(text) else CameraMovement.TRACKING
    size = ShotSize.FULL if len(common["character_ids"]) <= 2 else ShotSize.WIDE
    cutter.add(size, timing, **{**common, "movement": movement, "screen_direction": direction})


def _cover_discovery(cutter: _Cutter, number: int, text: str, timing: Timing, common: dict) -> None:
    cutter.add(ShotSize.MEDIUM_WIDE, timing, **{**common, "movement": CameraMovement.PUSH_IN})
    found = _DISCOVERY.search(text)
    what = found.group("what").strip() if found else ""
    if what:
        viewer = cutter.index.character_name(common["subject_id"])
        cutter.add(ShotSize.POINT_OF_VIEW, fixed_timing(2.5, cutter.pacing), character_ids=[], beat_indexes=[number],
                   description=clip(f"{viewer}'s POV: {what}.", 400), first_frame=clip(what, 300),
                   last_frame=f"Hold on what {viewer} sees.", prop_ids=[])


def _insert_props(cutter: _Cutter, number: int, beat: Beat, text: str, holder: str) -> None:
    for prop_id in beat.prop_ids:
        prop = cutter.index.props.get(prop_id)
        if prop is None or prop_id in cutter.inserted or prop_id not in cutter.scene.prop_ids:
            continue
        if not re.search(rf"\b{re.escape(prop.name.split()[-1])}", text, re.IGNORECASE):
            continue
        cutter.inserted.add(prop_id)
        owner = f"{cutter.index.character_name(holder)}'s hand on " if holder else ""
        cutter.add(ShotSize.INSERT, fixed_timing(1.5, cutter.pacing), character_ids=[holder] if holder else [],
                   prop_ids=[prop_id], beat_indexes=[number], description=f"Insert: {owner}the {prop.name}.",
                   first_frame=f"The {prop.name} fills the frame.", last_frame=f"The {prop.name} in use.")


def _listener(cutter: _Cutter, speaker: str, participants: list[str]) -> str:
    others = [c for c in reversed(cutter.on_screen) if c != speaker and c in cutter.scene.character_ids]
    for candidate in [*(p for p in participants if p != speaker), *others]:
        return candidate
    return ""


def _cover_exchange(cutter: _Cutter, exchange: list[tuple[int, Beat]]) -> None:
    participants = list(dict.fromkeys(b.speaker_id for _, b in exchange if b.speaker_id and b.extension not in _OFFSCREEN))
    spoken: set[str] = set()
    for position, (number, beat) in enumerate(exchange):
        timing = dialogue_timing(beat.text, 1 if beat.parenthetical else 0)
        if beat.simultaneous and cutter.cuts and cutter.cuts[-1].shot.dialogue:
            _merge_simultaneous(cutter, number, beat, timing)
        elif beat.extension in ("V.O.", "V.O"):
            _cover_voiceover(cutter, number, beat, timing)
        elif beat.extension in _OFFSCREEN or not beat.speaker_id:
            _cover_offscreen(cutter, number, beat, timing)
        else:
            _cover_line(cutter, number, beat, timing, participants, position, spoken)
        spoken.add(beat.speaker_id)


def _line_fields(cutter: _Cutter, number: int, beat: Beat) -> dict:
    speaker = cutter.index.character_name(beat.speaker_id)
    quoted = clip(beat.text, 80)
    return dict(dialogue=beat.text, speaker_id=beat.speaker_id, beat_indexes=[number],
                first_frame=f"{speaker} begins: \u201c{clip(beat.text, 40)}\u201d",
                last_frame=f"{speaker} finishes the line \u201c{quoted}\u201d.")


def _cover_line(cutter: _Cutter, number: int, beat: Beat, timing: Timing, participants: list[str], position: int, spoken: set[str]) -> None:
    speaker = beat.speaker_id
    listener = _listener(cutter, speaker, participants)
    fields = _line_fields(cutter, number, beat)
    name = cutter.index.character_name(speaker)
    parenthetical = f" {beat.parenthetical}" if beat.parenthetical else ""
    if not listener:
        size = ShotSize.CLOSE_UP if _emotional(beat) else ShotSize.MEDIUM_CLOSE_UP
        direction = cutter.sides.get(speaker, ScreenDirection.NEUTRAL)
        cutter.add(size, timing, character_ids=[speaker], subject_id=speaker, screen_direction=direction,
                   description=f"{name}{parenthetical}: \u201c{clip(beat.text, 200)}\u201d", **fields)
        return
    direction = cutter.side(speaker)
    cutter.side(listener)
    if position == 0 or (position % 6 == 0):
        size, frame = ShotSize.MEDIUM_WIDE, [speaker, listener]
        what = f"Two-shot, {name} and {cutter.index.character_name(listener)}; {name}{parenthetical} speaks"
    elif speaker not in spoken:
        size, frame = ShotSize.OVER_THE_SHOULDER, [speaker, listener]
        what = f"Over {cutter.index.character_name(listener)}'s shoulder onto {name}{parenthetical}"
    else:
        size = ShotSize.CLOSE_UP if _emotional(beat) else ShotSize.MEDIUM_CLOSE_UP
        frame, what = [speaker], f"{humanize(size).capitalize()} on {name}{parenthetical}"
    cutter.add(size, timing, character_ids=frame, subject_id=speaker, screen_direction=direction,
               description=f"{what}: \u201c{clip(beat.text, 200)}\u201d", **fields)


def _emotional(beat: Beat) -> bool:
    return "!" in beat.text or bool(_EMOTIONAL.search(beat.parenthetical))


def _merge_simultaneous(cutter: _Cutter, number: int, beat: Beat, timing: Timing) -> None:
    cut = cutter.cuts[-1]
    shot = cut.shot
    characters = list(dict.fromkeys([*shot.character_ids, beat.speaker_id] if beat.speaker_id else shot.character_ids))
    first_name = cutter.index.character_name(shot.speaker_id)
    second_name = cutter.index.character_name(beat.speaker_id)
    shot.size, shot.lens_mm = ShotSize.MEDIUM_WIDE, cutter.lens(ShotSize.MEDIUM_WIDE)
    shot.character_ids = [c for c in characters if c]
    shot.dialogue = f"{first_name}: {shot.dialogue} / {second_name} (at the same time): {beat.text}"
    shot.description = f"Two-shot, {first_name} and {second_name} speak at once."
    shot.beat_indexes = [*shot.beat_indexes, number]
    cut.timing = cut.timing.merged(timing)


def _cover_voiceover(cutter: _Cutter, number: int, beat: Beat, timing: Timing) -> None:
    previous = cutter.cuts[-1] if cutter.cuts else None
    if previous and not previous.shot.dialogue and not previous.shot.voiceover:
        previous.shot.voiceover = beat.text
        previous.shot.speaker_id = beat.speaker_id
        previous.shot.beat_indexes = [*previous.shot.beat_indexes, number]
        previous.timing = previous.timing.merged(timing)
        return
    visible = cutter.on_screen[-1:]
    cutter.add(ShotSize.MEDIUM if visible else ShotSize.WIDE, timing, character_ids=visible,
               subject_id=visible[0] if visible else "", voiceover=beat.text, speaker_id=beat.speaker_id,
               beat_indexes=[number], description=f"{cutter.names(visible) or 'The place'} as {cutter.index.character_name(beat.speaker_id)} speaks in voice-over.",
               first_frame=clip(beat.text, 200), last_frame="Voice-over ends.")


def _cover_offscreen(cutter: _Cutter, number: int, beat: Beat, timing: Timing) -> None:
    listeners = [c for c in reversed(cutter.on_screen) if c != beat.speaker_id and c in cutter.scene.character_ids][:1]
    speaker = cutter.index.character_name(beat.speaker_id) if beat.speaker_id else "A voice"
    fields = _line_fields(cutter, number, beat)
    if listeners:
        listener = listeners[0]
        cutter.add(ShotSize.MEDIUM_CLOSE_UP, timing, character_ids=listeners, subject_id=listener,
                   screen_direction=cutter.sides.get(listener, ScreenDirection.NEUTRAL),
                   description=f"{cutter.index.character_name(listener)} reacts as {speaker} speaks off screen: \u201c{clip(beat.text, 200)}\u201d", **fields)
    else:
        cutter.add(ShotSize.WIDE, timing, character_ids=[], description=f"{speaker} is heard off screen: \u201c{clip(beat.text, 200)}\u201d", **fields)


def _cover_brief_scene(cutter: _Cutter) -> None:
    scene = cutter.scene
    count = scene.planned_shot_count or 1
    total = scene.target_duration_s or max(4.0, speech_seconds(scene.voiceover) + 1.0)
    text = scene.description or scene.summary or scene.heading
    for n in range(count):
        size, movement = _brief_framing(scene, n, count)
        timing = Timing(total / count, min(1.0, total / count), total / count * 2)
        if n == 0 and scene.voiceover:
            timing = timing.merged(dialogue_timing(scene.voiceover))
        progression = f" (frame {n + 1} of {count}: {humanize(size)})" if count > 1 else ""
        cutter.add(size, timing, movement=movement, character_ids=list(scene.character_ids),
                   subject_id=scene.character_ids[0] if scene.character_ids and size is not ShotSize.INSERT else "",
                   prop_ids=list(scene.prop_ids), description=clip(f"{text}{progression}", 1200),
                   voiceover=scene.voiceover if n == 0 else "",
                   first_frame=clip(sentences(text)[0] if text else "", 300) if n == 0 else f"{SHOT_SIZE_ABBREVIATIONS.get(size, '')} continuing the scene.",
                   last_frame="Packshot holds for the call to action." if scene.packshot else "")


_BRIEF_SIZES = [
    (re.compile(r"\bextreme (?:detail|close)|\bmacro\b", re.IGNORECASE), ShotSize.EXTREME_CLOSE_UP),
    (re.compile(r"\bclose-?ups?\b|\bdetail\b", re.IGNORECASE), ShotSize.CLOSE_UP),
    (re.compile(r"\bwide\b|\bvista\b|\blandscape\b|\bpanorama\b|\bestablish", re.IGNORECASE), ShotSize.WIDE),
]
_BRIEF_MOVES = [
    (re.compile(r"\borbit|\bcircling\b|\bspinning\b", re.IGNORECASE), CameraMovement.TRACKING),
    (re.compile(r"\bquick cuts\b|\bhandheld\b|\bchase\b", re.IGNORECASE), CameraMovement.HANDHELD),
    (re.compile(r"\breveal|\bpush|\bcloser\b", re.IGNORECASE), CameraMovement.PUSH_IN),
    (re.compile(r"\bslow-motion\b|\bstillness\b|\bcentred\b|\bcentered\b", re.IGNORECASE), CameraMovement.STATIC),
]


def _brief_framing(scene: Scene, n: int, count: int) -> tuple[ShotSize, CameraMovement]:
    text = scene.description or scene.summary
    if scene.packshot:
        return ShotSize.CLOSE_UP, CameraMovement.STATIC
    if count == 1:
        default = ShotSize.MEDIUM_WIDE if scene.character_ids else ShotSize.MEDIUM if scene.prop_ids else ShotSize.WIDE
        size = next((size for pattern, size in _BRIEF_SIZES if pattern.search(text)), default)
        movement = next((move for pattern, move in _BRIEF_MOVES if pattern.search(text)),
                        CameraMovement.TRACKING if scene.character_ids else CameraMovement.PUSH_IN)
        return size, movement
    size, movement = _BRIEF_PROGRESSION[n % len(_BRIEF_PROGRESSION)]
    if size is ShotSize.OVER_THE_SHOULDER and len(scene.character_ids) < 2:
        size = ShotSize.MEDIUM_CLOSE_UP
    return size, movement
