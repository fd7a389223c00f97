"""Typed request defaults from ``defaults.yaml`` (or another file named by
the operator). Unknown keys and out-of-range values fail at start-up, not
halfway through a job."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.media.config import DEFAULTS_PATH
from services.runtime.errors import FailedPrecondition

SafetyLevel = Literal["block_low_and_above", "block_medium_and_above", "block_only_high"]
PersonGeneration = Literal["dont_allow", "allow_adult", "allow_all"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ImageDefaults(_Strict):
    aspect_ratio: str = "16:9"
    safety_filter_level: SafetyLevel = "block_medium_and_above"
    person_generation: PersonGeneration = "allow_adult"
    output_format: Literal["png", "jpeg"] = "png"
    negative_prompt: str = ""


class CharacterReferenceDefaults(ImageDefaults):
    aspect_ratio: str = "1:1"
    prompt_template: str = "A full-body character reference image of {character_description}."


class VideoDefaults(_Strict):
    aspect_ratio: str = "16:9"
    duration_seconds: int = Field(8, ge=1, le=60)
    generate_audio: bool = True
    person_generation: PersonGeneration = "allow_all"
    resolution: Literal["480p", "720p", "1080p"] = "720p"


class BackendModels(_Strict):
    image: str
    video: str


class EncoderDefaults(_Strict):
    fps: int = Field(24, ge=1, le=60)
    x264_preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = "veryfast"
    crf: int = Field(23, ge=0, le=51)


class AnimaticDefaults(EncoderDefaults):
    resolution: Literal["480p", "720p", "1080p"] = "720p"
    captions: bool = True


class StoryboardDefaults(_Strict):
    formats: list[Literal["pdf", "csv", "json"]] = ["pdf", "csv", "json"]
    page_size: Literal["A4", "LETTER"] = "A4"
    columns: int = Field(3, ge=1, le=6)
    rows_per_page: int = Field(2, ge=1, le=6)


class OutputCheckDefaults(_Strict):
    aspect_ratio_tolerance: float = Field(0.08, gt=0, le=0.5)
    max_file_bytes: int = Field(512 * 1024 * 1024, gt=0)
    max_image_pixels: int = Field(40_000_000, gt=0)
    min_video_seconds: float = Field(0.5, ge=0)
    video_duration_tolerance_seconds: float = Field(1.0, ge=0)


class MediaDefaults(_Strict):
    character_reference: CharacterReferenceDefaults = CharacterReferenceDefaults()
    image: ImageDefaults = ImageDefaults()
    video: VideoDefaults = VideoDefaults()
    models: dict[str, BackendModels] = {}
    local_renderer: EncoderDefaults = EncoderDefaults()
    animatic: AnimaticDefaults = AnimaticDefaults(x264_preset="superfast")
    storyboard: StoryboardDefaults = StoryboardDefaults()
    output_checks: OutputCheckDefaults = OutputCheckDefaults()

    def model_for(self, backend: str, kind: Literal["image", "video"]) -> str:
        """The model ``backend`` uses for ``kind`` (FAILED_PRECONDITION when
        the configuration names none)."""
        models = self.models.get(backend)
        if models is None:
            raise FailedPrecondition(f"no models configured for backend {backend!r}", reason="MODEL_NOT_CONFIGURED",
                                     metadata={"backend": backend})
        return getattr(models, kind)


def load_media_defaults(path: Path | None = None) -> MediaDefaults:
    """Reads and validates the defaults (the shipped file when ``path`` is None)."""
    source = path or DEFAULTS_PATH
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8")) or {}
        return MediaDefaults.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as error:
        raise FailedPrecondition(f"media defaults {source.name} are invalid: {error}", reason="INVALID_MEDIA_DEFAULTS",
                                 metadata={"file": str(source)}) from error
