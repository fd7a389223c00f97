"""Screenplay parsing: Fountain elements, plain text, and the fixes around
screenplain."""

import pytest

from services.planner.scripts import (
    MAX_SCRIPT_CHARS,
    ElementKind,
    ScriptFormat,
    detect_format,
    parse_heading,
    parse_script,
    split_cue,
)
from services.planner.vocabulary import Setting, TimeOfDay
from services.runtime.errors import InvalidArgument


def _kinds(scene):
    return [e.kind for e in scene.elements]


def test_example_title_page_and_scenes(lighthouse_text):
    parsed = parse_script(lighthouse_text)
    assert parsed.format is ScriptFormat.FOUNTAIN
    assert parsed.title == "The Lighthouse Keeper"
    assert parsed.title_page["Draft date"] == "First draft"
    headings = [(s.heading.setting, s.heading.location, s.heading.time_of_day) for s in parsed.scenes]
    assert headings == [
        (Setting.EXTERIOR, "SKERRY ROCK LIGHTHOUSE", TimeOfDay.DAY),
        (Setting.INTERIOR, "SKERRY ROCK LIGHTHOUSE - KITCHEN", TimeOfDay.DAY),
        (Setting.INTERIOR, "SKERRY ROCK LIGHTHOUSE - LANTERN ROOM", TimeOfDay.NIGHT),
        (Setting.EXTERIOR, "SKERRY ROCK LIGHTHOUSE - GALLERY", TimeOfDay.NIGHT),
        (Setting.INTERIOR, "SKERRY ROCK LIGHTHOUSE - KITCHEN", TimeOfDay.DAWN),
    ]
    assert parsed.character_cues == ["AGNES", "TOMAS", "HARBOURMASTER"]
    assert 2 < parsed.page_estimate < 4


def test_example_dialogue_details(lighthouse_text):
    parsed = parse_script(lighthouse_text)
    first = [e for e in parsed.scenes[0].elements if e.kind is ElementKind.DIALOGUE]
    assert first[1].character == "TOMAS" and first[1].parentheticals == ["(catching his breath)"]
    assert first[1].text == "Noted. Are you Mrs. Morrow?"
    kitchen = [e for e in parsed.scenes[1].elements if e.kind is ElementKind.DIALOGUE]
    assert any(e.character == "AGNES" and e.extensions == ["CONT'D"] for e in kitchen)
    radio = next(e for e in parsed.scenes[2].elements if e.character == "HARBOURMASTER")
    assert radio.extensions == ["V.O."]
    gallery = [e for e in parsed.scenes[3].elements if e.kind is ElementKind.DIALOGUE]
    assert [(e.character, e.dual) for e in gallery[:2]] == [("TOMAS", False), ("AGNES", True)]


def test_notes_boneyard_forced_and_transitions(lighthouse_text):
    parsed = parse_script(lighthouse_text)
    assert parsed.scenes[0].notes == ["The boat should already be pulling away in the background of the wide shot."]
    all_text = " ".join(e.text for s in parsed.scenes for e in s.elements)
    assert "The horn has a voice" not in all_text  # boneyard
    assert "[[" not in all_text and "pulling away" not in all_text  # notes are not action
    assert "She does not wake him." in [e.text for e in parsed.scenes[4].elements]  # forced action (!)
    transitions = [e.text for s in parsed.scenes for e in s.elements if e.kind is ElementKind.TRANSITION]
    assert transitions == ["CUT TO:", "FADE OUT."]
    assert "THE END" not in all_text  # centred end mark
    assert [e.kind for e in parsed.preamble] == [ElementKind.TRANSITION]  # FADE IN:


def test_plain_seed_script(seed_text):
    parsed = parse_script(seed_text)
    assert parsed.format is ScriptFormat.PLAIN_TEXT
    assert parsed.title_page == {}
    assert [s.heading.location for s in parsed.scenes] == ["DETECTIVE OFFICE", "WAREHOUSE DISTRICT", "WAREHOUSE"]
    dialogue = [e for s in parsed.scenes for e in s.elements if e.kind is ElementKind.DIALOGUE]
    assert [(d.character, d.parentheticals, d.text) for d in dialogue] == [("SARAH", ["(to herself)"], "Wait... this changes everything.")]
    assert _kinds(parsed.scenes[-1])[-1] is ElementKind.TRANSITION  # FADE OUT. is a transition, not action


