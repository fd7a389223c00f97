"""Exports: plan JSON, characters CSV and shots CSV with every shot field."""

import csv
import io
import json

import pytest

from services.planner.exports import (
    CHARACTER_COLUMNS,
    SHOT_COLUMNS,
    ExportFormat,
    export_characters_csv,
    export_files,
    export_plan_json,
    export_shots_csv,
)
from services.planner.plan import Plan
from services.runtime.errors import InvalidArgument


def _rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8"))))


def test_plan_json_round_trips(lighthouse_plan):
    data = json.loads(export_plan_json(lighthouse_plan))
    assert data["scenes"][0]["id"] == "SC001" and data["bible"]["pacing"] == "MEDIUM"
    assert Plan.model_validate(data) == lighthouse_plan


def test_characters_csv(lighthouse_plan):
    rows = _rows(export_characters_csv(lighthouse_plan))
    assert list(rows[0]) == CHARACTER_COLUMNS
    assert [r["id"] for r in rows] == ["CHAR_01", "CHAR_02", "CHAR_03"]
    assert "SC004: red rain jacket and jeans, yellow oilskin" in rows[1]["wardrobe_by_scene"]


def test_shots_csv_has_every_shot_and_field(lighthouse_plan, lighthouse_shots):
    rows = _rows(export_shots_csv(lighthouse_plan, lighthouse_shots))
    assert list(rows[0]) == SHOT_COLUMNS
    assert [r["shot_id"] for r in rows] == [s.id for s in lighthouse_shots.shots]
    first = rows[0]
    assert first["scene_heading"] == "EXT. SKERRY ROCK LIGHTHOUSE - DAY" and first["size_abbreviation"] == "EWS"
    assert sum(float(r["duration_s"]) for r in rows) == pytest.approx(lighthouse_shots.total_duration_s, abs=0.5)
    line = next(r for r in rows if r["dialogue"])
    assert line["speaker"] and line["continuity"] and line["time_of_day"] == "DAY"


def test_formula_cells_are_neutralised(seed_plan, seed_shots):
    plan = seed_plan.model_copy(deep=True)
    plan.characters[0].description = "=HYPERLINK(\"http://evil\")"
    shots = seed_shots.model_copy(deep=True)
    shots.shots[0].description = "+cmd"
    assert _rows(export_characters_csv(plan))[0]["description"].startswith("'=")
    assert _rows(export_shots_csv(plan, shots))[0]["description"] == "'+cmd"


def test_export_files(seed_plan, seed_shots):
    files = export_files(seed_plan, seed_shots, [])
    assert [(f.format, f.file_name, f.media_type) for f in files] == [
        (ExportFormat.PLAN_JSON, "plan.json", "application/json"),
        (ExportFormat.CHARACTERS_CSV, "characters.csv", "text/csv"),
        (ExportFormat.SHOTS_CSV, "shots.csv", "text/csv")]
    assert [f.format for f in export_files(seed_plan, None, [])] == [ExportFormat.PLAN_JSON, ExportFormat.CHARACTERS_CSV]
    with pytest.raises(InvalidArgument) as missing:
        export_files(seed_plan, None, [ExportFormat.SHOTS_CSV])
    assert missing.value.field_violations[0].field == "shot_plan_revision"
    with pytest.raises(InvalidArgument) as bad:
        export_files(seed_plan, seed_shots, [ExportFormat.PLAN_JSON, ExportFormat.UNSPECIFIED])
    assert bad.value.field_violations[0].field == "formats[1]"
