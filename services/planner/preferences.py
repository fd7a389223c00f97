"""Plan preferences (``previs.planner.v1.PlanPreferences``) and the project
bible they make."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from services.planner.plan import LookParameters, ProjectBible
from services.planner.vocabulary import Pacing, VisualRealism, check_aspect_ratio


class PlanPreferences(BaseModel):
    model_config = ConfigDict(extra="forbid")

    style: str = Field("", max_length=500)
    visual_realism: VisualRealism = VisualRealism.UNSPECIFIED
    pacing: Pacing = Pacing.UNSPECIFIED
    target_duration_s: float = Field(0.0, ge=0, le=6 * 3600)
    aspect_ratio: str = ""


def bible_from(
    preferences: PlanPreferences,
    *,
    default_style: str = "cinematic",
    default_realism: VisualRealism = VisualRealism.HIGH,
    default_pacing: Pacing = Pacing.MEDIUM,
    default_duration_s: float = 0.0,
    default_aspect_ratio: str = "16:9",
    genre: str = "",
    logline: str = "",
    look: LookParameters | None = None,
    negative_elements: list[str] | None = None,
    color_palette: list[str] | None = None,
) -> ProjectBible:
    """The bible: each preference, or the brief's default where unset."""
    aspect = check_aspect_ratio(preferences.aspect_ratio or default_aspect_ratio, "preferences.aspect_ratio")
    return ProjectBible(
        style=preferences.style.strip() or default_style,
        visual_realism=preferences.visual_realism if preferences.visual_realism is not VisualRealism.UNSPECIFIED else default_realism,
        pacing=preferences.pacing if preferences.pacing is not Pacing.UNSPECIFIED else default_pacing,
        target_duration_s=preferences.target_duration_s or default_duration_s,
        aspect_ratio=aspect,
        genre=genre,
        logline=logline,
        look=look or LookParameters(),
        negative_elements=list(negative_elements or []),
        color_palette=list(color_palette or []),
    )
