"""What generations cost, from the price table in ``config/prices.yaml``.

Before a job starts the runner asks for an *estimate* (checked against the
project's budget); after each output is checked it records the *actual*
cost. With the default failover order a job may land on any of several
backends, so estimates over candidates take the most expensive one.

Images are priced per image; video per second of output, with a separate
rate when audio is generated. The actual duration comes from the checked
file and is billed in whole seconds (a clip within 0.1 s of a whole second
counts as that second, so 8.02 s is 8 s and 4.3 s is 5 s). Amounts are
rounded to micro-dollars.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Literal, Mapping, Sequence

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.media.backends.base import ImageRequest, RenderOutput, VideoRequest
from services.media.config import PRICES_PATH
from services.media.output_checks import CheckedOutput
from services.runtime.errors import FailedPrecondition, InvalidArgument

BILLING_SLACK_SECONDS = 0.1


class ModelPrice(BaseModel):
    """Prices of one model."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    per_image_usd: float = Field(0.0, ge=0)
    per_video_second_usd: float = Field(0.0, ge=0)
    per_video_second_with_audio_usd: float | None = Field(None, ge=0)

    def video_rate(self, generate_audio: bool) -> float:
        if generate_audio and self.per_video_second_with_audio_usd is not None:
            return self.per_video_second_with_audio_usd
        return self.per_video_second_usd


class BackendPrices(BaseModel):
    """Prices of one backend: per model, and a default for unknown models."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    default: ModelPrice | None = None
    models: dict[str, ModelPrice] = {}


class _PriceFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    currency: Literal["USD"]
    backends: dict[str, BackendPrices]


Candidate = tuple[str, str]
"""(backend, model) that may make an output."""


class PriceTable:
    """Looks prices up and computes estimates and actual costs in USD."""

    def __init__(self, backends: Mapping[str, BackendPrices]) -> None:
        self._backends = dict(backends)

    @classmethod
    def from_yaml(cls, path: Path | None = None) -> "PriceTable":
        """Loads the table (the shipped ``prices.yaml`` when ``path`` is None)."""
        source = path or PRICES_PATH
        try:
            data = _PriceFile.model_validate(yaml.safe_load(source.read_text(encoding="utf-8")) or {})
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise FailedPrecondition(f"price table {source.name} is invalid: {error}", reason="INVALID_PRICE_TABLE",
                                     metadata={"file": str(source)}) from error
        return cls(data.backends)

    @property
    def backends(self) -> list[str]:
        return sorted(self._backends)

    def price(self, backend: str, model: str) -> ModelPrice:
        """The model's prices, else its backend's default; FAILED_PRECONDITION
        (``PRICE_UNKNOWN``) when neither exists, so nothing unpriced runs."""
        prices = self._backends.get(backend)
        found = None if prices is None else prices.models.get(model, prices.default)
        if found is None:
            raise FailedPrecondition(f"no price for model {model!r} on backend {backend!r}", reason="PRICE_UNKNOWN",
                                     metadata={"backend": backend, "model": model})
        return found

    def image_cost(self, backend: str, model: str, count: int = 1) -> float:
        if count < 0:
            raise InvalidArgument.for_field("count", "must not be negative")
        return _usd(self.price(backend, model).per_image_usd * count)

    def video_cost(self, backend: str, model: str, seconds: float, generate_audio: bool) -> float:
        return _usd(self.price(backend, model).video_rate(generate_audio) * billed_seconds(seconds))

    def estimate_images(self, candidates: Sequence[Candidate], count: int = 1) -> float:
        """The most ``count`` images can cost on any of ``candidates``."""
        return max((self.image_cost(backend, model, count) for backend, model in _non_empty(candidates)), default=0.0)

    def estimate_video(self, candidates: Sequence[Candidate], seconds: float, generate_audio: bool) -> float:
        """The most a clip of ``seconds`` can cost on any of ``candidates``."""
        return max((self.video_cost(backend, model, seconds, generate_audio)
                    for backend, model in _non_empty(candidates)), default=0.0)

    def estimate_request(self, request: ImageRequest | VideoRequest, candidates: Sequence[Candidate]) -> float:
        """The estimate for one backend request."""
        if isinstance(request, VideoRequest):
            return self.estimate_video(candidates, request.duration_seconds, request.generate_audio)
        return self.estimate_images(candidates, 1)

    def actual(self, output: RenderOutput, checked: CheckedOutput, *, generate_audio: bool = False) -> float:
        """What a checked output cost on the backend and model that made it."""
        if checked.media_type.startswith("video/"):
            if checked.duration_seconds is None:
                raise InvalidArgument.for_field("checked.duration_seconds", "a checked video has a duration")
            return self.video_cost(output.backend, output.model, checked.duration_seconds, generate_audio)
        return self.image_cost(output.backend, output.model, 1)


def billed_seconds(seconds: float) -> int:
    """Whole seconds billed for a clip of ``seconds`` (at least one)."""
    if seconds <= 0:
        raise InvalidArgument.for_field("seconds", "a video has a positive duration")
    return max(1, math.ceil(seconds - BILLING_SLACK_SECONDS))


def _non_empty(candidates: Sequence[Candidate]) -> Sequence[Candidate]:
    if not candidates:
        raise InvalidArgument.for_field("candidates", "at least one backend is needed for an estimate")
    return candidates


def _usd(amount: float) -> float:
    return round(amount, 6)
