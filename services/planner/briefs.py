"""Offline plans for the three non-screenplay briefs, from templates.

* Music video (``001`` seed): one lead character from the description,
  scenes along the configured arc (performance and story locations), each
  with a description, a negative description and a camera angle.
* Product ad (``002`` seed): the style's four-scene template (luxury,
  energetic, minimal, bold) with a hook, a voice-over per scene and the
  call to action; the last scene is a packshot; the product is a prop whose
  picture is the brief's blob.
* Scene description (``003`` seed): one scene, ``frame_count`` planned
  shots, look parameters from the genre preset overlaid with the brief's.

Defaults and templates come from ``config/briefs.yaml``.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from services.planner.plan import AdCopy, Character, LookParameters, Location, Plan, Prop, Scene, SceneWardrobe, character_id, location_id, prop_id, scene_id
from services.planner.preferences import PlanPreferences, bible_from
from services.planner.prose import clip
from services.planner.vocabulary import AdStyle, BriefKind, CameraAngle, Composition, Setting, TimeOfDay
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_blob, parse_revision

CONFIG_PATH = Path(__file__).resolve().parent / "config" / "briefs.yaml"
GENERATOR = "offline"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ScreenplayBrief(_Model):
    script_revision: str


class MusicVideoBrief(_Model):
    idea: str = Field("", max_length=2000)
    character_description: str = Field("", max_length=2000)
    character_characteristics: str = Field("", max_length=1000)
    number_of_scenes: int = Field(0, ge=0)
    video_type: str = Field("", max_length=500)
    video_characteristics: str = Field("", max_length=1000)
    camera_angle: CameraAngle = CameraAngle.UNSPECIFIED


class ProductAdBrief(_Model):
    product_name: str = Field("", max_length=200)
    style: AdStyle = AdStyle.UNSPECIFIED
    cta_text: str = Field("", max_length=200)
    product_image_blob: str = Field("", max_length=300)
    product_description: str = Field("", max_length=2000)


class SceneBrief(_Model):
    scene_description: str = Field("", max_length=4000)
    genre: str = Field("", max_length=100)
    frame_count: int = Field(0, ge=0)
    base_params: LookParameters = Field(default_factory=LookParameters)


class _LocationTemplate(_Model):
    name: str
    setting: Setting
    time_of_day: TimeOfDay
    description: str


class _ArcStep(_Model):
    location: int = Field(ge=0)
    template: str


class MusicVideoDefaults(_Model):
    character_characteristics: str
    number_of_scenes: int = Field(ge=1)
    video_type: str
    video_characteristics: str
    camera_angle: CameraAngle
    scene_duration_s: float = Field(gt=0)
    max_scenes: int = Field(ge=1)
    aspect_ratio: str
    negative_description: str
    locations: list[_LocationTemplate] = Field(min_length=1)
    arc: list[_ArcStep] = Field(min_length=1)


class _AdScene(_Model):
    duration_s: float = Field(gt=0)
    description: str
    voiceover: str
    camera_angle: CameraAngle


class _AdStyleTemplate(_Model):
    cta_text: str
    hook: str
    style: str
    color_palette: list[str]
    look: LookParameters
    negative: str
    scenes: list[_AdScene] = Field(min_length=2)


class ProductAdDefaults(_Model):
    total_duration_s: float = Field(gt=0)
    aspect_ratio: str
    styles: dict[AdStyle, _AdStyleTemplate]


class _GenrePreset(_Model):
    style: str
    color_palette: list[str]
    look: LookParameters


class SceneDefaults(_Model):
    frame_count: int = Field(ge=1)
    max_frame_count: int = Field(ge=1)
    seconds_per_frame: float = Field(gt=0)
    aspect_ratio: str
    base_params: LookParameters
    genres: dict[str, _GenrePreset]


class BriefDefaults(_Model):
    music_video: MusicVideoDefaults
    product_ad: ProductAdDefaults
    scene: SceneDefaults


@functools.lru_cache(maxsize=4)
def load_brief_defaults(path: Path = CONFIG_PATH) -> BriefDefaults:
    """The validated defaults file (read once per path)."""
    with open(path, encoding="utf-8") as handle:
        return BriefDefaults.model_validate(yaml.safe_load(handle))


def _required(value: str, field: str) -> str:
    if not value or not value.strip():
        raise InvalidArgument.for_field(field, "is required", "FIELD_REQUIRED")
    return " ".join(value.split())


_SENTENCE_START = re.compile(r"(^|[.!?]\s+)([a-z])")


def _fill(template: str, **values: str) -> str:
    text = " ".join(template.format(**values).split())
    return _SENTENCE_START.sub(lambda m: m.group(1) + m.group(2).upper(), text)


_WEARING = re.compile(r"\b(?:wearing|dressed in|in a|in an)\s+([^,.;]+)", re.IGNORECASE)


def plan_music_video(brief: MusicVideoBrief, preferences: PlanPreferences, defaults: BriefDefaults | None = None) -> Plan:
    config = (defaults or load_brief_defaults()).music_video
    idea = _required(brief.idea, "music_video.idea")
    look = _required(brief.character_description, "music_video.character_description")
    count = brief.number_of_scenes or config.number_of_scenes
    if count > config.max_scenes:
        raise InvalidArgument.for_field("music_video.number_of_scenes", f"must be at most {config.max_scenes}", "TOO_MANY_SCENES")
    traits = brief.character_characteristics.strip() or config.character_characteristics
    characteristics = brief.video_characteristics.strip() or config.video_characteristics
    video_type = brief.video_type.strip() or config.video_type
    angle = brief.camera_angle if brief.camera_angle is not CameraAngle.UNSPECIFIED else config.camera_angle
    worn = _WEARING.search(look)
    lead = Character(id=character_id(1), name="Lead", description=clip(f"{look}. {traits}", 2000), identity_lock=look,
                     wardrobe=clip(worn.group(1), 500) if worn else "")
    locations = [Location(id=location_id(n), name=t.name, setting=t.setting, time_of_day=t.time_of_day,
                          description=clip(_fill(t.description, idea=idea), 2000)) for n, t in enumerate(config.locations, start=1)]
    scenes = []
    for n in range(1, count + 1):
        step = config.arc[(n - 1) % len(config.arc)] if n < count or count == 1 else config.arc[-1]
        place = locations[min(step.location, len(locations) - 1)]
        text = _fill(step.template, character="the lead", characteristics=traits, idea=idea, video_type=video_type,
                     video_characteristics=characteristics)
        scenes.append(Scene(id=scene_id(n), number=n, heading=f"MUSIC VIDEO SCENE {n} - {place.name}", location_id=place.id,
                            time_of_day=place.time_of_day, character_ids=[lead.id], summary=clip(text, 240), description=text,
                            negative_description=config.negative_description, target_duration_s=config.scene_duration_s,
                            planned_shot_count=1, camera_angle=angle))
    lead.wardrobe_by_scene = [SceneWardrobe(scene_id=s.id, wardrobe=lead.wardrobe) for s in scenes] if lead.wardrobe else []
    bible = bible_from(preferences, default_style=clip(characteristics, 500), default_duration_s=count * config.scene_duration_s,
                       default_aspect_ratio=config.aspect_ratio, genre="music video", logline=idea,
                       look=LookParameters(camera_angle=angle), negative_elements=[])
    return Plan(title=clip(idea, 200), brief_kind=BriefKind.MUSIC_VIDEO, bible=bible, characters=[lead],
                locations=[loc for loc in locations if any(s.location_id == loc.id for s in scenes)], scenes=scenes, generator=GENERATOR)


def plan_product_ad(brief: ProductAdBrief, preferences: PlanPreferences, defaults: BriefDefaults | None = None) -> Plan:
    config = (defaults or load_brief_defaults()).product_ad
    product = _required(brief.product_name, "product_ad.product_name")
    if brief.style is AdStyle.UNSPECIFIED:
        raise InvalidArgument.for_field("product_ad.style", "is required (LUXURY, ENERGETIC, MINIMAL or BOLD)", "FIELD_REQUIRED")
    if brief.product_image_blob:
        parse_blob(brief.product_image_blob, "product_ad.product_image_blob")
    template = config.styles[brief.style]
    cta = brief.cta_text.strip() or template.cta_text
    details = clip(brief.product_description.strip(), 300)
    values = dict(product=product, cta=cta, details=details)
    studio = Location(id=location_id(1), name="PRODUCT STUDIO", setting=Setting.INTERIOR, time_of_day=TimeOfDay.UNSPECIFIED,
                      description=clip(f"Commercial set for {product}: {template.style}", 2000))
    item = Prop(id=prop_id(1), name=clip(product, 200), description=details or product, image_blob=brief.product_image_blob)
    scenes = []
    last = len(template.scenes)
    for n, step in enumerate(template.scenes, start=1):
        scenes.append(Scene(id=scene_id(n), number=n, heading=f"AD SCENE {n}{' - PACKSHOT' if n == last else ''}",
                            location_id=studio.id, prop_ids=[item.id], description=_fill(step.description, **values),
                            summary=clip(_fill(step.description, **values), 240), voiceover=_fill(step.voiceover, **values),
                            target_duration_s=step.duration_s, planned_shot_count=1, packshot=n == last, camera_angle=step.camera_angle,
                            negative_description=template.negative))
    item.scene_ids = [s.id for s in scenes]
    bible = bible_from(preferences, default_style=template.style, default_duration_s=sum(s.duration_s for s in template.scenes),
                       default_aspect_ratio=config.aspect_ratio, genre="commercial", logline=_fill(template.hook, **values),
                       look=template.look, color_palette=template.color_palette)
    copy = AdCopy(product_name=product, hook=_fill(template.hook, **values), cta_text=cta, style=brief.style,
                  product_image_blob=brief.product_image_blob)
    return Plan(title=f"{product} - {brief.style.value.lower()} ad", brief_kind=BriefKind.PRODUCT_AD, bible=bible, locations=[studio],
                props=[item], scenes=scenes, ad_copy=copy, generator=GENERATOR)


_NIGHT = re.compile(r"\b(?:night|midnight|moonlit|neon|after dark|nocturnal)\b", re.IGNORECASE)
_DAWN = re.compile(r"\b(?:dawn|sunrise|daybreak|first light)\b", re.IGNORECASE)
_DUSK = re.compile(r"\b(?:dusk|sunset|twilight|golden hour|magic hour)\b", re.IGNORECASE)
_INSIDE = re.compile(r"\b(?:room|office|hall|corridor|kitchen|bar|apartment|house|interior|inside|warehouse|cabin|lab|laboratory|church|station|train|car)\b", re.IGNORECASE)


def _time_of(description: str) -> TimeOfDay:
    if _NIGHT.search(description):
        return TimeOfDay.NIGHT
    if _DAWN.search(description):
        return TimeOfDay.DAWN
    if _DUSK.search(description):
        return TimeOfDay.DUSK
    return TimeOfDay.DAY


def _overlay(base: LookParameters, top: LookParameters) -> LookParameters:
    """``top``'s set values over ``base`` (0 / None / UNSPECIFIED are unset)."""
    merged = base.model_dump()
    for name, value in top.model_dump().items():
        if value not in (None, 0, 0.0, CameraAngle.UNSPECIFIED, Composition.UNSPECIFIED):
            merged[name] = value
    return LookParameters.model_validate(merged)


