"""Screenplay parsing: Fountain and plain screenplay text into scenes.

Paragraph classification is screenplain's (``screenplain.parsers.fountain``,
the maintained Fountain parser on PyPI). Around it this module fixes what it
gets wrong on real scripts:

* A hard-wrapped action paragraph whose first line starts in capitals, e.g.
  ``JOHN (30s) enters the room`` / ``and sits down.`` or ``BOOM!`` / ``The
  wall explodes.``, is taken by screenplain as dialogue. A cue is accepted
  only if it is a name plus parenthesised extensions and nothing else;
  otherwise the paragraph is action again.
* Whitespace-only lines are not blank to screenplain, so an indented script
  (text copied from a PDF) glues paragraphs together, and an indented
  slugline is not recognised. Lines are stripped first.
* Notes ``[[...]]`` are deleted by screenplain; we keep them (attached to
  their scene). Boneyard ``/* */`` is removed before notes are read, so a
  note inside the boneyard is gone too.
* ``FADE OUT.``, ``FADE IN:``, ``FADE TO BLACK.`` are action to screenplain
  (Fountain only knows ``...TO:`` and forced ``>``); they are transitions.
* Plain text only: page furniture (``(MORE)``, ``CONTINUED:``, bare page
  numbers) is dropped and scene numbers around sluglines
  (``12 INT. HOUSE - DAY 12``) become the scene number.
* A title page is accepted only if it has a known Fountain key, so a first
  line like ``FADE IN:`` is not a title page.
"""

from __future__ import annotations

import enum
import re

from pydantic import BaseModel, Field
from screenplain.parsers import fountain as screenplain_fountain
from screenplain.types import Action, Dialog, DualDialog, PageBreak, Section, Slug, Transition

from services.planner.vocabulary import Setting, TimeOfDay
from services.runtime.errors import InvalidArgument

MAX_SCRIPT_CHARS = 2_000_000
LINES_PER_PAGE = 55


class ScriptFormat(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    FOUNTAIN = "FOUNTAIN"
    PLAIN_TEXT = "PLAIN_TEXT"


class ElementKind(enum.StrEnum):
    ACTION = "ACTION"
    DIALOGUE = "DIALOGUE"
    TRANSITION = "TRANSITION"


class ScriptElement(BaseModel):
    """One paragraph of a scene. For dialogue, ``text`` is the spoken words
    (parentheticals removed) and ``character`` the cue name without
    extensions; ``dual`` marks the second half of dual dialogue."""

    kind: ElementKind
    text: str = ""
    character: str = ""
    extensions: list[str] = Field(default_factory=list)
    parentheticals: list[str] = Field(default_factory=list)
    dual: bool = False


class SceneHeading(BaseModel):
    text: str
    setting: Setting = Setting.UNSPECIFIED
    location: str = ""
    time_of_day: TimeOfDay = TimeOfDay.UNSPECIFIED
    time_label: str = ""
    scene_number: str = ""


class ParsedScene(BaseModel):
    number: int
    heading: SceneHeading
    elements: list[ScriptElement] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)


class ParsedScript(BaseModel):
    title: str = ""
    format: ScriptFormat
    title_page: dict[str, str] = Field(default_factory=dict)
    preamble: list[ScriptElement] = Field(default_factory=list)
    preamble_notes: list[str] = Field(default_factory=list)
    scenes: list[ParsedScene] = Field(default_factory=list)
    word_count: int = 0
    page_estimate: float = 0.0

    @property
    def character_cues(self) -> list[str]:
        seen: dict[str, None] = {}
        for scene in self.scenes:
            for element in scene.elements:
                if element.kind is ElementKind.DIALOGUE:
                    seen.setdefault(element.character, None)
        return list(seen)


