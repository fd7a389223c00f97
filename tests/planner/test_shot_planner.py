"""The offline shot planner: coverage, timing, ids and continuity locks."""

import pytest

from services.planner.offline_planner import plan_screenplay
from services.planner.plan import PlanIndex
from services.planner.preferences import PlanPreferences
from services.planner.scripts import parse_script
from services.planner.shot_plan import shot_id
from services.planner.shot_planner import plan_shots
from services.planner.timing import Timing, fit_to_target, speech_seconds
from services.planner.vocabulary import CameraMovement, Pacing, ScreenDirection, ShotSize, TimeOfDay


def _sizes(shots, scene):
    return [s.size for s in shots.shots if s.scene_id == scene]


def test_every_scene_opens_and_is_covered(lighthouse_plan, lighthouse_shots):
    assert [s.id for s in lighthouse_shots.shots] == [shot_id(n) for n in range(1, len(lighthouse_shots.shots) + 1)]
    assert {s.scene_id for s in lighthouse_shots.shots} == {s.id for s in lighthouse_plan.scenes}
    first_of_scene = {}
    for shot in lighthouse_shots.shots:
        first_of_scene.setdefault(shot.scene_id, shot)
    assert first_of_scene["SC001"].size is ShotSize.EXTREME_WIDE  # exterior establishing
    assert first_of_scene["SC002"].size is ShotSize.WIDE  # interior establishing
    assert first_of_scene["SC001"].movement is CameraMovement.CRANE_DOWN


def test_dialogue_coverage_keeps_the_line(lighthouse_shots):
    kitchen = [s for s in lighthouse_shots.shots if s.scene_id == "SC002" and s.dialogue]
    assert kitchen[0].size is ShotSize.MEDIUM_WIDE and set(kitchen[0].character_ids) == {"CHAR_01", "CHAR_02"}
    assert kitchen[1].size is ShotSize.OVER_THE_SHOULDER
    sides = {}
    for shot in kitchen:
        assert shot.subject_id == shot.speaker_id
        sides.setdefault(shot.subject_id, set()).add(shot.screen_direction)
    assert sides == {"CHAR_02": {ScreenDirection.LEFT_TO_RIGHT}, "CHAR_01": {ScreenDirection.RIGHT_TO_LEFT}}
    assert any(s.size in (ShotSize.MEDIUM_CLOSE_UP, ShotSize.CLOSE_UP) for s in kitchen)  # singles after the OTS


def test_inserts_for_handled_props(lighthouse_plan, lighthouse_shots):
    index = PlanIndex.of(lighthouse_plan)
    inserts = [s for s in lighthouse_shots.shots if s.size is ShotSize.INSERT]
    names = {index.props[s.prop_ids[0]].name for s in inserts}
    assert {"duffel bag", "leather logbook", "oil lantern"} <= names
    for insert in inserts:
        previous = lighthouse_shots.shots[lighthouse_shots.shots.index(insert) - 1]
        assert previous.beat_indexes == insert.beat_indexes  # cut in from the shot of the same action
        assert insert.lens_mm >= 85


def test_voiceover_and_dual_dialogue(lighthouse_shots):
    radio = next(s for s in lighthouse_shots.shots if s.voiceover)
    assert radio.scene_id == "SC003" and radio.speaker_id == "CHAR_03" and "CHAR_03" not in radio.character_ids
    assert radio.duration_s >= speech_seconds(radio.voiceover) * 0.9  # long enough to be heard
    dual = next(s for s in lighthouse_shots.shots if "at the same time" in s.dialogue)
    assert dual.size is ShotSize.MEDIUM_WIDE and set(dual.character_ids) == {"CHAR_01", "CHAR_02"}


def test_durations_meet_the_target(lighthouse_shots, seed_shots):
    for shots in (lighthouse_shots, seed_shots):
        assert shots.total_duration_s == pytest.approx(shots.target_duration_s, rel=shots.duration_tolerance)
        assert all(s.duration_s >= 1.0 for s in shots.shots)
    dialogue = [s for s in lighthouse_shots.shots if s.dialogue and "at the same time" not in s.dialogue]
    long_line = max(dialogue, key=lambda s: len(s.dialogue))
    short_line = min(dialogue, key=lambda s: len(s.dialogue))
    assert long_line.duration_s > short_line.duration_s


