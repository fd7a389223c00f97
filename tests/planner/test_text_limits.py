"""Strings composed past a field's limit are cut to fit before a write."""

import pytest
from pydantic import ValidationError

from services.planner.shot_plan import ContinuityLock, Shot, ShotPlan
from services.planner.text_limits import fitted


def test_too_long_strings_are_cut_at_a_word_boundary_and_the_rest_is_kept():
    shot = Shot(id="S001", scene_id="SC001", dialogue="keep me")
    shot.last_frame = "Hold on the door. " + "Then the rain falls " * 2000  # assignment is not validated
    shot.continuity = ContinuityLock(summary="fine")
    shot.continuity.location_layout = "door left " * 5000
    plan = ShotPlan(shots=[shot])
    result = fitted(plan)
    fitted_shot = result.shots[0]
    assert len(fitted_shot.last_frame) <= 20_000 and fitted_shot.last_frame.startswith("Hold on the door.")
    assert fitted_shot.last_frame.endswith("…") and len(fitted_shot.continuity.location_layout) <= 20_000
    assert (fitted_shot.id, fitted_shot.dialogue, fitted_shot.continuity.summary) == ("S001", "keep me", "fine")
    assert fitted(result) == result


def test_other_problems_are_not_hidden():
    shot = Shot(id="S001")
    shot.duration_s = -1.0
    with pytest.raises(ValidationError):
        fitted(ShotPlan(shots=[shot]))
