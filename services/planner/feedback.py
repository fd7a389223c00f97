"""Feedback on an image into a structured edit delta (offline rules).

The feedback is split into clauses (sentences, ``;``, ``and``, ``but``);
each clause is matched against rules for lighting, contrast, colour, bloom,
framing and angle, elements to add, remove or emphasise, atmosphere,
detail and expression. A clause no rule understands is kept verbatim as an
``OTHER`` instruction and prompt addition, so nothing the user asked for is
silently dropped. The Gemini planner produces the same :class:`EditDelta`.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from typing import Callable

from pydantic import BaseModel, ConfigDict, Field

from services.planner.prose import clip
from services.planner.shot_plan import Shot
from services.planner.vocabulary import CameraAngle, ShotSize
from services.runtime.errors import InvalidArgument

MAX_FEEDBACK_CHARS = 4000


class EditAspect(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    LIGHTING = "LIGHTING"
    CONTRAST = "CONTRAST"
    COLOR = "COLOR"
    CAMERA = "CAMERA"
    COMPOSITION = "COMPOSITION"
    ELEMENT = "ELEMENT"
    CHARACTER = "CHARACTER"
    ATMOSPHERE = "ATMOSPHERE"
    STYLE = "STYLE"
    OTHER = "OTHER"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EditInstruction(_Model):
    aspect: EditAspect
    instruction: str = Field(max_length=500)
    target: str = Field("", max_length=200)


class LookAdjustment(_Model):
    lighting_delta: int = Field(0, ge=-100, le=100)
    contrast_delta: int = Field(0, ge=-100, le=100)
    hdr_bloom_delta: int = Field(0, ge=-100, le=100)
    color_temperature_delta_kelvin: int = Field(0, ge=-8000, le=8000)
    fov_delta_degrees: float = Field(0.0, ge=-90, le=90)
    saturation_delta: int = Field(0, ge=-100, le=100)


class EditDelta(_Model):
    feedback: str = Field("", max_length=MAX_FEEDBACK_CHARS)
    summary: str = Field("", max_length=1000)
    instructions: list[EditInstruction] = Field(default_factory=list, max_length=50)
    look: LookAdjustment = Field(default_factory=LookAdjustment)
    add_elements: list[str] = Field(default_factory=list, max_length=50)
    remove_elements: list[str] = Field(default_factory=list, max_length=50)
    emphasize_elements: list[str] = Field(default_factory=list, max_length=50)
    prompt_additions: list[str] = Field(default_factory=list, max_length=50)
    negative_additions: list[str] = Field(default_factory=list, max_length=50)
    shot_size: ShotSize = ShotSize.UNSPECIFIED
    camera_angle: CameraAngle = CameraAngle.UNSPECIFIED


_TIGHTER = [ShotSize.EXTREME_WIDE, ShotSize.WIDE, ShotSize.FULL, ShotSize.MEDIUM_WIDE, ShotSize.MEDIUM,
            ShotSize.MEDIUM_CLOSE_UP, ShotSize.CLOSE_UP, ShotSize.EXTREME_CLOSE_UP]
_LOOK_WORDS = {"contrast", "shadow", "shadows", "light", "lighting", "glow", "bloom", "saturation", "warmth", "color", "colour",
               "colors", "colours", "detail", "details", "depth", "drama", "mood", "it", "image", "picture", "scene",
               "everything", "shot", "frame", "exposure", "brightness", "focus", "sharpness"}
_ELEMENT = r"(?P<x>[a-z][a-z0-9'\- ]{1,40}?)"
_CLAUSE_SPLIT = re.compile(r"[.;!?\n]+|,\s*(?:(?:and|but)\s+)?|\s+(?:and|but)\s+(?=(?:make|add|remove|put|include|get|take|use|give|keep|show|lose|increase|reduce|lower|raise|more|less)\b)", re.IGNORECASE)


@dataclass
class _Rule:
    pattern: re.Pattern
    apply: Callable[["_Builder", re.Match], None]


class _Builder:
    def __init__(self, feedback: str, shot: Shot | None) -> None:
        self.delta = EditDelta(feedback=feedback)
        self.shot = shot

    def instruct(self, aspect: EditAspect, instruction: str, target: str = "", prompt: str = "", negative: str = "") -> None:
        self.delta.instructions.append(EditInstruction(aspect=aspect, instruction=clip(instruction, 500), target=clip(target, 200)))
        if prompt and prompt not in self.delta.prompt_additions:
            self.delta.prompt_additions.append(prompt)
        if negative and negative not in self.delta.negative_additions:
            self.delta.negative_additions.append(negative)

    def look(self, **changes: float) -> None:
        look = self.delta.look
        for name, change in changes.items():
            bound = 8000 if name == "color_temperature_delta_kelvin" else 90 if name == "fov_delta_degrees" else 100
            setattr(look, name, type(getattr(look, name))(max(-bound, min(bound, getattr(look, name) + change))))

    def reframe(self, step: int) -> None:
        current = self.delta.shot_size if self.delta.shot_size is not ShotSize.UNSPECIFIED else (self.shot.size if self.shot else ShotSize.MEDIUM)
        position = _TIGHTER.index(current) if current in _TIGHTER else _TIGHTER.index(ShotSize.MEDIUM)
        self.delta.shot_size = _TIGHTER[max(0, min(len(_TIGHTER) - 1, position + step))]
        self.look(fov_delta_degrees=-10.0 * step)


def _element(match: re.Match) -> str:
    words = [w for w in match.group("x").strip().split() if w not in ("the", "a", "an", "some", "any", "all", "more")]
    return " ".join(words)


def _darker(b: _Builder, _: re.Match) -> None:
    b.look(lighting_delta=-20, contrast_delta=10)
    b.instruct(EditAspect.LIGHTING, "deepen the shadows for dramatic low-key lighting", "shadows",
               "dramatic low-key lighting, deep shadows, chiaroscuro", "flat lighting, overexposed")


def _brighter(b: _Builder, _: re.Match) -> None:
    b.look(lighting_delta=20)
    b.instruct(EditAspect.LIGHTING, "brighten the image with high-key light", "", "brighter, high-key lighting", "underexposed, murky shadows")


def _more_contrast(b: _Builder, _: re.Match) -> None:
    b.look(contrast_delta=15)
    b.instruct(EditAspect.CONTRAST, "increase contrast", "", "high contrast", "flat, washed-out image")


def _less_contrast(b: _Builder, _: re.Match) -> None:
    b.look(contrast_delta=-15)
    b.instruct(EditAspect.CONTRAST, "reduce contrast", "", "soft, low contrast", "harsh contrast")


def _warmer(b: _Builder, _: re.Match) -> None:
    b.look(color_temperature_delta_kelvin=-800)
    b.instruct(EditAspect.COLOR, "warm the colour temperature", "", "warm golden tones", "cold blue cast")


def _cooler(b: _Builder, _: re.Match) -> None:
    b.look(color_temperature_delta_kelvin=800)
    b.instruct(EditAspect.COLOR, "cool the colour temperature", "", "cool blue tones", "warm orange cast")


def _saturate(b: _Builder, _: re.Match) -> None:
    b.look(saturation_delta=20)
    b.instruct(EditAspect.COLOR, "increase saturation", "", "rich, vivid colours", "muted, desaturated colours")


def _desaturate(b: _Builder, match: re.Match) -> None:
    mono = "black and white" in match.group(0).lower() or "monochrome" in match.group(0).lower()
    b.look(saturation_delta=-100 if mono else -20)
    b.instruct(EditAspect.COLOR, "render in black and white" if mono else "mute the colours", "",
               "black and white, monochrome" if mono else "muted, desaturated palette", "vivid saturated colours")


def _bloom(b: _Builder, match: re.Match) -> None:
    less = re.search(r"\b(?:less|reduce|lower|no)\b", match.group(0), re.IGNORECASE) is not None
    b.look(hdr_bloom_delta=-15 if less else 15)
    b.instruct(EditAspect.LIGHTING, "reduce the glow on highlights" if less else "add bloom and glow to highlights", "",
               "" if less else "soft glow, bloom on highlights", "blown-out glow" if less else "")


def _emphasize(b: _Builder, match: re.Match) -> None:
    element = _element(match)
    if not element or element in _LOOK_WORDS or element.split()[-1] in _LOOK_WORDS:
        return
    if element not in b.delta.emphasize_elements:
        b.delta.emphasize_elements.append(element)
    b.instruct(EditAspect.ELEMENT, f"make the {element} more prominent", element, f"prominent {element}, clearly visible")


def _remove(b: _Builder, match: re.Match) -> None:
    element = _element(match)
    if not element or element in _LOOK_WORDS:
        return
    if element not in b.delta.remove_elements:
        b.delta.remove_elements.append(element)
    b.instruct(EditAspect.ELEMENT, f"remove the {element}", element, "", element)


def _add(b: _Builder, match: re.Match) -> None:
    element = _element(match)
    if not element or element in _LOOK_WORDS or element.split()[-1] in _LOOK_WORDS:
        return
    if element not in b.delta.add_elements:
        b.delta.add_elements.append(element)
    aspect = EditAspect.ATMOSPHERE if re.search(r"rain|fog|mist|snow|smoke|dust|haze|wind|storm", element) else EditAspect.ELEMENT
    b.instruct(aspect, f"add {element}", element, element)


def _atmosphere(b: _Builder, match: re.Match) -> None:
    element = {"foggier": "fog", "mistier": "mist", "rainier": "rain", "snowier": "snow", "smokier": "smoke", "dustier": "dust"}.get(
        match.group("w").lower(), match.group("w").lower())
    if element not in b.delta.add_elements:
        b.delta.add_elements.append(element)
    b.instruct(EditAspect.ATMOSPHERE, f"add more {element}", element, f"heavy {element}")


def _closer(b: _Builder, _: re.Match) -> None:
    b.reframe(+1)
    b.instruct(EditAspect.CAMERA, "frame tighter", "", "")


def _wider(b: _Builder, _: re.Match) -> None:
    b.reframe(-1)
    b.instruct(EditAspect.CAMERA, "frame wider", "", "")


def _angle(angle: CameraAngle, words: str) -> Callable[[_Builder, re.Match], None]:
    def apply(b: _Builder, _: re.Match) -> None:
        b.delta.camera_angle = angle
        b.instruct(EditAspect.CAMERA, f"shoot from a {words}", "", words)
    return apply


def _sharper(b: _Builder, _: re.Match) -> None:
    b.instruct(EditAspect.STYLE, "sharpen focus and detail", "", "sharp focus, fine detail", "blurry, soft focus")


def _softer(b: _Builder, _: re.Match) -> None:
    b.instruct(EditAspect.STYLE, "soften focus for a dreamy look", "", "soft focus, dreamy", "harsh digital sharpness")


def _expression(b: _Builder, match: re.Match) -> None:
    mood = match.group("mood").lower()
    b.instruct(EditAspect.CHARACTER, f"make the character look more {mood}", mood, f"{mood} expression")


_RULES = [
    _Rule(re.compile(r"shadows?\b.*\b(?:dramatic|darker|deeper|stronger|harsher|heavier)|\b(?:dramatic|darker|deeper|stronger|harsher|heavier|more) shadows?\b|\b(?:darker|moodier|gloomier|low[- ]key|more noir|less light|too bright)\b", re.IGNORECASE), _darker),
    _Rule(re.compile(r"\b(?:brighter|lighter|more light|less dark|too dark|brighten|well[- ]lit|high[- ]key)\b", re.IGNORECASE), _brighter),
    _Rule(re.compile(r"\b(?:more|higher|increase|add(?: more)?|boost|stronger|punchier) contrast\b|\bcontrast\b.*\b(?:higher|up|stronger|more)\b", re.IGNORECASE), _more_contrast),
    _Rule(re.compile(r"\b(?:less|lower|reduce|softer) contrast\b|\bflatter\b|\btoo contrasty\b", re.IGNORECASE), _less_contrast),
    _Rule(re.compile(r"\bwarmer\b|\bmore (?:golden|warm)\b|\btoo (?:cold|blue)\b", re.IGNORECASE), _warmer),
    _Rule(re.compile(r"\bcooler\b|\bcolder\b|\bmore (?:blue|cool)\b|\btoo (?:warm|orange|yellow)\b", re.IGNORECASE), _cooler),
    _Rule(re.compile(r"\bmore (?:saturated|vivid|colou?rful)\b|\bpunchier colou?rs\b|\bmore colou?r\b", re.IGNORECASE), _saturate),
    _Rule(re.compile(r"\bdesaturat\w*|\bmuted\b|\bless saturated\b|\bblack and white\b|\bmonochrome\b", re.IGNORECASE), _desaturate),
    _Rule(re.compile(r"\b(?:(?:more|less|reduce|lower|no|add)\s+)?(?:bloom|glow|halation)\b", re.IGNORECASE), _bloom),
    _Rule(re.compile(rf"^(?:make |have |let )?(?:the |a |an )?{_ELEMENT}\s+(?:should\s+be\s+|is\s+|be\s+|look\s+)?(?:much\s+|a bit\s+|slightly\s+)?(?:more\s+)?(?:prominent|visible|noticeable|pronounced|bigger|larger|obvious)\b", re.IGNORECASE), _emphasize),
    _Rule(re.compile(rf"\b(?:emphasi[sz]e|highlight|focus on|feature)\s+(?:the |a |an )?{_ELEMENT}\s*$", re.IGNORECASE), _emphasize),
    _Rule(re.compile(rf"\b(?:remove|get rid of|delete|take out|erase|lose)\s+(?:the |a |an |any |all )?{_ELEMENT}\s*$", re.IGNORECASE), _remove),
    _Rule(re.compile(rf"^(?:no|without) (?:more )?{_ELEMENT}\s*$", re.IGNORECASE), _remove),
    _Rule(re.compile(rf"\b(?:do not|don't|dont) (?:like|want)\s+(?:the |her |his |their |that |this |those |these )?{_ELEMENT}\s*$", re.IGNORECASE), _remove),
    _Rule(re.compile(rf"\b(?:add|include|put in|insert|show)\s+(?:some |a |an |the |more )?{_ELEMENT}(?:\s+(?:in|to|into|on|behind|near|at|over|under)\b.*)?$", re.IGNORECASE), _add),
    _Rule(re.compile(r"\bmore\s+(?P<w>rain|fog|mist|snow|smoke|dust|haze)\b", re.IGNORECASE), _atmosphere),
    _Rule(re.compile(r"\b(?P<w>foggier|mistier|rainier|snowier|smokier|dustier)\b", re.IGNORECASE), _atmosphere),
    _Rule(re.compile(r"\b(?:closer|tighter|zoom in|push in|move in|more of a close-?up)\b", re.IGNORECASE), _closer),
    _Rule(re.compile(r"\b(?:wider|pull back|zoom out|show more of the (?:room|place|scene)|more of the environment)\b", re.IGNORECASE), _wider),
    _Rule(re.compile(r"\b(?:from above|high angle|looking down)\b", re.IGNORECASE), _angle(CameraAngle.HIGH, "high angle")),
    _Rule(re.compile(r"\b(?:overhead|top[- ]down|bird'?s[- ]eye)\b", re.IGNORECASE), _angle(CameraAngle.OVERHEAD, "overhead angle")),
    _Rule(re.compile(r"\b(?:from below|low angle|looking up|heroic angle)\b", re.IGNORECASE), _angle(CameraAngle.LOW, "low angle")),
    _Rule(re.compile(r"\b(?:dutch|tilted|canted)\b", re.IGNORECASE), _angle(CameraAngle.DUTCH, "dutch angle")),
    _Rule(re.compile(r"\b(?:eye[- ]level|straight on)\b", re.IGNORECASE), _angle(CameraAngle.EYE_LEVEL, "eye-level angle")),
    _Rule(re.compile(r"\b(?:sharper|crisper|more detail(?:ed)?|in focus|less blurry)\b", re.IGNORECASE), _sharper),
    _Rule(re.compile(r"\b(?:softer|dreamier|more dreamy|softer focus)\b", re.IGNORECASE), _softer),
    _Rule(re.compile(r"\b(?:look|looks|seem|seems|appear|appears)\s+(?:more\s+|a bit\s+)?(?P<mood>scared|afraid|angry|happy|sad|worried|determined|tired|surprised|shocked|tense|calm|confident|menacing|older|younger)\b", re.IGNORECASE), _expression),
]


def clauses(feedback: str) -> list[str]:
    return [c.strip(" ,") for c in _CLAUSE_SPLIT.split(feedback) if c and c.strip(" ,")]


def interpret_feedback(feedback: str, shot: Shot | None = None) -> EditDelta:
    """The edit delta for natural-language feedback (``shot`` lets "closer"
    and "wider" step from the shot's current size)."""
    text = " ".join((feedback or "").split())
    if not text:
        raise InvalidArgument.for_field("feedback", "is required", "FEEDBACK_REQUIRED")
    if len(text) > MAX_FEEDBACK_CHARS:
        raise InvalidArgument.for_field("feedback", f"is longer than {MAX_FEEDBACK_CHARS} characters", "FEEDBACK_TOO_LONG")
    builder = _Builder(text, shot)
    for clause in clauses(text)[:50]:
        before = len(builder.delta.instructions)
        for rule in _RULES:
            found = rule.pattern.search(clause)
            if found:
                rule.apply(builder, found)
        if len(builder.delta.instructions) == before:
            builder.instruct(EditAspect.OTHER, clause, "", clause)
    delta = builder.delta
    delta.summary = clip("; ".join(i.instruction for i in delta.instructions), 1000)
    return EditDelta.model_validate(delta.model_dump())