def plan_scene(brief: SceneBrief, preferences: PlanPreferences, defaults: BriefDefaults | None = None) -> Plan:
    config = (defaults or load_brief_defaults()).scene
    description = _required(brief.scene_description, "scene.scene_description")
    count = brief.frame_count or config.frame_count
    if count > config.max_frame_count:
        raise InvalidArgument.for_field("scene.frame_count", f"must be at most {config.max_frame_count}", "TOO_MANY_FRAMES")
    genre = brief.genre.strip().lower()
    preset = config.genres.get(genre)
    look = _overlay(config.base_params, preset.look) if preset else config.base_params
    look = _overlay(look, brief.base_params)
    time = _time_of(description)
    place = Location(id=location_id(1), name=clip(description.split(",")[0].split(" through ")[-1].strip(" .").upper(), 200) or "SCENE",
                     setting=Setting.INTERIOR if _INSIDE.search(description) else Setting.EXTERIOR, time_of_day=time,
                     description=description)
    duration = count * config.seconds_per_frame
    scene = Scene(id=scene_id(1), number=1, heading=f"{'INT.' if place.setting is Setting.INTERIOR else 'EXT.'} {place.name} - {time.value}",
                  location_id=place.id, time_of_day=time, summary=clip(description, 240), description=description,
                  target_duration_s=duration, planned_shot_count=count, camera_angle=look.camera_angle)
    bible = bible_from(preferences, default_style=preset.style if preset else (genre or "cinematic"), default_duration_s=duration,
                       default_aspect_ratio=config.aspect_ratio, genre=genre, logline=description, look=look,
                       color_palette=preset.color_palette if preset else [])
    return Plan(title=clip(description, 200), brief_kind=BriefKind.SCENE, bible=bible, locations=[place], scenes=[scene], generator=GENERATOR)


def check_screenplay_brief(brief: ScreenplayBrief) -> str:
    """The script revision name, validated."""
    parse_revision(brief.script_revision, "screenplay.script_revision")
    return brief.script_revision