def test_wrapped_action_starting_in_capitals_stays_action():
    text = "INT. HOUSE - DAY\n\nJOHN (30s) enters the room\nand sits down.\n\nBOOM!\nThe wall explodes.\n\nJOHN\n(quietly)\nWhat was that?\n"
    scene = parse_script(text, ScriptFormat.FOUNTAIN).scenes[0]
    assert _kinds(scene) == [ElementKind.ACTION, ElementKind.ACTION, ElementKind.DIALOGUE]
    assert scene.elements[0].text == "JOHN (30s) enters the room and sits down."
    assert scene.elements[2].character == "JOHN"


def test_pdf_style_plain_text(night_shift_text):
    parsed = parse_script(night_shift_text)
    assert parsed.format is ScriptFormat.PLAIN_TEXT
    assert [s.heading.scene_number for s in parsed.scenes] == ["1", "2", "3", "4"]
    assert parsed.scenes[1].heading.time_of_day is TimeOfDay.CONTINUOUS
    assert parsed.scenes[2].heading.time_label == "MOMENTS LATER"
    diner = parsed.scenes[1]
    lines = [(e.character, e.text) for e in diner.elements if e.kind is ElementKind.DIALOGUE]
    assert ("MARISOL", "Anything else? Pie's fresh.") in lines  # (MORE) / page number / CONT'D cue joined
    assert ("EARL", "Marisol! Order up!") in lines
    assert any(e.extensions == ["O.S."] for e in diner.elements)
    assert diner.elements[0].text == "Fluorescent hum. Chrome counter, cracked red vinyl booths."
    assert parsed.scenes[0].elements[2].text == "BANG! The truck backfires. Marisol flinches."


@pytest.mark.parametrize(
    "heading, setting, location, time, label",
    [
        ("INT. JOHN'S HOUSE - KITCHEN - NIGHT", Setting.INTERIOR, "JOHN'S HOUSE - KITCHEN", TimeOfDay.NIGHT, "NIGHT"),
        ("EXT. BEACH - SUNSET", Setting.EXTERIOR, "BEACH", TimeOfDay.DUSK, "SUNSET"),
        ("INT./EXT. CAR - MOVING - DAY", Setting.INTERIOR_EXTERIOR, "CAR - MOVING", TimeOfDay.DAY, "DAY"),
        ("I/E TRUCK - LATER", Setting.INTERIOR_EXTERIOR, "TRUCK", TimeOfDay.CONTINUOUS, "LATER"),
        ("ext. forest -- dawn", Setting.EXTERIOR, "FOREST", TimeOfDay.DAWN, "DAWN"),
        ("INT. BAR - NIGHT - FLASHBACK", Setting.INTERIOR, "BAR", TimeOfDay.NIGHT, "NIGHT - FLASHBACK"),
        (".OPENING CREDITS", Setting.UNSPECIFIED, "OPENING CREDITS", TimeOfDay.UNSPECIFIED, ""),
    ],
)
def test_headings(heading, setting, location, time, label):
    parsed = parse_heading(heading)
    assert (parsed.setting, parsed.location, parsed.time_of_day, parsed.time_label) == (setting, location, time, label)


@pytest.mark.parametrize(
    "cue, expected",
    [
        ("SARAH", ("SARAH", [])),
        ("SARAH (V.O.)", ("SARAH", ["V.O."])),
        ("DR. GREY (O.S.) (CONT'D)", ("DR. GREY", ["O.S.", "CONT'D"])),
        ("COP #2", ("COP #2", [])),
        ("@McCLANE", ("McCLANE", [])),
        ("JOHN (30s) enters the room", None),
        ("BOOM!", None),
        ("SARAH (40s, sharp-eyed)", None),
        ("Sarah", None),
    ],
)
def test_character_cues(cue, expected):
    assert split_cue(cue) == expected


def test_format_detection():
    assert detect_format("Title: X\n\nINT. A - DAY\n") is ScriptFormat.FOUNTAIN
    assert detect_format("INT. A - DAY\n\nHe waits.\n") is ScriptFormat.PLAIN_TEXT
    assert detect_format("INT. A - DAY\n\n[[note]]\n") is ScriptFormat.FOUNTAIN


def test_fade_in_alone_is_not_a_title_page():
    parsed = parse_script("FADE IN:\n\nINT. ROOM - DAY\n\nShe waits.\n")
    assert parsed.title_page == {} and len(parsed.scenes) == 1


def test_empty_and_oversized_scripts_are_rejected():
    with pytest.raises(InvalidArgument) as empty:
        parse_script("   \n ")
    assert empty.value.field_violations[0].field == "script.content"
    with pytest.raises(InvalidArgument) as large:
        parse_script("x" * (MAX_SCRIPT_CHARS + 1))
    assert large.value.reason == "SCRIPT_TOO_LARGE"
