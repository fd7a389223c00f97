"""Price table, cost estimates and actual costs; the shipped YAML defaults."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.media.backends.base import ImageRequest, RenderOutput, VideoRequest
from services.media.backends.local import BACKEND_NAME, IMAGE_MODEL, VIDEO_MODEL
from services.media.config.defaults import load_media_defaults
from services.media.output_checks import CheckedOutput, OutputLimits
from services.media.pricing import PriceTable, billed_seconds
from services.runtime.errors import FailedPrecondition

TABLE = PriceTable.from_yaml()
DEFAULTS = load_media_defaults()


def _checked(media_type: str, seconds: float | None = None) -> CheckedOutput:
    return CheckedOutput(path=Path("x"), media_type=media_type, width=1280, height=720, size_bytes=1,
                         duration_seconds=seconds)


def test_the_local_renderer_is_free():
    assert TABLE.image_cost(BACKEND_NAME, IMAGE_MODEL, 500) == 0.0
    assert TABLE.video_cost(BACKEND_NAME, VIDEO_MODEL, 8, generate_audio=True) == 0.0


def test_list_prices_per_image_and_per_video_second():
    assert TABLE.image_cost("replicate", "google/imagen-4", 12) == pytest.approx(0.48)
    assert TABLE.video_cost("replicate", "google/veo-3.1", 8, generate_audio=True) == pytest.approx(3.20)
    assert TABLE.video_cost("replicate", "google/veo-3.1", 8, generate_audio=False) == pytest.approx(1.60)
    assert TABLE.video_cost("gemini", "veo-3.1-fast-generate-preview", 4, generate_audio=False) == pytest.approx(0.60)


def test_unknown_models_use_the_backend_default_and_unknown_backends_refuse():
    assert TABLE.image_cost("replicate", "google/imagen-9", 1) == pytest.approx(0.06)
    with pytest.raises(FailedPrecondition) as caught:
        TABLE.price("midjourney", "v7")
    assert caught.value.reason == "PRICE_UNKNOWN"


def test_estimates_take_the_most_expensive_candidate():
    order = [("replicate", "google/imagen-4"), ("gemini", "gemini-2.5-flash-image"), ("local", IMAGE_MODEL)]
    assert TABLE.estimate_images(order, 10) == pytest.approx(0.40)
    assert TABLE.estimate_images([("local", IMAGE_MODEL)], 10) == 0.0
    video = VideoRequest(prompt="p", duration_seconds=6, generate_audio=True)
    assert TABLE.estimate_request(video, [("replicate", "google/veo-3.1-fast"), ("gemini", "veo-3.1-generate-preview")]) \
        == pytest.approx(2.40)
    assert TABLE.estimate_request(ImageRequest(prompt="p"), [("replicate", "google/imagen-4")]) == pytest.approx(0.04)


def test_actual_cost_comes_from_the_checked_output():
    clip = RenderOutput(path=Path("c.mp4"), media_type="video/mp4", backend="replicate", model="google/veo-3.1")
    assert TABLE.actual(clip, _checked("video/mp4", 8.02), generate_audio=True) == pytest.approx(3.20)
    assert TABLE.actual(clip, _checked("video/mp4", 4.3), generate_audio=False) == pytest.approx(1.00)
    frame = RenderOutput(path=Path("f.png"), media_type="image/png", backend="gemini", model="imagen-4.0-generate-001")
    assert TABLE.actual(frame, _checked("image/png")) == pytest.approx(0.04)


@pytest.mark.parametrize(("seconds", "billed"), [(8.0, 8), (8.05, 8), (8.2, 9), (0.3, 1), (3.99, 4)])
def test_billed_seconds(seconds, billed):
    assert billed_seconds(seconds) == billed


def test_a_broken_price_table_fails_loudly(tmp_path):
    bad = tmp_path / "prices.yaml"
    bad.write_text("currency: USD\nbackends:\n  local:\n    default: {per_image_usd: -1}\n")
    with pytest.raises(FailedPrecondition) as caught:
        PriceTable.from_yaml(bad)
    assert caught.value.reason == "INVALID_PRICE_TABLE"


def test_every_configured_model_has_a_price():
    for backend, models in DEFAULTS.models.items():
        for model in (models.image, models.video):
            assert backend in TABLE.backends
            assert model in TABLE._backends[backend].models or backend == "local", (backend, model)
    assert DEFAULTS.model_for("replicate", "image") == "google/imagen-4"
    assert DEFAULTS.model_for("replicate", "video") == "google/veo-3.1"
    assert DEFAULTS.model_for("local", "video") == VIDEO_MODEL


def test_shipped_defaults_match_the_seed_parameters():
    reference = DEFAULTS.character_reference
    assert (reference.aspect_ratio, reference.safety_filter_level, reference.person_generation,
            reference.output_format) == ("1:1", "block_medium_and_above", "allow_adult", "png")
    assert "{character_description}" in reference.prompt_template
    video = DEFAULTS.video
    assert (video.aspect_ratio, video.duration_seconds, video.generate_audio, video.person_generation) == \
        ("16:9", 8, True, "allow_all")
    assert DEFAULTS.animatic.fps == 24 and DEFAULTS.animatic.captions
    assert OutputLimits(**DEFAULTS.output_checks.model_dump()).aspect_ratio_tolerance == 0.08


def test_bad_defaults_fail_at_load(tmp_path):
    bad = tmp_path / "defaults.yaml"
    bad.write_text("video:\n  duration_seconds: 900\n")
    with pytest.raises(FailedPrecondition) as caught:
        load_media_defaults(bad)
    assert caught.value.reason == "INVALID_MEDIA_DEFAULTS"
    typo = tmp_path / "typo.yaml"
    typo.write_text("vidoe: {}\n")
    with pytest.raises(FailedPrecondition):
        load_media_defaults(typo)
    with pytest.raises(FailedPrecondition) as caught:
        DEFAULTS.model_for("midjourney", "image")
    assert caught.value.reason == "MODEL_NOT_CONFIGURED"
