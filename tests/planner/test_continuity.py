"""Continuity: every violation kind is found with its shots, the score
reflects them, and repair fixes what it can."""

import pytest

from services.planner.continuity import Severity, ViolationKind, score, validate_shot_plan
from services.planner.continuity_repair import repair_continuity, repair_shot_plan
from services.planner.plan import Beat, BeatKind, ChangeAspect, ContinuityChange
from services.planner.shot_plan import ShotPlan
from services.planner.shot_planner import plan_shots
from services.planner.vocabulary import ScreenDirection, TimeOfDay


def _broken(shots: ShotPlan, edit) -> ShotPlan:
    copy = shots.model_copy(deep=True)
    edit(copy.shots)
    return copy


def _kinds(report):
    return {v.kind for v in report.violations}


def test_generated_plans_are_clean(seed_plan, seed_shots, lighthouse_plan, lighthouse_shots, night_shift_plan):
    for plan, shots in ((seed_plan, seed_shots), (lighthouse_plan, lighthouse_shots), (night_shift_plan, plan_shots(night_shift_plan))):
        report = validate_shot_plan(plan, shots)
        assert report.violations == [] and report.score == 100
        assert report.shot_count == len(shots.shots)


def test_unknown_entities(seed_plan, seed_shots):
    def edit(shots):
        shots[2].character_ids.append("CHAR_09")
        shots[3].prop_ids.append("PROP_77")
        shots[4].scene_id = "SC999"
    report = validate_shot_plan(seed_plan, _broken(seed_shots, edit))
    unknown = report.of_kind(ViolationKind.UNKNOWN_ENTITY)
    assert [(v.shot_ids, v.entity_ids) for v in unknown] == [(["S003"], ["CHAR_09"]), (["S004"], ["PROP_77"]), (["S005"], ["SC999"])]


def test_character_not_in_scene(lighthouse_plan, lighthouse_shots):
    def edit(shots):
        shots[0].character_ids.append("CHAR_03")  # the harbourmaster is only a voice on the radio
    [violation] = validate_shot_plan(lighthouse_plan, _broken(lighthouse_shots, edit)).violations
    assert violation.kind is ViolationKind.CHARACTER_NOT_IN_SCENE
    assert violation.shot_ids == ["S001"] and violation.entity_ids == ["CHAR_03"] and violation.scene_id == "SC001"


def test_wardrobe_conflict_needs_an_explaining_beat(seed_plan, seed_shots):
    def edit(shots):
        shots[2].continuity.characters[0].wardrobe = "red dress"
    report = validate_shot_plan(seed_plan, _broken(seed_shots, edit))
    conflicts = report.of_kind(ViolationKind.WARDROBE_CONFLICT)
    assert [v.shot_ids for v in conflicts] == [["S002", "S003"], ["S003", "S004"]]
    assert all(v.entity_ids == ["CHAR_01"] for v in conflicts)
    # The coat in S008 is explained by "She grabs her coat": no violation there.
    assert not any("S008" in v.shot_ids for v in report.violations)


def test_an_explaining_beat_silences_the_conflict(seed_plan, seed_shots):
    plan = seed_plan.model_copy(deep=True)
    plan.scenes[0].beats[1].changes.append(ContinuityChange(entity_id="CHAR_01", aspect=ChangeAspect.WARDROBE, description="red dress"))

    def edit(shots):
        for shot in shots[3:7]:
            for look in shot.continuity.characters:
                look.wardrobe = "red dress"
    assert validate_shot_plan(plan, _broken(seed_shots, edit)).of_kind(ViolationKind.WARDROBE_CONFLICT) == []


def test_prop_conflict(lighthouse_plan, lighthouse_shots):
    def edit(shots):
        lantern = [s for s in shots if s.scene_id == "SC003" and s.continuity.prop_state("PROP_03")]
        lantern[-1].continuity.prop_state("PROP_03").state = "smashed"
        shots[0].prop_ids.append("PROP_02")  # the logbook is not on the landing stage
    report = validate_shot_plan(lighthouse_plan, _broken(lighthouse_shots, edit))
    kinds = [(v.severity, v.entity_ids) for v in report.of_kind(ViolationKind.PROP_CONFLICT)]
    assert (Severity.ERROR, ["PROP_03"]) in kinds and (Severity.WARNING, ["PROP_02"]) in kinds


def test_time_of_day_conflict(seed_plan, seed_shots):
    def edit(shots):
        shots[4].continuity.time_of_day = TimeOfDay.DAY
    [violation] = validate_shot_plan(seed_plan, _broken(seed_shots, edit)).violations
    assert violation.kind is ViolationKind.TIME_OF_DAY_CONFLICT and violation.shot_ids == ["S005"]
    plan = seed_plan.model_copy(deep=True)
    plan.scenes[0].beats.append(Beat(kind=BeatKind.ACTION, text="Dawn breaks.",
                                     changes=[ContinuityChange(aspect=ChangeAspect.TIME_OF_DAY, description="DAY")]))
    assert validate_shot_plan(plan, _broken(seed_shots, edit)).violations == []


def test_screen_direction_break(lighthouse_plan, lighthouse_shots):
    def edit(shots):
        agnes_single = next(s for s in shots if s.scene_id == "SC002" and s.dialogue and s.subject_id == "CHAR_01" and len(s.character_ids) == 1)
        agnes_single.screen_direction = ScreenDirection.LEFT_TO_RIGHT
        agnes_single.continuity.screen_direction = ScreenDirection.LEFT_TO_RIGHT
    breaks = validate_shot_plan(lighthouse_plan, _broken(lighthouse_shots, edit)).of_kind(ViolationKind.SCREEN_DIRECTION_BREAK)
    assert breaks and all(v.scene_id == "SC002" for v in breaks)
    assert any(len(v.shot_ids) == 2 for v in breaks)


