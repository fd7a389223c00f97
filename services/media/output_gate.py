"""The engine's output check: nothing is stored that does not decode, is not
the media type asked for, or has the wrong aspect ratio (or, for clips and
animatics, the wrong length). Images and videos go through
``output_checks``; task outputs (animatics, storyboard exports) through the
checker of their task.

The checked output carries the sniffed media type and what was measured
(``width``, ``height``, ``duration_seconds``, ``frames``) in ``extra``, which
pricing and the revision labels use.
"""

from __future__ import annotations

import asyncio
import csv
import json
from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping

from services.media.backends.base import BackendError, FailureReason, ImageRequest, RenderOutput, VideoRequest
from services.media.job_work import ItemWork, TaskWork
from services.media.output_checks import CheckedOutput, OutputLimits, check_output, check_video, media_type_for_format
from services.media.output_store import output_files

TaskChecker = Callable[[TaskWork, RenderOutput, OutputLimits], RenderOutput]

EXPECTED_DURATION = "expected_duration_seconds"
ASPECT_RATIO = "aspect_ratio"


def with_facts(output: RenderOutput, checked: CheckedOutput) -> RenderOutput:
    """``output`` with the sniffed media type and the measured facts."""
    extra = dict(output.extra)
    extra.update({"width": str(checked.width), "height": str(checked.height)})
    if checked.duration_seconds is not None:
        extra["duration_seconds"] = f"{checked.duration_seconds:.3f}"
    if checked.frames is not None:
        extra["frames"] = str(checked.frames)
    return replace(output, media_type=checked.media_type, extra=extra)


def check_animatic(work: TaskWork, output: RenderOutput, limits: OutputLimits) -> RenderOutput:
    """An H.264 MP4 of the planned length and aspect ratio."""
    expected = output.extra.get(EXPECTED_DURATION)
    checked = check_video(output.path, aspect_ratio=output.extra.get(ASPECT_RATIO) or None,
                          expected_duration_seconds=float(expected) if expected else None, limits=limits)
    return with_facts(output, checked)


def check_export(work: TaskWork, output: RenderOutput, limits: OutputLimits) -> RenderOutput:
    """Each export file parses as what it claims to be."""
    for _role, path, media_type in output_files(output, "export"):
        _check_document(path, media_type, limits)
    return output


def _check_document(path: Path, media_type: str, limits: OutputLimits) -> None:
    try:
        size = path.stat().st_size
        if size == 0 or size > limits.max_file_bytes:
            raise _invalid(f"{path.name} has {size} bytes")
        if media_type == "application/pdf":
            with path.open("rb") as handle:
                head = handle.read(5)
                handle.seek(max(0, size - 1024))
                tail = handle.read()
            if head != b"%PDF-" or b"%%EOF" not in tail:
                raise _invalid(f"{path.name} is not a complete PDF")
        elif media_type == "application/json":
            json.loads(path.read_text(encoding="utf-8"))
        elif media_type == "text/csv":
            with path.open(newline="", encoding="utf-8") as handle:
                rows = list(csv.reader(handle))
            if len(rows) < 2 or any(len(row) != len(rows[0]) for row in rows):
                raise _invalid(f"{path.name} is not a CSV table with a header and rows")
        else:
            raise _invalid(f"{path.name}: unexpected media type {media_type}")
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        if isinstance(error, BackendError):
            raise
        raise _invalid(f"{path.name} does not parse: {error}") from error


def _invalid(message: str) -> BackendError:
    return BackendError(FailureReason.INVALID_OUTPUT, message)


class OutputGate:
    """``check_output`` hook of the engine."""

    def __init__(self, limits: OutputLimits, task_checkers: Mapping[str, TaskChecker]) -> None:
        self._limits = limits
        self._task_checkers = dict(task_checkers)

    async def __call__(self, work: ItemWork, output: RenderOutput) -> RenderOutput:
        return await asyncio.to_thread(self.check, work, output)

    def check(self, work: ItemWork, output: RenderOutput) -> RenderOutput:
        if isinstance(work, ImageRequest):
            checked = check_output(output, kind="image", aspect_ratio=work.aspect_ratio,
                                   expected_media_type=media_type_for_format(work.output_format), limits=self._limits)
            return with_facts(output, checked)
        if isinstance(work, VideoRequest):
            checked = check_output(output, kind="video", aspect_ratio=work.aspect_ratio,
                                   expected_duration_seconds=float(work.duration_seconds), limits=self._limits)
            return with_facts(output, checked)
        checker = self._task_checkers.get(work.task)
        if checker is None:
            raise _invalid(f"no output check for task {work.task!r}")
        return checker(work, output, self._limits)
