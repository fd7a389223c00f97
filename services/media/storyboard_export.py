"""Storyboard exports (`000` seed, step 12): JSON, CSV and a printable PDF.

Input is a neutral list of :class:`StoryboardRow` (one per shot, in cutting
order) that the job runner fills from the planner's shot plan and the
storage revisions of the frames; nothing here knows planner types.

- JSON: a header (title, shot plan revision, counts, total duration) and
  every shot field with the frame's revision name.
- CSV: one row per shot with the same fields; lists are joined with ``; ``
  and text that a spreadsheet would run as a formula is prefixed with ``'``.
- PDF (reportlab): landscape pages with a grid of panels (3 x 2 by default),
  each with its frame and shot number, size, angle, movement, lens,
  duration, description, dialogue and continuity notes.

Output file names are fixed (``storyboard.json`` ...); no caller text ever
becomes a path.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Iterable, Sequence

from PIL import Image, UnidentifiedImageError
from reportlab.lib.pagesizes import A4, LETTER, landscape
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen import canvas as pdf_canvas

from services.runtime.errors import InvalidArgument

_LOGGER = logging.getLogger(__name__)

FORMATS = ("pdf", "csv", "json")
FILE_NAMES = {"pdf": "storyboard.pdf", "csv": "storyboard.csv", "json": "storyboard.json"}
MEDIA_TYPES = {"pdf": "application/pdf", "csv": "text/csv", "json": "application/json"}
PAGE_SIZES = {"A4": landscape(A4), "LETTER": landscape(LETTER)}
MAX_ROWS = 5000
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
PANEL_IMAGE_MAX_PIXELS = 900


@dataclass(frozen=True)
class StoryboardRow:
    """One shot of a storyboard. Enum-like fields use the shared vocabulary
    without prefixes (``CLOSE_UP``, ``LOW``, ``PUSH_IN``)."""

    shot_id: str
    scene_id: str = ""
    shot_size: str = ""
    camera_angle: str = ""
    camera_movement: str = ""
    lens_mm: float = 0.0
    duration_seconds: float = 0.0
    screen_direction: str = ""
    time_of_day: str = ""
    location: str = ""
    characters: tuple[str, ...] = ()
    props: tuple[str, ...] = ()
    description: str = ""
    dialogue: str = ""
    speaker: str = ""
    voiceover: str = ""
    first_frame: str = ""
    last_frame: str = ""
    continuity_notes: str = ""
    image_revision: str = ""
    """Storage revision of the shot's frame (accepted, else latest); empty if none."""
    image_status: str = ""
    """Review status of that revision, e.g. ``ACCEPTED``."""
    image_path: Path | None = None
    """Local copy of the frame for the PDF; never exported."""


@dataclass(frozen=True)
class StoryboardHeader:
    """What the export is of."""

    title: str = "Storyboard"
    project: str = ""
    shot_plan_revision: str = ""
    aspect_ratio: str = "16:9"


EXPORTED_FIELDS = tuple(f.name for f in fields(StoryboardRow) if f.name != "image_path")


def export_storyboard(rows: Sequence[StoryboardRow], out_dir: Path, formats: Iterable[str] = FORMATS,
                      header: StoryboardHeader | None = None, *, page_size: str = "A4", columns: int = 3,
                      rows_per_page: int = 2) -> dict[str, Path]:
    """Writes the requested formats into ``out_dir``; returns format -> path."""
    wanted = _formats(formats)
    _check_rows(rows)
    header = header or StoryboardHeader()
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in wanted:
        path = out_dir / FILE_NAMES[name]
        if name == "json":
            write_json(rows, path, header)
        elif name == "csv":
            write_csv(rows, path)
        else:
            write_pdf(rows, path, header, page_size=page_size, columns=columns, rows_per_page=rows_per_page)
        written[name] = path
    return written


def _formats(formats: Iterable[str]) -> list[str]:
    wanted = [name.lower() for name in formats] or list(FORMATS)
    unknown = sorted(set(wanted) - set(FORMATS))
    if unknown:
        raise InvalidArgument.for_field("formats", f"unknown formats {unknown}; use pdf, csv or json", "INVALID_FORMAT")
    return list(dict.fromkeys(wanted))


def _check_rows(rows: Sequence[StoryboardRow]) -> None:
    if not rows:
        raise InvalidArgument.for_field("rows", "the shot plan has no shots", "EMPTY_STORYBOARD")
    if len(rows) > MAX_ROWS:
        raise InvalidArgument.for_field("rows", f"at most {MAX_ROWS} shots", "STORYBOARD_TOO_LARGE")


def _record(number: int, row: StoryboardRow) -> dict[str, object]:
    record: dict[str, object] = {"shot_number": number}
    values = asdict(row)
    for name in EXPORTED_FIELDS:
        value = values[name]
        record[name] = list(value) if isinstance(value, tuple) else value
    return record


