"""Plan exports: plan JSON, characters CSV, shots CSV (every shot field).

Cells are text the script, a user or an LLM wrote, so a cell that a
spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, tab or carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import enum
import io
import json
from dataclasses import dataclass

from services.planner.plan import Plan, PlanIndex
from services.planner.shot_plan import ShotPlan
from services.planner.vocabulary import SHOT_SIZE_ABBREVIATIONS
from services.runtime.errors import InvalidArgument

CHARACTER_COLUMNS = ["id", "name", "aliases", "description", "identity_lock", "wardrobe", "wardrobe_by_scene",
                     "hair_makeup", "dialogue_lines", "reference_revisions"]
SHOT_COLUMNS = ["scene_id", "scene_heading", "shot_id", "size", "size_abbreviation", "angle", "movement", "lens_mm",
                "duration_s", "characters", "props", "screen_direction", "description", "dialogue", "speaker", "voiceover",
                "first_frame", "last_frame", "continuity", "wardrobe", "prop_states", "time_of_day", "location_layout"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportFormat(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    PLAN_JSON = "PLAN_JSON"
    CHARACTERS_CSV = "CHARACTERS_CSV"
    SHOTS_CSV = "SHOTS_CSV"


@dataclass(frozen=True)
class ExportedFile:
    format: ExportFormat
    file_name: str
    media_type: str
    content: bytes


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _csv(columns: list[str], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\r\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _cell(value) for key, value in row.items()})
    return buffer.getvalue().encode("utf-8")


def export_plan_json(plan: Plan) -> bytes:
    """The plan as indented UTF-8 JSON (enum values as their names)."""
    return json.dumps(plan.model_dump(mode="json"), indent=2, ensure_ascii=False).encode("utf-8")


def export_characters_csv(plan: Plan) -> bytes:
    rows = [{
        "id": c.id, "name": c.name, "aliases": "; ".join(c.aliases), "description": c.description,
        "identity_lock": c.identity_lock, "wardrobe": c.wardrobe,
        "wardrobe_by_scene": "; ".join(f"{w.scene_id}: {w.wardrobe}" for w in c.wardrobe_by_scene),
        "hair_makeup": c.hair_makeup, "dialogue_lines": c.dialogue_lines, "reference_revisions": "; ".join(c.reference_revisions),
    } for c in plan.characters]
    return _csv(CHARACTER_COLUMNS, rows)


def export_shots_csv(plan: Plan, shot_plan: ShotPlan) -> bytes:
    index = PlanIndex.of(plan)
    rows = []
    for shot in shot_plan.shots:
        scene = index.scenes.get(shot.scene_id)
        lock = shot.continuity
        rows.append({
            "scene_id": shot.scene_id, "scene_heading": scene.heading if scene else "", "shot_id": shot.id,
            "size": shot.size.value, "size_abbreviation": SHOT_SIZE_ABBREVIATIONS.get(shot.size, ""), "angle": shot.angle.value,
            "movement": shot.movement.value, "lens_mm": f"{shot.lens_mm:g}", "duration_s": f"{shot.duration_s:.1f}",
            "characters": "; ".join(index.character_name(c) for c in shot.character_ids),
            "props": "; ".join(index.props[p].name if p in index.props else p for p in shot.prop_ids),
            "screen_direction": shot.screen_direction.value, "description": shot.description, "dialogue": shot.dialogue,
            "speaker": index.character_name(shot.speaker_id) if shot.speaker_id else "", "voiceover": shot.voiceover,
            "first_frame": shot.first_frame, "last_frame": shot.last_frame, "continuity": lock.summary,
            "wardrobe": "; ".join(f"{index.character_name(c.character_id)}: {c.wardrobe}" for c in lock.characters if c.wardrobe),
            "prop_states": "; ".join(f"{p.prop_id}: {p.state}" for p in lock.props), "time_of_day": lock.time_of_day.value,
            "location_layout": lock.location_layout,
        })
    return _csv(SHOT_COLUMNS, rows)


def export_files(plan: Plan, shot_plan: ShotPlan | None, formats: list[ExportFormat]) -> list[ExportedFile]:
    """The requested files; no formats means every format the inputs allow."""
    wanted = list(dict.fromkeys(formats)) or [ExportFormat.PLAN_JSON, ExportFormat.CHARACTERS_CSV] + (
        [ExportFormat.SHOTS_CSV] if shot_plan is not None else [])
    files = []
    for i, fmt in enumerate(wanted):
        if fmt is ExportFormat.PLAN_JSON:
            files.append(ExportedFile(fmt, "plan.json", "application/json", export_plan_json(plan)))
        elif fmt is ExportFormat.CHARACTERS_CSV:
            files.append(ExportedFile(fmt, "characters.csv", "text/csv", export_characters_csv(plan)))
        elif fmt is ExportFormat.SHOTS_CSV:
            if shot_plan is None:
                raise InvalidArgument.for_field("shot_plan_revision", "is required for SHOTS_CSV", "SHOT_PLAN_REQUIRED")
            files.append(ExportedFile(fmt, "shots.csv", "text/csv", export_shots_csv(plan, shot_plan)))
        else:
            raise InvalidArgument.for_field(f"formats[{i}]", "must be PLAN_JSON, CHARACTERS_CSV or SHOTS_CSV", "INVALID_EXPORT_FORMAT")
    return files
