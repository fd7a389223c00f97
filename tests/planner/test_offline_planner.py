"""The offline planner on three differently written screenplays."""

from services.planner.offline_planner import plan_screenplay
from services.planner.plan import BeatKind, ChangeAspect, PlanIndex, plan_problems
from services.planner.preferences import PlanPreferences
from services.planner.scripts import parse_script
from services.planner.vocabulary import BriefKind, Pacing, Setting, TimeOfDay, VisualRealism


def test_seed_walkthrough_plan(seed_plan):
    assert seed_plan.brief_kind is BriefKind.SCREENPLAY and plan_problems(seed_plan) == []
    [sarah] = seed_plan.characters
    assert (sarah.id, sarah.name, sarah.aliases) == ("CHAR_01", "Detective Sarah", ["Sarah"])
    assert sarah.identity_lock == "Woman in her 40s, sharp-eyed"
    assert sarah.wardrobe == "gray suit"
    assert [(w.scene_id, w.wardrobe) for w in sarah.wardrobe_by_scene] == [
        ("SC001", "gray suit"), ("SC002", "gray suit, coat"), ("SC003", "gray suit, coat")]
    assert [(loc.id, loc.name, loc.setting) for loc in seed_plan.locations] == [
        ("LOC_01", "DETECTIVE OFFICE", Setting.INTERIOR), ("LOC_02", "WAREHOUSE DISTRICT", Setting.EXTERIOR),
        ("LOC_03", "WAREHOUSE", Setting.INTERIOR)]
    assert all(loc.time_of_day is TimeOfDay.NIGHT for loc in seed_plan.locations)
    assert [p.name for p in seed_plan.props] == ["magnifying glass", "flashlight", "phone"]
    assert [s.id for s in seed_plan.scenes] == ["SC001", "SC002", "SC003"]
    assert all(s.character_ids == ["CHAR_01"] for s in seed_plan.scenes)
    assert seed_plan.bible.style == "cinematic noir" and seed_plan.bible.target_duration_s == 45


def test_seed_beats_record_props_and_changes(seed_plan):
    office = seed_plan.scenes[0]
    assert [b.kind for b in office.beats] == [BeatKind.ACTION, BeatKind.ACTION, BeatKind.DIALOGUE, BeatKind.ACTION]
    assert office.beats[2].speaker_id == "CHAR_01" and office.beats[2].parenthetical == "(to herself)"
    coat = office.beats[3].changes[0]
    assert (coat.entity_id, coat.aspect, coat.description) == ("CHAR_01", ChangeAspect.WARDROBE, "gray suit, coat")
    flashlight = seed_plan.scenes[1].beats[0].changes[0]
    assert (flashlight.entity_id, flashlight.aspect, flashlight.holder_id) == ("PROP_02", ChangeAspect.PROP_STATE, "CHAR_01")
    assert seed_plan.scenes[2].prop_ids == ["PROP_02", "PROP_03"]  # "Her flashlight beam" mentions the flashlight
    assert seed_plan.scenes[2].beats[-1].kind is BeatKind.TRANSITION


def test_example_characters(lighthouse_plan):
    agnes, tomas, harbourmaster = lighthouse_plan.characters
    assert agnes.name == "Agnes Morrow" and agnes.aliases == ["Agnes"]
    assert agnes.identity_lock.startswith("Woman in her 60s") and "silver braid" in agnes.hair_makeup
    assert agnes.wardrobe == "navy wool sweater and oilskin boots"
    assert tomas.identity_lock.startswith("Man in his 20s")
    wardrobe = {w.scene_id: w.wardrobe for w in tomas.wardrobe_by_scene}
    assert wardrobe["SC003"] == "red rain jacket and jeans"
    assert wardrobe["SC004"] == "red rain jacket and jeans, yellow oilskin"  # put on at the end of SC003
    assert harbourmaster.dialogue_lines == 1 and not harbourmaster.wardrobe_by_scene


def test_example_scenes_and_props(lighthouse_plan):
    index = PlanIndex.of(lighthouse_plan)
    assert plan_problems(lighthouse_plan) == []
    assert len(lighthouse_plan.scenes) == 5
    assert [s.time_of_day for s in lighthouse_plan.scenes] == [
        TimeOfDay.DAY, TimeOfDay.DAY, TimeOfDay.NIGHT, TimeOfDay.NIGHT, TimeOfDay.DAWN]
    assert lighthouse_plan.scenes[1].location_id == lighthouse_plan.scenes[4].location_id  # same kitchen
    lantern_room = lighthouse_plan.scenes[2]
    assert "CHAR_03" not in lantern_room.character_ids  # heard over the radio (V.O.), not present
    radio = next(b for b in lantern_room.beats if b.speaker_id == "CHAR_03")
    assert radio.extension == "V.O." and radio.character_ids == []
    names = {p.name for p in lighthouse_plan.props}
    assert {"oil lantern", "leather logbook", "duffel bag"} <= names
    lantern = next(p for p in lighthouse_plan.props if p.name == "oil lantern")
    assert lantern.scene_ids == ["SC003", "SC004", "SC005"]
    handover = next(c for b in lighthouse_plan.scenes[3].beats for c in b.changes if c.holder_id == "CHAR_02")
    assert index.props[handover.entity_id].name == "oil lantern"
    assert lighthouse_plan.scenes[0].notes