def write_json(rows: Sequence[StoryboardRow], path: Path, header: StoryboardHeader | None = None) -> Path:
    """Every shot field and frame revision, with a header."""
    _check_rows(rows)
    header = header or StoryboardHeader()
    document = {
        **asdict(header),
        "shot_count": len(rows),
        "total_duration_seconds": round(sum(row.duration_seconds for row in rows), 3),
        "shots": [_record(number, row) for number, row in enumerate(rows, start=1)],
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def write_csv(rows: Sequence[StoryboardRow], path: Path) -> Path:
    """One CSV row per shot (UTF-8 with a BOM so spreadsheets detect it)."""
    _check_rows(rows)
    columns = ["shot_number", *EXPORTED_FIELDS]
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        for number, row in enumerate(rows, start=1):
            record = _record(number, row)
            writer.writerow({name: _cell(value) for name, value in record.items()})
    return path


def _cell(value: object) -> object:
    if isinstance(value, list):
        value = "; ".join(str(item) for item in value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def write_pdf(rows: Sequence[StoryboardRow], path: Path, header: StoryboardHeader | None = None, *,
              page_size: str = "A4", columns: int = 3, rows_per_page: int = 2, compress: bool = True) -> Path:
    """A printable PDF: a grid of panels per landscape page."""
    _check_rows(rows)
    if page_size.upper() not in PAGE_SIZES:
        raise InvalidArgument.for_field("page_size", f"{page_size!r} is not A4 or LETTER", "INVALID_PAGE_SIZE")
    if not (1 <= columns <= 6 and 1 <= rows_per_page <= 6):
        raise InvalidArgument.for_field("columns", "the grid must be 1..6 by 1..6", "INVALID_GRID")
    header = header or StoryboardHeader()
    layout = _Layout(PAGE_SIZES[page_size.upper()], columns, rows_per_page)
    document = pdf_canvas.Canvas(str(path), pagesize=layout.page, invariant=1, pageCompression=1 if compress else 0)
    document.setTitle(_latin(header.title))
    document.setSubject(_latin(header.shot_plan_revision))
    per_page = columns * rows_per_page
    pages = (len(rows) + per_page - 1) // per_page
    for page in range(pages):
        _draw_page_header(document, layout, header, page + 1, pages, len(rows))
        for slot, index in enumerate(range(page * per_page, min(len(rows), (page + 1) * per_page))):
            _draw_panel(document, layout.cell(slot), index + 1, rows[index], header.aspect_ratio)
        document.showPage()
    document.save()
    return path


@dataclass(frozen=True)
class _Layout:
    page: tuple[float, float]
    columns: int
    rows: int
    margin: float = 28.0
    header: float = 26.0
    gap: float = 12.0

    def cell(self, slot: int) -> tuple[float, float, float, float]:
        """(x, y of the top-left corner, width, height) in PDF points."""
        width, height = self.page
        cell_w = (width - 2 * self.margin - (self.columns - 1) * self.gap) / self.columns
        cell_h = (height - 2 * self.margin - self.header - (self.rows - 1) * self.gap) / self.rows
        column, row = slot % self.columns, slot // self.columns
        x = self.margin + column * (cell_w + self.gap)
        top = height - self.margin - self.header - row * (cell_h + self.gap)
        return x, top, cell_w, cell_h


def _draw_page_header(document: pdf_canvas.Canvas, layout: _Layout, header: StoryboardHeader, page: int, pages: int,
                      shots: int) -> None:
    width, height = layout.page
    top = height - layout.margin
    document.setFillColorRGB(0, 0, 0)
    document.setFont("Helvetica-Bold", 13)
    document.drawString(layout.margin, top - 13, _fit(_latin(header.title), "Helvetica-Bold", 13, width * 0.5))
    document.setFont("Helvetica", 8)
    right = f"{shots} shots  |  page {page} of {pages}"
    document.drawRightString(width - layout.margin, top - 11, right)
    if header.shot_plan_revision:
        document.setFillColorRGB(0.4, 0.4, 0.4)
        document.drawRightString(width - layout.margin, top - 20,
                                 _fit(_latin(header.shot_plan_revision), "Helvetica", 8, width * 0.45))
    document.setStrokeColorRGB(0.6, 0.6, 0.6)
    document.line(layout.margin, top - layout.header + 1, width - layout.margin, top - layout.header + 1)


def _draw_panel(document: pdf_canvas.Canvas, cell: tuple[float, float, float, float], number: int, row: StoryboardRow,
                aspect_ratio: str) -> None:
    x, top, width, height = cell
    image_h = min(height * 0.58, width / _ratio(aspect_ratio))
    _draw_frame(document, row, x, top - image_h, width, image_h)
    y = top - image_h - 11
    bottom = top - height
    document.setFillColorRGB(0, 0, 0)
    document.setFont("Helvetica-Bold", 9)
    title = "  ".join(part for part in (f"#{number}", row.shot_id, row.scene_id, row.location) if part)
    document.drawString(x, y, _fit(_latin(title), "Helvetica-Bold", 9, width - 40))
    document.setFont("Helvetica", 8)
    document.drawRightString(x + width, y, f"{row.duration_seconds:.1f} s")
    y -= 10
    camera = " | ".join(part for part in (_words(row.shot_size), _words(row.camera_angle), _words(row.camera_movement),
                                            f"{row.lens_mm:g} mm" if row.lens_mm else "") if part)
    y = _paragraph(document, camera, x, y, width, bottom, "Helvetica", 7.5, 1, (0.15, 0.15, 0.15))
    y = _paragraph(document, row.description, x, y - 1, width, bottom, "Helvetica", 8, 4, (0, 0, 0))
    dialogue = row.dialogue and (f"{row.speaker}: \u201c{row.dialogue}\u201d" if row.speaker else f"\u201c{row.dialogue}\u201d")
    y = _paragraph(document, dialogue, x, y - 1, width, bottom, "Helvetica-Oblique", 8, 3, (0.1, 0.1, 0.35))
    notes = row.continuity_notes and f"Continuity: {row.continuity_notes}"
    y = _paragraph(document, notes, x, y - 1, width, bottom, "Helvetica", 7, 3, (0.35, 0.35, 0.35))
    if row.image_revision and y - 7 >= bottom:
        document.setFont("Helvetica", 6)
        document.setFillColorRGB(0.5, 0.5, 0.5)
        document.drawString(x, bottom + 1, _fit(_latin(row.image_revision), "Helvetica", 6, width))


def _draw_frame(document: pdf_canvas.Canvas, row: StoryboardRow, x: float, y: float, width: float, height: float) -> None:
    """The shot's frame fitted into the box, or a placeholder box."""
    image = _panel_image(row)
    document.setStrokeColorRGB(0.2, 0.2, 0.2)
    if image is None:
        document.setFillColorRGB(0.92, 0.92, 0.92)
        document.rect(x, y, width, height, stroke=1, fill=1)
        document.setFillColorRGB(0.45, 0.45, 0.45)
        document.setFont("Helvetica", 8)
        document.drawCentredString(x + width / 2, y + height / 2, "no frame yet")
        return
    reader, (image_w, image_h) = image
    scale = min(width / image_w, height / image_h)
    draw_w, draw_h = image_w * scale, image_h * scale
    document.setFillColorRGB(0, 0, 0)
    document.rect(x, y, width, height, stroke=0, fill=1)
    document.drawImage(reader, x + (width - draw_w) / 2, y + (height - draw_h) / 2, draw_w, draw_h)
    document.rect(x, y, width, height, stroke=1, fill=0)


def _panel_image(row: StoryboardRow) -> tuple[ImageReader, tuple[int, int]] | None:
    """The frame shrunk to print resolution and JPEG-compressed, so a PDF of
    hundreds of shots stays small; None when missing or unreadable."""
    if row.image_path is None:
        return None
    try:
        with Image.open(row.image_path) as image:
            image.draft("RGB", (PANEL_IMAGE_MAX_PIXELS, PANEL_IMAGE_MAX_PIXELS))
            picture = image.convert("RGB")
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError) as error:
        _LOGGER.warning("storyboard frame of shot %s is unreadable: %s", row.shot_id, error)
        return None
    picture.thumbnail((PANEL_IMAGE_MAX_PIXELS, PANEL_IMAGE_MAX_PIXELS), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=85)
    buffer.seek(0)
    return ImageReader(buffer), picture.size


def _paragraph(document: pdf_canvas.Canvas, text: str, x: float, y: float, width: float, bottom: float, font: str,
               size: float, max_lines: int, colour: tuple[float, float, float]) -> float:
    """Draws ``text`` wrapped to ``width`` from baseline ``y`` down, at most
    ``max_lines`` lines and never below ``bottom``; returns the next baseline."""
    if not text:
        return y
    leading = size * 1.22
    room = int((y - bottom - 8) // leading) + 1
    lines = simpleSplit(_latin(" ".join(text.split())), font, size, width)
    limit = max(0, min(max_lines, room))
    if not limit:
        return y
    if len(lines) > limit:
        lines = lines[:limit]
        lines[-1] = _fit(lines[-1] + "\u2026", font, size, width, ellipsis=True)
    document.setFont(font, size)
    document.setFillColorRGB(*colour)
    for line in lines:
        document.drawString(x, y, line)
        y -= leading
    return y


def _fit(text: str, font: str, size: float, width: float, *, ellipsis: bool = False) -> str:
    """``text`` cut (with an ellipsis) to fit ``width``."""
    if stringWidth(text, font, size) <= width:
        return text
    body = text.rstrip("\u2026") if ellipsis else text
    while body and stringWidth(body + "\u2026", font, size) > width:
        body = body[:-1]
    return body.rstrip() + "\u2026"


def _latin(text: str) -> str:
    """The standard PDF fonts cover Windows-1252 only; other characters
    print as ``?`` instead of as missing glyphs."""
    return (text or "").encode("cp1252", "replace").decode("cp1252")


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize() if value else ""


def _ratio(aspect_ratio: str) -> float:
    try:
        width, height = (float(part) for part in aspect_ratio.split(":"))
        return max(0.25, min(4.0, width / height))
    except (ValueError, ZeroDivisionError):
        return 16 / 9