def test_ids_and_coverage(seed_plan, seed_shots):
    def edit(shots):
        shots[1].id = "S001"
        shots[2].id = ""
        del shots[-3:]  # drop the last scene's tail ...
    broken = _broken(seed_shots, edit)
    broken.shots = [s for s in broken.shots if s.scene_id != "SC002"]  # ... and all of scene 2
    report = validate_shot_plan(seed_plan, broken)
    assert _kinds(report) >= {ViolationKind.DUPLICATE_ID, ViolationKind.MISSING_ID, ViolationKind.UNCOVERED_SCENE}
    assert report.of_kind(ViolationKind.DUPLICATE_ID)[0].shot_ids == ["S001"]
    assert report.of_kind(ViolationKind.UNCOVERED_SCENE)[0].scene_id == "SC002"


def test_duration_off_target(seed_plan, seed_shots):
    def edit(shots):
        shots[0].duration_s += 20
    report = validate_shot_plan(seed_plan, _broken(seed_shots, edit))
    [violation] = report.of_kind(ViolationKind.DURATION_OFF_TARGET)
    assert "target 45.0 s" in violation.message and report.total_duration_s == pytest.approx(65.0, abs=0.01)


def test_score_weights():
    from services.planner.continuity import Violation
    errors = [Violation(kind=ViolationKind.MISSING_ID, message="x")] * 3
    warnings = [Violation(kind=ViolationKind.MISSING_ID, severity=Severity.WARNING, message="y")] * 2
    assert score(errors + warnings) == 100 - 30 - 6
    assert score(errors * 5) == 0


def test_repair_fixes_everything_it_can(seed_plan, seed_shots):
    def edit(shots):
        shots[1].id = "S001"
        shots[2].character_ids.append("CHAR_09")
        shots[3].continuity.characters[0].wardrobe = "red dress"
        shots[4].continuity.time_of_day = TimeOfDay.DAY
        shots[5].duration_s = 30
        shots[6].scene_id = "SC404"
    broken = _broken(seed_shots, edit)
    broken.shots = [s for s in broken.shots if s.scene_id != "SC002"]
    result = repair_shot_plan(seed_plan, broken)
    assert result.before.score < 50
    assert result.after.violations == [] and result.after.score == 100
    repaired = result.shot_plan
    assert {s.scene_id for s in repaired.shots} == {"SC001", "SC002", "SC003"}  # scene 2 covered again
    assert repaired.total_duration_s == pytest.approx(45, rel=0.05)
    assert repaired.parent_revision == seed_shots.revision and repaired.revision == ""
    assert [s.id for s in repaired.shots] == [f"S{n:03d}" for n in range(1, len(repaired.shots) + 1)]


def test_repair_restores_the_line(lighthouse_plan, lighthouse_shots):
    def edit(shots):
        for shot in shots:
            if shot.scene_id == "SC002" and shot.dialogue:
                shot.screen_direction = ScreenDirection.LEFT_TO_RIGHT
    result = repair_shot_plan(lighthouse_plan, _broken(lighthouse_shots, edit))
    assert result.before.of_kind(ViolationKind.SCREEN_DIRECTION_BREAK)
    assert result.after.violations == []


def test_a_target_no_cut_can_reach_stays_reported(seed_plan, seed_shots):
    plan = seed_plan.model_copy(deep=True)
    plan.bible.target_duration_s = 3
    shots = seed_shots.model_copy(update={"target_duration_s": 3})
    result = repair_shot_plan(plan, shots)
    assert [v.kind for v in result.after.violations] == [ViolationKind.DURATION_OFF_TARGET]


class _FakeLlm:
    def __init__(self, answer):
        self.answer = answer
        self.calls = []

    async def repair(self, plan, shot_plan, report):
        self.calls.append(report)
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer(shot_plan)


async def test_llm_step_runs_only_for_leftovers_and_only_keeps_improvements(seed_plan, seed_shots):
    plan = seed_plan.model_copy(deep=True)
    plan.bible.target_duration_s = 3
    shots = seed_shots.model_copy(update={"target_duration_s": 3})
    def one_shot_per_scene(shot_plan):
        firsts = {}
        for shot in shot_plan.shots:
            firsts.setdefault(shot.scene_id, shot)
        return shot_plan.model_copy(update={"shots": list(firsts.values())})

    cheat = _FakeLlm(lambda s: s.model_copy(update={"target_duration_s": 9.5}))  # may not move the target
    assert not (await repair_continuity(plan, shots, cheat)).used_llm and cheat.calls
    cut = _FakeLlm(one_shot_per_scene)
    result = await repair_continuity(plan, shots, cut)
    assert cut.calls and cut.calls[0].of_kind(ViolationKind.DURATION_OFF_TARGET)
    assert result.used_llm and result.after.violations == []
    assert len(result.shot_plan.shots) == 3 and result.shot_plan.total_duration_s == pytest.approx(3.0)
    assert result.shot_plan.parent_revision == shots.revision

    failing = _FakeLlm(RuntimeError("model unavailable"))
    kept = await repair_continuity(plan, shots, failing)
    assert failing.calls and not kept.used_llm

    clean = _FakeLlm(lambda s: s)
    untouched = await repair_continuity(seed_plan, seed_shots, clean)
    assert clean.calls == [] and untouched.after.violations == []
