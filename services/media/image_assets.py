"""Where images and clips live in storage and how they are labelled.

One asset per thing drawn, one revision per take: a shot's frame is asset
``{shot plan asset}-{shot}`` (so frames of later revisions of the same shot
plan, edits and regenerations are revisions of it), a character reference
``{plan asset}-char-{character}``, a location ``{plan asset}-loc-{location}``,
the style frame ``{plan asset}-style-frame``; free images and clips not tied
to a plan get an asset per job. Labels on the asset (for queries) and on
each revision (for what was made) use the keys below.
"""

from __future__ import annotations

from typing import Mapping

from previs.storage.v1 import storage_pb2
from services.media.output_targets import OutputTarget, asset_id_for
from services.media.render_targets import RenderTarget, TargetKind
from services.runtime.resource_names import parse_revision

IMAGE_TYPE = "image_type"
VIDEO_TYPE = "video_type"
SHOT_ID = "shot_id"
SCENE_ID = "scene_id"
CHARACTER_ID = "character_id"
LOCATION_ID = "location_id"
SHOT_PLAN = "shot_plan"
PLAN = "plan"
SHOT_PLAN_REVISION = "shot_plan_revision"
PLAN_REVISION = "plan_revision"
ASPECT_RATIO = "aspect_ratio"
OUTPUT_FORMAT = "output_format"
SEED = "seed"
JOB = "job"
SOURCE_REVISION = "source_revision"
SHOT_CLIP = "SHOT_CLIP"
FREE = "free"
MAX_PARENTS = 100


def asset_of(revision_name: str) -> str:
    return parse_revision(revision_name).asset


def project_parents(project: str, *groups) -> tuple[str, ...]:
    """Distinct revision names of ``project`` from ``groups``, in order, at
    most storage's limit (other projects' names are dropped: lineage never
    crosses projects)."""
    found: dict[str, None] = {}
    for group in groups:
        for name in group:
            try:
                if parse_revision(name).project == project:
                    found.setdefault(name, None)
            except Exception:  # not a revision name: not lineage
                continue
    return tuple(found)[:MAX_PARENTS]


def plan_image_target(
    target: RenderTarget,
    *,
    shot_plan_revision: str,
    plan_revision: str,
    scene_id: str = "",
    parents: tuple[str, ...],
    extra_labels: Mapping[str, str],
    message: str,
    parent_items: tuple[str, ...] = (),
) -> OutputTarget:
    """Where a frames job stores the image of ``target``."""
    shot_plan_asset, plan_asset = asset_of(shot_plan_revision), asset_of(plan_revision)
    asset_labels = {IMAGE_TYPE: target.kind.value, PLAN: plan_asset}
    if target.kind is TargetKind.SHOT_FRAME:
        asset_id = asset_id_for(shot_plan_asset, target.id)
        asset_labels.update({SHOT_PLAN: shot_plan_asset, SHOT_ID: target.id, SCENE_ID: scene_id})
        display = f"Frame {target.id}"
    elif target.kind is TargetKind.CHARACTER_REFERENCE:
        asset_id = asset_id_for(plan_asset, "char", target.id)
        asset_labels[CHARACTER_ID] = target.id
        display = f"Character reference {target.id}"
    elif target.kind is TargetKind.LOCATION_REFERENCE:
        asset_id = asset_id_for(plan_asset, "loc", target.id)
        asset_labels[LOCATION_ID] = target.id
        display = f"Location reference {target.id}"
    else:
        asset_id = asset_id_for(plan_asset, "style-frame")
        display = "Style frame"
    labels = {**asset_labels, SHOT_PLAN_REVISION: shot_plan_revision, PLAN_REVISION: plan_revision, **extra_labels}
    return OutputTarget(asset_id=asset_id, asset_kind=storage_pb2.ASSET_KIND_IMAGE, display_name=display,
                        asset_labels={k: v for k, v in asset_labels.items() if v}, labels={k: v for k, v in labels.items() if v},
                        parents=parents, message=message[:2000], role="image", parent_items=parent_items)


def shot_clip_asset(shot_plan_revision: str, shot_id: str) -> str:
    return asset_id_for(asset_of(shot_plan_revision), shot_id, "clip")


def job_asset(prefix: str, job_id: str) -> str:
    return asset_id_for(prefix, job_id)
