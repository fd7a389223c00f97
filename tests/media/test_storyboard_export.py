"""Storyboard exports: JSON and CSV with every shot field, a printable PDF."""

from __future__ import annotations

import base64
import csv
import json
import re
import zlib
from dataclasses import replace
from pathlib import Path

import pytest
from PIL import Image

from services.media.storyboard_export import (
    EXPORTED_FIELDS,
    StoryboardHeader,
    StoryboardRow,
    export_storyboard,
    write_csv,
    write_pdf,
)
from services.runtime.errors import InvalidArgument

HEADER = StoryboardHeader(title="The Discovery", project="projects/demo",
                          shot_plan_revision="projects/demo/assets/shots/revisions/2")


def _rows(tmp_path: Path, count: int) -> list[StoryboardRow]:
    rows = []
    for index in range(count):
        image = tmp_path / f"frame{index}.png"
        Image.new("RGB", (640, 360), (40 + index * 5 % 200, 90, 160)).save(image)
        rows.append(StoryboardRow(
            shot_id=f"S{index + 1:03d}", scene_id=f"SC{index // 4 + 1:03d}", shot_size="CLOSE_UP", camera_angle="LOW",
            camera_movement="PUSH_IN", lens_mm=85.0, duration_seconds=2.5, screen_direction="LEFT_TO_RIGHT",
            time_of_day="NIGHT", location="WAREHOUSE", characters=("CHAR_01", "CHAR_02"), props=("PROP_01",),
            description=f"Sarah finds the hidden door, shot {index + 1}.", dialogue="Wait... this changes everything.",
            speaker="SARAH", continuity_notes="Gray suit; flashlight in right hand.",
            image_revision=f"projects/demo/assets/frame-{index + 1}/revisions/1", image_status="ACCEPTED",
            image_path=image,
        ))
    return rows


def _pdf_streams(path: Path) -> tuple[list[bytes], str]:
    """Decoded content streams and the raw object text of a PDF."""
    raw = path.read_bytes()
    streams = []
    for dictionary, body in re.findall(rb"<<(.*?)>>\s*stream\r?\n(.*?)endstream", raw, re.S):
        if b"/Subtype /Image" in dictionary:
            continue
        data = body.strip()
        if b"/ASCII85Decode" in dictionary:
            data = base64.a85decode(data.removesuffix(b"~>"))
        if b"/FlateDecode" in dictionary:
            data = zlib.decompress(data)
        streams.append(data)
    return streams, raw.decode("latin-1")


def test_json_has_every_shot_field_and_the_image_revision(tmp_path):
    rows = _rows(tmp_path, 3)
    paths = export_storyboard(rows, tmp_path / "out", ["json"], HEADER)
    document = json.loads(paths["json"].read_text(encoding="utf-8"))
    assert document["shot_plan_revision"] == HEADER.shot_plan_revision
    assert document["shot_count"] == 3 and document["total_duration_seconds"] == 7.5
    first = document["shots"][0]
    assert set(first) == {"shot_number", *EXPORTED_FIELDS} and "image_path" not in first
    assert first["image_revision"] == "projects/demo/assets/frame-1/revisions/1"
    assert first["characters"] == ["CHAR_01", "CHAR_02"] and first["lens_mm"] == 85.0
    assert [shot["shot_number"] for shot in document["shots"]] == [1, 2, 3]