def test_locks_follow_the_story(lighthouse_shots, seed_shots):
    tomas_looks = [(s.scene_id, s.continuity.wardrobe_of("CHAR_02").wardrobe) for s in lighthouse_shots.shots
                   if s.continuity.wardrobe_of("CHAR_02")]
    assert ("SC002", "red rain jacket and jeans") in tomas_looks
    assert ("SC004", "red rain jacket and jeans, yellow oilskin") in tomas_looks
    lantern_holders = [(s.scene_id, s.continuity.prop_state("PROP_03").holder_id) for s in lighthouse_shots.shots
                       if s.continuity.prop_state("PROP_03")]
    assert ("SC003", "CHAR_01") in lantern_holders and ("SC004", "CHAR_02") in lantern_holders
    for shot in seed_shots.shots:
        assert shot.continuity.time_of_day is TimeOfDay.NIGHT
        assert shot.continuity.screen_direction is shot.screen_direction
    office = next(s for s in seed_shots.shots if s.scene_id == "SC001" and s.continuity.characters)
    assert "Detective Sarah wears gray suit" in office.continuity.summary


def test_real_style_script_gets_usable_coverage(night_shift_plan):
    shots = plan_shots(night_shift_plan)
    sizes = {s.size for s in shots.shots}
    assert {ShotSize.EXTREME_WIDE, ShotSize.WIDE, ShotSize.MEDIUM_WIDE, ShotSize.OVER_THE_SHOULDER, ShotSize.INSERT} <= sizes
    offscreen = next(s for s in shots.shots if s.dialogue == "Marisol! Order up!")
    assert offscreen.speaker_id == "CHAR_02" and "CHAR_02" not in offscreen.character_ids  # Earl is heard, Duke is seen
    duke_walks_in = next(s for s in shots.shots if "walks in" in s.description)
    assert duke_walks_in.movement is CameraMovement.TRACKING and duke_walks_in.character_ids == ["CHAR_03"]


def test_pacing_changes_the_cut(seed_text):
    fast = plan_shots(plan_screenplay(parse_script(seed_text), PlanPreferences(pacing=Pacing.FAST)))
    slow = plan_shots(plan_screenplay(parse_script(seed_text), PlanPreferences(pacing=Pacing.SLOW)))
    assert fast.total_duration_s < slow.total_duration_s
    assert fast.target_duration_s == 0 and len(fast.shots) >= len(slow.shots)


def test_fit_to_target_respects_clamps():
    timings = [Timing(2.0, 1.0, 6.0), Timing(4.0, 3.5, 8.0), Timing(3.0, 1.0, 9.0)]
    fitted = fit_to_target(timings, 12.0)
    assert sum(fitted) == pytest.approx(12.0) and fitted[1] >= 3.5
    short = fit_to_target(timings, 3.0)  # below the minimums: as close as allowed
    assert sum(short) == pytest.approx(5.5, abs=0.2)
    assert sum(fit_to_target(timings, 3.0, relaxed=True)) == pytest.approx(3.0, abs=0.2)
    assert fit_to_target(timings, 0) == [2.0, 4.0, 3.0]


# --------------------------------------------------------------------------- plans at the model's limits
def _crowd_plan(people: int):
    from services.planner.plan import Beat, BeatKind, Character, Plan, Scene

    cast = [Character(id=f"CHAR_{n:02d}", name=f"Person {n}") for n in range(1, people + 1)]
    ids = [c.id for c in cast]
    beats = [Beat(kind=BeatKind.ACTION, text="Everyone stands and turns to the door.", character_ids=ids)]
    beats += [Beat(kind=BeatKind.DIALOGUE, text="Here.", speaker_id=c, character_ids=[c]) for c in ids[:3]]
    return Plan(characters=cast, scenes=[Scene(id="SC001", character_ids=ids, beats=beats)])


def test_a_beat_naming_the_largest_cast_still_gets_shots():
    from services.planner.continuity import validate_shot_plan
    from services.planner.plan import MAX_CHARACTERS

    plan = _crowd_plan(MAX_CHARACTERS)
    shots = plan_shots(plan)
    assert max(len(s.character_ids) for s in shots.shots) == MAX_CHARACTERS
    assert validate_shot_plan(plan, shots).score >= 0


def test_a_plan_needing_more_shots_than_a_shot_plan_holds_is_refused(monkeypatch):
    from services.planner import shot_planner
    from services.runtime.errors import InvalidArgument

    plan = _crowd_plan(3)
    needed = len(plan_shots(plan).shots)
    monkeypatch.setattr(shot_planner, "MAX_SHOTS", needed - 1)
    with pytest.raises(InvalidArgument) as caught:
        plan_shots(plan)
    assert caught.value.reason == "PLAN_TOO_LARGE_FOR_SHOT_PLAN" and caught.value.field_violations[0].field == "plan_revision"


def test_no_shot_is_longer_than_a_shot_plan_holds():
    from services.planner.timing import LONGEST_SHOT_SECONDS, dialogue_timing

    speech = dialogue_timing("word " * 5000)
    assert speech.natural > LONGEST_SHOT_SECONDS
    assert fit_to_target([speech], 0) == [LONGEST_SHOT_SECONDS]
    durations = fit_to_target([speech, Timing(2, 1, 6)], 2000)
    assert max(durations) <= LONGEST_SHOT_SECONDS
