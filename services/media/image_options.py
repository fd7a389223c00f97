"""Image parameters of a request (``ImageOptions``) resolved against the
configured defaults, validated with the field path of the request."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from previs.media.v1 import media_pb2
from services.media.backends.base import ImageRequest, PanelSpec
from services.media.config.defaults import ImageDefaults
from services.runtime.errors import InvalidArgument

ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "2.39:1")
MAX_NEGATIVE_PROMPT_CHARS = 2000
MAX_PROMPT_CHARS = 4000
SEED_LABEL = "seed"

_SAFETY = {
    media_pb2.SAFETY_FILTER_LEVEL_BLOCK_LOW_AND_ABOVE: "block_low_and_above",
    media_pb2.SAFETY_FILTER_LEVEL_BLOCK_MEDIUM_AND_ABOVE: "block_medium_and_above",
    media_pb2.SAFETY_FILTER_LEVEL_BLOCK_ONLY_HIGH: "block_only_high",
}
_PEOPLE = {
    media_pb2.PERSON_GENERATION_DONT_ALLOW: "dont_allow",
    media_pb2.PERSON_GENERATION_ALLOW_ADULT: "allow_adult",
    media_pb2.PERSON_GENERATION_ALLOW_ALL: "allow_all",
}
_FORMATS = {media_pb2.IMAGE_FORMAT_PNG: "png", media_pb2.IMAGE_FORMAT_JPEG: "jpeg"}


@dataclass(frozen=True)
class ImageParameters:
    """Resolved image parameters; ``aspect_ratio`` empty means "the
    caller's default" (the shot plan's, for frames)."""

    aspect_ratio: str
    safety_filter_level: str
    person_generation: str
    output_format: str
    negative_prompt: str
    seed: int | None

    def request(self, prompt: str, negative: str = "", *, aspect_ratio: str = "", seed: int | None = None,
                panel: PanelSpec | None = None, reference_images=()) -> ImageRequest:
        """An :class:`ImageRequest` with these parameters; the planner's
        negative prompt and the request's are joined."""
        negatives = [text for text in (negative.strip(), self.negative_prompt.strip()) if text]
        return ImageRequest(
            prompt=prompt[:MAX_PROMPT_CHARS],
            negative_prompt=", ".join(negatives)[:MAX_PROMPT_CHARS],
            aspect_ratio=self.aspect_ratio or aspect_ratio or "16:9",
            seed=self.seed if seed is None else seed,
            output_format=self.output_format,
            safety_filter_level=self.safety_filter_level,
            person_generation=self.person_generation,
            reference_images=tuple(reference_images),
            panel=panel,
        )


def checked_aspect_ratio(value: str, field: str) -> str:
    """``value`` when it is one of the shared aspect ratios (or empty)."""
    text = (value or "").strip()
    if text and text not in ASPECT_RATIOS:
        raise InvalidArgument.for_field(field, f"{value[:20]!r} is not one of {', '.join(ASPECT_RATIOS)}",
                                        "INVALID_ASPECT_RATIO")
    return text


def resolve_image_options(options: media_pb2.ImageOptions, defaults: ImageDefaults, field: str,
                          *, default_aspect_ratio: bool = True) -> ImageParameters:
    """The request's options over ``defaults``. With ``default_aspect_ratio``
    false an unset aspect ratio stays empty (frames take the shot plan's)."""
    aspect = checked_aspect_ratio(options.aspect_ratio, f"{field}.aspect_ratio")
    if len(options.negative_prompt) > MAX_NEGATIVE_PROMPT_CHARS:
        raise InvalidArgument.for_field(f"{field}.negative_prompt", f"at most {MAX_NEGATIVE_PROMPT_CHARS} characters")
    return ImageParameters(
        aspect_ratio=aspect or (defaults.aspect_ratio if default_aspect_ratio else ""),
        safety_filter_level=_enum(_SAFETY, options.safety_filter_level, defaults.safety_filter_level,
                                  f"{field}.safety_filter_level"),
        person_generation=_enum(_PEOPLE, options.person_generation, defaults.person_generation,
                                f"{field}.person_generation"),
        output_format=_enum(_FORMATS, options.output_format, defaults.output_format, f"{field}.output_format"),
        negative_prompt=options.negative_prompt or defaults.negative_prompt,
        seed=options.seed if options.HasField("seed") else None,
    )


def keep_source(parameters: ImageParameters, options: media_pb2.ImageOptions,
                source_labels: dict[str, str]) -> ImageParameters:
    """For edits and regenerations: unset options keep the source image's
    (its aspect ratio and format from the revision labels)."""
    aspect = parameters.aspect_ratio if options.aspect_ratio else source_labels.get("aspect_ratio", parameters.aspect_ratio)
    fmt = parameters.output_format if options.output_format else source_labels.get("output_format", parameters.output_format)
    return replace(parameters, aspect_ratio=aspect, output_format=fmt)


def fresh_seed(avoid: str = "", rng: random.Random | None = None) -> int:
    """A new 31-bit seed different from ``avoid`` (a seed label)."""
    chooser = rng or random.SystemRandom()
    while True:
        seed = chooser.randrange(1, 2**31)
        if str(seed) != avoid:
            return seed


def _enum(table: dict[int, str], value: int, default: str, field: str) -> str:
    if value == 0:
        return default
    found = table.get(value)
    if found is None:
        raise InvalidArgument.for_field(field, f"{value} is not a known value")
    return found