def test_csv_has_one_row_per_shot_and_defuses_formulas(tmp_path):
    rows = _rows(tmp_path, 2)
    rows[1] = replace(rows[1], description="=HYPERLINK(\"http://evil\")", dialogue="-- beat --", location="Caf\u00e9, \u6771\u4eac")
    path = write_csv(rows, tmp_path / "s.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == 2
    assert list(records[0]) == ["shot_number", *EXPORTED_FIELDS]
    assert records[0]["characters"] == "CHAR_01; CHAR_02" and records[0]["image_status"] == "ACCEPTED"
    assert records[1]["description"].startswith("'=") and records[1]["dialogue"] == "'-- beat --"
    assert records[1]["location"] == "Caf\u00e9, \u6771\u4eac"
    assert records[1]["image_revision"] == "projects/demo/assets/frame-2/revisions/1"


def test_pdf_has_a_grid_of_panels_with_shot_details(tmp_path):
    rows = _rows(tmp_path, 8)
    rows[7] = replace(rows[7], image_path=None, image_revision="")
    path = write_pdf(rows, tmp_path / "s.pdf", HEADER, compress=False)
    streams, raw = _pdf_streams(path)
    assert raw.startswith("%PDF-") and raw.rstrip().endswith("%%EOF")
    assert len(re.findall(r"/Type /Page\b", raw)) == 2
    assert len(re.findall(r"/Subtype /Image", raw)) == 7
    first_page, second_page = streams[0].decode("latin-1"), streams[1].decode("latin-1")
    for text in ("#1  S001  SC001  WAREHOUSE", "Close up | Low | Push in | 85 mm", "2.5 s",
                 "Sarah finds the hidden door, shot 1.", "SARAH: \x93Wait... this changes everything.\x94",
                 "Continuity: Gray suit; flashlight in right hand.", "8 shots  |  page 1 of 2"):
        assert f"({text})" in first_page.replace("\\223", "\x93").replace("\\224", "\x94"), text
    assert "(#6  S006" in first_page and "(#7  S007" not in first_page
    assert "(#7  S007" in second_page and "(no frame yet)" in second_page


def test_pdf_is_compressed_deterministic_and_fits_long_text(tmp_path):
    rows = _rows(tmp_path, 3)
    rows[0] = replace(rows[0], description="word " * 400, dialogue="line " * 100, continuity_notes="note " * 100,
                      location="\u6771\u4eac")
    first = write_pdf(rows, tmp_path / "a.pdf", HEADER)
    second = write_pdf(rows, tmp_path / "b.pdf", HEADER)
    assert first.read_bytes() == second.read_bytes()
    streams, _ = _pdf_streams(first)
    page = streams[0].decode("latin-1")
    assert page.count("(word word") <= 4
    assert "\\205)" in page or "\u2026)" in page
    assert "(#1  S001  SC001  ??)" in page


def test_letter_pages_and_custom_grids(tmp_path):
    rows = _rows(tmp_path, 5)
    path = write_pdf(rows, tmp_path / "s.pdf", HEADER, page_size="LETTER", columns=2, rows_per_page=2)
    raw = path.read_bytes().decode("latin-1")
    assert len(re.findall(r"/Type /Page\b", raw)) == 2
    assert "/MediaBox [ 0 0 792 612 ]" in raw


def test_unreadable_frames_become_placeholders(tmp_path):
    rows = _rows(tmp_path, 1)
    rows[0].image_path.write_bytes(b"broken")
    streams, raw = _pdf_streams(write_pdf(rows, tmp_path / "s.pdf", HEADER, compress=False))
    assert "/Subtype /Image" not in raw and "(no frame yet)" in streams[0].decode("latin-1")


@pytest.mark.parametrize(
    ("call", "reason"),
    [
        (lambda d, rows: export_storyboard([], d), "EMPTY_STORYBOARD"),
        (lambda d, rows: export_storyboard(rows, d, ["docx"]), "INVALID_FORMAT"),
        (lambda d, rows: write_pdf(rows, d / "x.pdf", page_size="A3"), "INVALID_PAGE_SIZE"),
        (lambda d, rows: write_pdf(rows, d / "x.pdf", columns=0), "INVALID_GRID"),
    ],
)
def test_bad_exports_are_invalid_arguments(tmp_path, call, reason):
    with pytest.raises(InvalidArgument) as caught:
        call(tmp_path, _rows(tmp_path, 1))
    assert caught.value.reason == reason


def test_export_writes_all_formats_by_default_under_fixed_names(tmp_path):
    paths = export_storyboard(_rows(tmp_path, 2), tmp_path / "out", [], HEADER)
    assert {name: path.name for name, path in paths.items()} == {
        "pdf": "storyboard.pdf", "csv": "storyboard.csv", "json": "storyboard.json"}
    assert all(path.parent == tmp_path / "out" and path.stat().st_size > 0 for path in paths.values())