def test_real_style_script_plan(night_shift_plan):
    plan = night_shift_plan
    assert plan_problems(plan) == []
    assert [c.name for c in plan.characters] == ["Marisol Vega", "Earl", "Duke"]
    assert "grey walrus mustache" in plan.characters[1].hair_makeup
    diner, kitchen, dawn = plan.scenes[1], plan.scenes[2], plan.scenes[3]
    assert diner.time_of_day is TimeOfDay.NIGHT and kitchen.time_of_day is TimeOfDay.NIGHT  # CONTINUOUS / MOMENTS LATER resolved
    assert set(diner.character_ids) == {"CHAR_01", "CHAR_02", "CHAR_03"}
    assert dawn.character_ids == ["CHAR_01"]  # "Earl's denim jacket" does not bring Earl along
    marisol = {w.scene_id: w.wardrobe for w in plan.characters[0].wardrobe_by_scene}
    assert marisol["SC004"] == "pink waitress uniform and white sneakers"
    jacket = next(c for b in dawn.beats for c in b.changes if c.aspect is ChangeAspect.WARDROBE)
    assert jacket.description.endswith("Earl's denim jacket")
    envelope = next(b for b in diner.beats if "envelope" in b.text)
    assert envelope.character_ids == ["CHAR_03"]  # "He slides..." resolves to Duke, the last man to speak
    assert {p.name for p in plan.props} >= {"coffee pot", "folded envelope", "photograph"}


def test_preferences_fill_the_bible(seed_text):
    plan = plan_screenplay(parse_script(seed_text), PlanPreferences(visual_realism=VisualRealism.LOW, pacing=Pacing.FAST, aspect_ratio="2.39:1"))
    assert (plan.bible.visual_realism, plan.bible.pacing, plan.bible.aspect_ratio, plan.bible.target_duration_s) == (
        VisualRealism.LOW, Pacing.FAST, "2.39:1", 0)


def test_planning_is_deterministic(lighthouse_text):
    first = plan_screenplay(parse_script(lighthouse_text), PlanPreferences())
    second = plan_screenplay(parse_script(lighthouse_text), PlanPreferences())
    assert first == second


def test_action_before_the_first_slugline_becomes_an_opening_scene():
    plan = plan_screenplay(parse_script("FADE IN:\n\nRain on black. MAYA (8) whispers to a jar of fireflies.\n\nINT. ATTIC - NIGHT\n\nMaya sleeps.\n"), PlanPreferences())
    assert [s.heading for s in plan.scenes] == ["OPENING", "INT. ATTIC - NIGHT"]
    assert plan.scenes[0].location_id == "" and plan.scenes[0].character_ids == ["CHAR_01"]
    assert plan_problems(plan) == []


_DIGEST = """
import hashlib, sys
from pathlib import Path
from services.planner.briefs import MusicVideoBrief, plan_music_video
from services.planner.continuity_repair import repair_shot_plan
from services.planner.offline_planner import plan_screenplay
from services.planner.preferences import PlanPreferences
from services.planner.scripts import parse_script
from services.planner.shot_planner import plan_shots
digest = hashlib.sha256()
for path in sys.argv[1:]:
    plan = plan_screenplay(parse_script(Path(path).read_text(encoding="utf-8")), PlanPreferences(target_duration_s=90))
    shots = plan_shots(plan)
    repaired = repair_shot_plan(plan, shots)
    for model in (plan, shots, repaired.shot_plan, repaired.after):
        digest.update(model.model_dump_json().encode())
brief = MusicVideoBrief(idea="robots dancing in the rain", character_description="a rusty robot wearing a red cape")
digest.update(plan_shots(plan_music_video(brief, PlanPreferences())).model_dump_json().encode())
print(digest.hexdigest())
"""


def test_plans_do_not_depend_on_the_process_hash_seed():
    """Set and dict order must not leak into a plan: two processes with
    different string hashing give byte-identical plans and shot plans."""
    import os
    import subprocess
    import sys

    from tests.planner.conftest import DATA, LIGHTHOUSE, ROOT

    scripts = [str(LIGHTHOUSE), str(DATA / "seed_walkthrough.txt"), str(DATA / "night_shift.txt")]
    digests = set()
    for seed in ("1", "4242"):
        done = subprocess.run([sys.executable, "-c", _DIGEST, *scripts], cwd=ROOT, capture_output=True, text=True, check=True,
                              env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}, timeout=120)
        digests.add(done.stdout.strip())
    assert len(digests) == 1 and len(digests.pop()) == 64