_KNOWN_TITLE_KEYS = {"Title", "Credit", "Author", "Authors", "Source", "Draft date", "Date", "Contact", "Copyright", "Notes", "Revision", "Format"}
_NOTE = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)
_BONEYARD = re.compile(r"/\*.*?\*/", re.DOTALL)
_NOTE_MARK = re.compile("\ue000(\\d+)\ue001")
_FOUNTAIN_MARKERS = re.compile(r"(?m)^(?:Title:|Credit:|Author:|Draft date:)|\[\[|/\*|^[.!@~>=#][^.]|^\s*>.*<\s*$")
_PLAIN_FURNITURE = re.compile(r"^(?:\(?MORE\)?|\(?CONT(?:'|’)?D\)?|(?:\d+\s+)?CONTINUED:?(?:\s*\(\d+\))?|\d{1,3}\.?)$")
_NUMBERED_SLUG = re.compile(r"^(\d+[A-Z]?)\s+((?:INT|EXT|I/E|EST)[ ./].*?)(?:\s+\1)?$")
_TRANSITION_LINE = re.compile(r"^(?:FADE (?:IN|OUT|TO BLACK|TO WHITE)|CUT TO BLACK|SMASH CUT|MATCH CUT|JUMP CUT|DISSOLVE|WIPE|IRIS (?:IN|OUT)|INTERCUT)\b[A-Z .:]*$|^[A-Z .]+ TO:$")
_HEADING = re.compile(r"^(?P<prefix>INT\.?\s*/\s*EXT\.?|EXT\.?\s*/\s*INT\.?|I\s*/\s*E\.?|INT\.?|EXT\.?|EST\.?)(?:\s+|$)(?P<rest>.*)$")
_DASH = re.compile(r"\s+[-–—]+\s+|\s*[-–—]{2,}\s*")
_SENTENCE_WORDS = re.compile(r"[A-Za-z0-9'’]+")

_TIMES: dict[str, TimeOfDay] = {
    "DAY": TimeOfDay.DAY, "DAYTIME": TimeOfDay.DAY, "NOON": TimeOfDay.DAY, "MIDDAY": TimeOfDay.DAY,
    "NIGHT": TimeOfDay.NIGHT, "MIDNIGHT": TimeOfDay.NIGHT, "LATE NIGHT": TimeOfDay.NIGHT, "NIGHTTIME": TimeOfDay.NIGHT,
    "DAWN": TimeOfDay.DAWN, "SUNRISE": TimeOfDay.DAWN, "FIRST LIGHT": TimeOfDay.DAWN, "DAYBREAK": TimeOfDay.DAWN,
    "DUSK": TimeOfDay.DUSK, "SUNSET": TimeOfDay.DUSK, "TWILIGHT": TimeOfDay.DUSK, "MAGIC HOUR": TimeOfDay.DUSK,
    "MORNING": TimeOfDay.MORNING, "EARLY MORNING": TimeOfDay.MORNING, "LATE MORNING": TimeOfDay.MORNING,
    "AFTERNOON": TimeOfDay.AFTERNOON, "LATE AFTERNOON": TimeOfDay.AFTERNOON,
    "EVENING": TimeOfDay.EVENING, "EARLY EVENING": TimeOfDay.EVENING,
    "CONTINUOUS": TimeOfDay.CONTINUOUS, "LATER": TimeOfDay.CONTINUOUS, "MOMENTS LATER": TimeOfDay.CONTINUOUS,
    "A MOMENT LATER": TimeOfDay.CONTINUOUS, "SAME": TimeOfDay.CONTINUOUS, "SAME TIME": TimeOfDay.CONTINUOUS,
}
_SETTINGS = {"INT": Setting.INTERIOR, "EXT": Setting.EXTERIOR, "EST": Setting.EXTERIOR}

_KNOWN_EXTENSIONS = {"v.o.", "o.s.", "o.c.", "cont'd", "cont’d", "contd", "cont.", "continuing", "pre-lap", "filtered",
                     "on phone", "into phone", "over phone", "on tv", "on radio", "on screen", "subtitled", "v.o", "o.s"}
_CUE_NAME = re.compile(r"^[^a-z()]*[A-Z][^a-z()]*$")


def detect_format(text: str) -> ScriptFormat:
    """Fountain if the text has Fountain-only markers, else plain text."""
    return ScriptFormat.FOUNTAIN if _FOUNTAIN_MARKERS.search(text[:200_000]) else ScriptFormat.PLAIN_TEXT


def parse_heading(text: str, scene_number: str = "") -> SceneHeading:
    """``INT. JOHN'S HOUSE - KITCHEN - NIGHT`` -> interior, location
    ``JOHN'S HOUSE - KITCHEN``, NIGHT. ``LATER``, ``SAME`` and
    ``CONTINUOUS`` map to CONTINUOUS (resolved from the scene before by the
    planner); labels after the time (``FLASHBACK``) stay in ``time_label``."""
    clean = " ".join(text.strip().lstrip(".").split()).upper()
    found = _HEADING.match(clean)
    setting, rest = Setting.UNSPECIFIED, clean
    if found:
        prefix = found.group("prefix").replace(" ", "").rstrip(".")
        setting = Setting.INTERIOR_EXTERIOR if "/" in prefix else _SETTINGS.get(prefix, Setting.UNSPECIFIED)
        rest = found.group("rest")
    parts = [p.strip(" .,") for p in _DASH.split(rest) if p.strip(" .,")]
    for i in range(len(parts) - 1, 0, -1):
        time = _time_of(parts[i])
        if time is not None:
            return SceneHeading(text=clean, setting=setting, location=" - ".join(parts[:i]), time_of_day=time,
                                time_label=" - ".join(parts[i:]), scene_number=scene_number)
    return SceneHeading(text=clean, setting=setting, location=" - ".join(parts) or clean, scene_number=scene_number)


