"""Panel specs from a planner shot plan: names for ids, enum suffixes, and
INT. scenes drawn as rooms."""

from previs.planner.v1 import planner_pb2
from services.media.shot_panels import PlanIndex, panel_for_shot


def _plan(setting: int) -> planner_pb2.Plan:
    return planner_pb2.Plan(
        characters=[planner_pb2.Character(id="CHAR_01", name="Maya")],
        locations=[planner_pb2.Location(id="LOC_01", name="KITCHEN", setting=setting)],
        scenes=[planner_pb2.Scene(id="SC001", location_id="LOC_01", time_of_day=planner_pb2.TIME_OF_DAY_MORNING)],
    )


def _shot() -> planner_pb2.Shot:
    return planner_pb2.Shot(id="S001", scene_id="SC001", size=planner_pb2.SHOT_SIZE_CLOSE_UP, character_ids=["CHAR_01"])


def test_a_shot_becomes_a_panel_with_names_and_plain_vocabulary():
    spec = panel_for_shot(_shot(), PlanIndex(_plan(planner_pb2.SETTING_EXTERIOR)))
    assert (spec.shot_size, spec.time_of_day, spec.location, spec.characters) == ("CLOSE_UP", "MORNING", "KITCHEN", ("Maya",))
    assert spec.camera_angle == "EYE_LEVEL" and not spec.interior


def test_only_int_scenes_are_interiors():
    assert panel_for_shot(_shot(), PlanIndex(_plan(planner_pb2.SETTING_INTERIOR))).interior
    assert not panel_for_shot(_shot(), PlanIndex(_plan(planner_pb2.SETTING_INTERIOR_EXTERIOR))).interior
    assert not panel_for_shot(_shot(), PlanIndex(_plan(planner_pb2.SETTING_UNSPECIFIED))).interior
