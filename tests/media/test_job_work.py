"""A job item's work survives the jobs database: JSON and back, nested
dataclasses, paths and tuples included."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.media.backends.base import ImageRequest, PanelLook, PanelSpec, VideoRequest
from services.media.job_work import TaskWork, decode_work, encode_work

EDITED = PanelSpec(shot_id="S004", characters=("Agnes", "Tom"), interior=True,
                   look=PanelLook(lighting=-20, contrast=10, temperature_kelvin=-800, fov_degrees=-10.0))


@pytest.mark.parametrize("work", [
    ImageRequest(prompt="a lantern", seed=7, panel=EDITED, reference_images=(Path("/tmp/a.png"), Path("/tmp/b.png"))),
    ImageRequest(prompt="no panel"),
    VideoRequest(prompt="a clip", duration_seconds=4, reference_image=Path("/tmp/ref.png"), panel=EDITED),
    TaskWork(task="animatic", params={"fps": "24"}),
], ids=["image-with-edited-panel", "image", "video", "task"])
def test_work_round_trips(work):
    decoded = decode_work(encode_work(work))
    assert decoded == work
    if getattr(work, "panel", None) is not None:
        assert isinstance(decoded.panel.look, PanelLook)
