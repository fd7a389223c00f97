"""The engine's cost model over the price table: the most an item can cost
on the backends that may make it, and what a made output did cost on the
backend and model that made it. Local tasks (animatics, exports) are free."""

from __future__ import annotations

from typing import Sequence

from services.media.backends.base import ImageRequest, RenderOutput, VideoRequest
from services.media.config.defaults import MediaDefaults
from services.media.job_work import ItemWork
from services.media.pricing import PriceTable
from services.runtime.errors import FailedPrecondition


class PriceCosts:
    """``CostModel`` of the engine."""

    def __init__(self, prices: PriceTable, defaults: MediaDefaults) -> None:
        self._prices = prices
        self._defaults = defaults

    def _candidates(self, work: ItemWork, backends: Sequence[str]) -> list[tuple[str, str]]:
        kind = "video" if isinstance(work, VideoRequest) else "image"
        return [(backend, work.model or self._defaults.model_for(backend, kind)) for backend in backends]

    def estimate_usd(self, work: ItemWork, backends: Sequence[str]) -> float:
        if not isinstance(work, (ImageRequest, VideoRequest)) or not backends:
            return 0.0
        return self._prices.estimate_request(work, self._candidates(work, backends))

    def actual_usd(self, work: ItemWork, output: RenderOutput) -> float:
        if isinstance(work, ImageRequest):
            return self._prices.image_cost(output.backend, output.model, 1)
        if isinstance(work, VideoRequest):
            seconds = output.extra.get("duration_seconds")
            if not seconds:
                raise FailedPrecondition("a checked clip has a duration", reason="DURATION_UNKNOWN")
            return self._prices.video_cost(output.backend, output.model, float(seconds), work.generate_audio)
        return 0.0
