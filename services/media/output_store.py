"""Stores a checked output in storage: its file(s) as blobs, then one new
revision of the item's asset (see ``output_targets``) with the labels and
lineage decided when the job was planned. This is the engine's ``on_output``
hook.

Idempotent per (job, item): blobs are content-addressed and the revision is
created with ``output_request_id(job, item)``, so storing again after a
restart returns the revision stored the first time.

Parents may include outputs of other items of the same job
(``OutputTarget.parent_items``): storing waits, bounded, until those items
have ended (they come earlier in the job's item order, so they hold their
slots first) and links the ones that succeeded.

A task output with several files (a storyboard export) lists the others in
``RenderOutput.extra["files"]`` as JSON ``[{"role", "path", "media_type"}]``;
each must lie in the directory of the main file.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from pathlib import Path

from google.protobuf import json_format

from previs.planner.v1 import planner_pb2
from services.media.backends.base import RenderOutput
from services.media.caller_context import acting_for
from services.media.job_ports import output_request_id
from services.media.jobs import Job, JobItem
from services.media.output_targets import TargetBook
from services.runtime.errors import Internal
from services.runtime.resource_names import project_name
from services.runtime.upstream_errors import translated
from services.storage.storage_client import StorageClient

_LOGGER = logging.getLogger(__name__)

FILES_EXTRA = "files"
PARENT_ITEM_WAIT_SECONDS = 120.0
PARENT_ITEM_POLL_SECONDS = 0.05
_REVISION_FACTS = ("seed", "width", "height", "duration_seconds", "frames", "fps", "camera_movement")


def output_files(output: RenderOutput, main_role: str) -> list[tuple[str, Path, str]]:
    """(role, path, media type) of every file of ``output``."""
    files = [(main_role, output.path, output.media_type)]
    listed = output.extra.get(FILES_EXTRA)
    if not listed:
        return files
    base = output.path.parent.resolve()
    for entry in json.loads(listed):
        path = Path(entry["path"]).resolve()
        if not path.is_relative_to(base):
            raise Internal("an output file lies outside its item directory", reason="OUTPUT_PATH_INVALID")
        files.append((entry["role"], path, entry["media_type"]))
    return files


class OutputStore:
    """``on_output``: uploads the output and appends its revision."""

    def __init__(self, storage: StorageClient, targets: TargetBook) -> None:
        self._storage = storage
        self._targets = targets

    async def __call__(self, job: Job, item: JobItem, output: RenderOutput) -> str:
        target = await self._targets.get(job.job_id, item.key)
        project = project_name(job.project)
        parents = list(dict.fromkeys([*target.parents, *await same_job_outputs(job, target.parent_items)]))
        with acting_for(job), translated("storage"):
            blobs = []
            for role, path, media_type in output_files(output, target.role):
                blob = await self._storage.upload_file(project, path, media_type)
                blobs.append((role, blob.name))
            asset = await self._storage.ensure_asset(
                project, target.asset_id, target.asset_kind, display_name=target.display_name,
                labels=target.asset_labels,
            )
            revision = await self._storage.append_revision(
                asset.name,
                _payload(target.payload),
                blobs=blobs,
                parents=parents,
                message=target.message,
                labels=_labels(target.labels, output),
                request_id=output_request_id(job, item),
            )
        _LOGGER.info("job %s item %s stored as %s", job.job_id, item.key, revision.name)
        return revision.name


async def same_job_outputs(job: Job, keys, wait_seconds: float = PARENT_ITEM_WAIT_SECONDS) -> list[str]:
    """Output revisions of the items ``keys`` of ``job`` (the engine's live
    job), once each has ended; an item that failed, or has not ended within
    ``wait_seconds``, is left out."""
    wanted = set(keys)
    if not wanted:
        return []
    deadline = time.monotonic() + wait_seconds
    while True:
        items = [item for item in job.items if item.key in wanted]
        if all(item.state.is_terminal for item in items) or time.monotonic() >= deadline:
            break
        await asyncio.sleep(PARENT_ITEM_POLL_SECONDS)
    late = [item.key for item in items if not item.state.is_terminal]
    if late:
        _LOGGER.warning("job %s: items %s had not ended in %.0fs; not linked as parents", job.job_id, late,
                        wait_seconds)
    return [item.output_revision for item in items if item.output_revision]


def _payload(text: str) -> planner_pb2.RenderPrompt | None:
    return json_format.Parse(text, planner_pb2.RenderPrompt()) if text else None


def _labels(base, output: RenderOutput) -> dict[str, str]:
    labels = dict(base)
    labels["backend"] = output.backend
    labels["model"] = output.model[:256]
    for fact in _REVISION_FACTS:
        value = output.extra.get(fact)
        if value and fact not in labels:
            labels[fact] = str(value)[:256]
    return labels