def _time_of(part: str) -> TimeOfDay | None:
    words = re.sub(r"\(.*?\)", " ", part).split()
    for length in (3, 2, 1):
        if len(words) >= length and " ".join(words[:length]) in _TIMES:
            return _TIMES[" ".join(words[:length])]
    return None


def split_cue(cue: str) -> tuple[str, list[str]] | None:
    """``SARAH (V.O.) ^`` -> (``SARAH``, [``V.O.``]); None if the line is not
    a character cue (lowercase words, trailing text, a shout like ``BOOM!``)."""
    line = cue.strip()
    forced = line.startswith("@")
    line = line.lstrip("@").rstrip("^").strip()
    name, _, rest = line.partition("(")
    name = name.strip()
    extensions: list[str] = []
    if rest:
        tail = "(" + rest
        groups = re.findall(r"\(([^()]*)\)", tail)
        if re.sub(r"\([^()]*\)", "", tail).strip():
            return None
        for group in groups:
            group = group.strip()
            if len(group) > 25 or (re.search(r"[a-z]", group) and group.lower() not in _KNOWN_EXTENSIONS):
                return None
            extensions.append(group.upper())
    if not name or len(name) > 40 or len(name.split()) > 5:
        return None
    if not forced and (not _CUE_NAME.match(name) or name[-1] in "!?:;,"):
        return None
    return " ".join(name.split()), extensions


def _normalise_lines(lines: list[str], fmt: ScriptFormat) -> list[str]:
    out = []
    continuing = False
    for raw in lines:
        line = raw.expandtabs(4).strip()
        if fmt is ScriptFormat.PLAIN_TEXT:
            if line in ("(MORE)", "MORE"):
                continuing = True
                continue
            if _PLAIN_FURNITURE.match(line) or (continuing and not line):
                continue
            if continuing:
                continuing = False
                cue = split_cue(line)
                if cue and any(x.startswith("CONT") for x in cue[1]):
                    continue  # the speaker's cue repeated after a page break
            numbered = _NUMBERED_SLUG.match(line)
            if numbered:
                line = f"{numbered.group(2)} #{numbered.group(1)}#"
        out.append(line)
    return out


def _split_title_page(lines: list[str]) -> tuple[dict[str, str], list[str]]:
    if not lines or not lines[0].strip():
        return {}, lines
    end = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    block = [line.expandtabs(4).rstrip() for line in lines[:end]]
    parsed = screenplain_fountain.parse_title_page(block) or {}
    if not parsed or not (set(parsed) & _KNOWN_TITLE_KEYS):
        return {}, lines
    return {key: " ".join(v.strip() for v in values) for key, values in parsed.items()}, lines[end:]


def _plain(rich) -> str:
    return str(rich).strip()


def _dialogue(dialog: Dialog, dual: bool) -> ScriptElement | None:
    cue = split_cue(_plain(dialog.character))
    if cue is None:
        return None
    name, extensions = cue
    spoken, parentheticals = [], []
    for is_paren, text in dialog.blocks:
        text = _plain(text)
        if not text or text.upper() in ("(MORE)", "(CONT'D)"):
            continue
        (parentheticals if is_paren else spoken).append(text)
    return ScriptElement(kind=ElementKind.DIALOGUE, text=" ".join(spoken), character=name,
                         extensions=extensions, parentheticals=parentheticals, dual=dual)


def _dialog_as_action(dialog: Dialog) -> ScriptElement:
    lines = [_plain(dialog.character)] + [_plain(text) for _, text in dialog.blocks]
    return ScriptElement(kind=ElementKind.ACTION, text=" ".join(line for line in lines if line))


