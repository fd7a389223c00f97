"""Shared inputs for the planner tests: the example Fountain screenplay, the
seed walkthrough's plain-text script, and a PDF-style plain-text script."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.planner.offline_planner import plan_screenplay
from services.planner.plan import Plan
from services.planner.preferences import PlanPreferences
from services.planner.scripts import parse_script
from services.planner.shot_plan import ShotPlan
from services.planner.shot_planner import plan_shots

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parent / "data"
LIGHTHOUSE = ROOT / "previs_cli" / "examples" / "the_lighthouse_keeper.fountain"
PLAN_REVISION = "projects/demo/assets/plan/revisions/1"


@pytest.fixture(scope="session")
def lighthouse_text() -> str:
    return LIGHTHOUSE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_text() -> str:
    """The script of the seed walkthrough (step 3), as plain text."""
    return (DATA / "seed_walkthrough.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def night_shift_text() -> str:
    """An indented, hard-wrapped, scene-numbered script as copied from a PDF."""
    return (DATA / "night_shift.txt").read_text(encoding="utf-8")


def _plan(text: str, **preferences) -> Plan:
    plan = plan_screenplay(parse_script(text), PlanPreferences(**preferences))
    return plan.model_copy(update={"revision": PLAN_REVISION})


@pytest.fixture()
def lighthouse_plan(lighthouse_text) -> Plan:
    return _plan(lighthouse_text, target_duration_s=120)


@pytest.fixture()
def seed_plan(seed_text) -> Plan:
    return _plan(seed_text, style="cinematic noir", target_duration_s=45)


@pytest.fixture()
def night_shift_plan(night_shift_text) -> Plan:
    return _plan(night_shift_text)


@pytest.fixture()
def lighthouse_shots(lighthouse_plan) -> ShotPlan:
    return plan_shots(lighthouse_plan).model_copy(update={"revision": "projects/demo/assets/shots/revisions/1"})


@pytest.fixture()
def seed_shots(seed_plan) -> ShotPlan:
    return plan_shots(seed_plan).model_copy(update={"revision": "projects/demo/assets/shots/revisions/1"})
