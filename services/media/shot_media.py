"""Which picture stands for each shot of a shot plan in animatics and
storyboards: the accepted revision, else the newest one, of the shot's frame
(and, unless stills are asked for, of its clip).

Order per shot: an accepted clip, an accepted frame, the newest clip, the
newest frame. "Accepted" is the newest accepted revision of the asset (an
accepted frame stays chosen after a regeneration that nobody accepted yet).
"""

from __future__ import annotations

from dataclasses import dataclass

from previs.storage.v1 import storage_pb2, storage_service_pb2
from services.media import image_assets as labels
from services.media.render_targets import TargetKind
from services.runtime.upstream_errors import translated
from services.storage.storage_client import StorageClient

ACCEPTED = storage_pb2.REVIEW_STATUS_ACCEPTED


@dataclass(frozen=True)
class ShotPicture:
    """The revision chosen for a shot."""

    shot_id: str
    revision: str
    is_clip: bool
    accepted: bool

    @property
    def status(self) -> str:
        return "ACCEPTED" if self.accepted else "LATEST"


async def _newest_accepted(storage: StorageClient, asset: storage_pb2.Asset) -> str:
    if asset.head_review_status == ACCEPTED:
        return asset.head_revision
    token = ""
    while True:
        page = await storage.stub.ListRevisions(
            storage_service_pb2.ListRevisionsRequest(parent=asset.name, page_size=1000, page_token=token)
        )
        for revision in page.revisions:  # newest first
            if revision.review_status == ACCEPTED:
                return revision.name
        token = page.next_page_token
        if not token:
            return ""


async def _pictures(storage: StorageClient, project: str, kind: int, query: dict[str, str],
                    is_clip: bool) -> dict[str, list[ShotPicture]]:
    found: dict[str, list[ShotPicture]] = {}
    assets = await storage.list_assets(f"projects/{project}", kind=kind, labels=query)
    for asset in assets:
        shot_id = asset.labels.get(labels.SHOT_ID, "")
        if not shot_id or not asset.head_revision:
            continue
        accepted = await _newest_accepted(storage, asset)
        choices = found.setdefault(shot_id, [])
        if accepted:
            choices.append(ShotPicture(shot_id, accepted, is_clip, True))
        choices.append(ShotPicture(shot_id, asset.head_revision, is_clip, False))
    return found


async def pictures_for_shots(storage: StorageClient, project: str, shot_plan_asset: str, *,
                             clips: bool) -> dict[str, ShotPicture]:
    """The chosen picture of each shot that has one, by shot id."""
    with translated("storage"):
        frames = await _pictures(storage, project, storage_pb2.ASSET_KIND_IMAGE,
                                 {labels.SHOT_PLAN: shot_plan_asset, labels.IMAGE_TYPE: TargetKind.SHOT_FRAME.value},
                                 False)
        videos = await _pictures(storage, project, storage_pb2.ASSET_KIND_VIDEO,
                                 {labels.SHOT_PLAN: shot_plan_asset, labels.VIDEO_TYPE: labels.SHOT_CLIP},
                                 True) if clips else {}
    chosen: dict[str, ShotPicture] = {}
    for shot_id in {*frames, *videos}:
        options = [*videos.get(shot_id, ()), *frames.get(shot_id, ())]
        options.sort(key=lambda picture: (not picture.accepted, not picture.is_clip))
        chosen[shot_id] = options[0]
    return chosen