def _elements(paragraph) -> list[ScriptElement | SceneHeading]:
    if isinstance(paragraph, Slug):
        number = _plain(paragraph.scene_number) if paragraph.scene_number else ""
        return [parse_heading(_plain(paragraph.line), number)]
    if isinstance(paragraph, DualDialog):
        return [_dialogue(paragraph.left, False) or _dialog_as_action(paragraph.left),
                _dialogue(paragraph.right, True) or _dialog_as_action(paragraph.right)]
    if isinstance(paragraph, Dialog):
        return [_dialogue(paragraph, False) or _dialog_as_action(paragraph)]
    if isinstance(paragraph, Transition):
        return [ScriptElement(kind=ElementKind.TRANSITION, text=_plain(paragraph.line))]
    if isinstance(paragraph, Action):
        text = " ".join(_plain(line) for line in paragraph.lines if _plain(line))
        if not text:
            return []
        if len(paragraph.lines) == 1 and _TRANSITION_LINE.match(text.lstrip(">").strip()):
            return [ScriptElement(kind=ElementKind.TRANSITION, text=text.lstrip(">").strip())]
        if paragraph.centered and text.upper() in ("THE END", "END"):
            return []
        return [ScriptElement(kind=ElementKind.ACTION, text=text)]
    if isinstance(paragraph, (Section, PageBreak)):
        return []
    return []


def _take_notes(element: ScriptElement, notes: list[str], sink: list[str]) -> ScriptElement | None:
    def grab(text: str) -> str:
        for number in _NOTE_MARK.findall(text):
            sink.append(notes[int(number)])
        return " ".join(_NOTE_MARK.sub(" ", text).split())

    text = grab(element.text)
    parentheticals = [p for p in (grab(p) for p in element.parentheticals) if p]
    character = grab(element.character)
    if not text and not parentheticals:
        return None
    return element.model_copy(update={"text": text, "parentheticals": parentheticals, "character": character})


def _estimate_lines(element: ScriptElement) -> int:
    if element.kind is ElementKind.DIALOGUE:
        return 2 + len(element.parentheticals) + -(-len(element.text) // 35)
    return 1 + max(1, -(-len(element.text) // 60))


def parse_script(text: str, fmt: ScriptFormat = ScriptFormat.UNSPECIFIED, title: str = "") -> ParsedScript:
    """Parses a screenplay. ``fmt`` UNSPECIFIED detects the format.

    Raises INVALID_ARGUMENT (field ``script.content``) for empty or oversized
    text."""
    if not text or not text.strip():
        raise InvalidArgument.for_field("script.content", "is empty", "SCRIPT_EMPTY")
    if len(text) > MAX_SCRIPT_CHARS:
        raise InvalidArgument.for_field("script.content", f"has {len(text)} characters, more than {MAX_SCRIPT_CHARS}", "SCRIPT_TOO_LARGE")
    text = text.replace("\ufeff", "").replace("\r\n", "\n").replace("\r", "\n").replace("\ue000", "").replace("\ue001", "")
    if fmt is ScriptFormat.UNSPECIFIED:
        fmt = detect_format(text)
    text = _BONEYARD.sub("", text)
    notes: list[str] = []

    def mark(found: re.Match) -> str:
        notes.append(" ".join(found.group(1).split()))
        return f"\ue000{len(notes) - 1}\ue001"

    text = _NOTE.sub(mark, text)
    title_page, body = _split_title_page(text.split("\n"))
    paragraphs = screenplain_fountain.parse_body(_normalise_lines(body, fmt))
    parsed = ParsedScript(format=fmt, title_page=title_page, title=title or title_page.get("Title", ""))
    _assemble(parsed, paragraphs, notes)
    return parsed


def _assemble(parsed: ParsedScript, paragraphs: list, notes: list[str]) -> None:
    current: ParsedScene | None = None
    words = lines = 0
    for paragraph in paragraphs:
        for item in _elements(paragraph):
            if isinstance(item, SceneHeading):
                note_sink = [notes[int(n)] for n in _NOTE_MARK.findall(item.text)]
                if note_sink:
                    item = parse_heading(_NOTE_MARK.sub(" ", item.text), item.scene_number)
                current = ParsedScene(number=len(parsed.scenes) + 1, heading=item, notes=note_sink)
                parsed.scenes.append(current)
                lines += 2
                continue
            sink = current.notes if current else parsed.preamble_notes
            element = _take_notes(item, notes, sink)
            if element is None:
                continue
            (current.elements if current else parsed.preamble).append(element)
            words += len(_SENTENCE_WORDS.findall(element.text))
            lines += _estimate_lines(element)
    parsed.word_count = words
    parsed.page_estimate = round(lines / LINES_PER_PAGE, 2)
