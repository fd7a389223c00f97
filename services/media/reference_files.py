"""Image (and clip) revisions used as inputs: checked when a job is
started, downloaded from storage into the job's scratch folder when it is
prepared. Files are named by the job (``reference-0.png``), never by client
text, and are streamed from storage, never sent as base64."""

from __future__ import annotations

from pathlib import Path

from previs.storage.v1 import storage_pb2
from services.runtime.errors import InvalidArgument
from services.runtime.resource_names import parse_revision
from services.runtime.upstream_errors import translated
from services.storage.storage_client import StorageClient

EXTENSIONS = {"image/png": ".png", "image/jpeg": ".jpg", "image/webp": ".webp", "video/mp4": ".mp4"}


def first_blob(revision: storage_pb2.Revision, media_prefix: str) -> storage_pb2.BlobRef | None:
    """The revision's first blob whose media type starts with ``media_prefix``."""
    return next((ref for ref in revision.blobs if ref.media_type.startswith(media_prefix)), None)


def revision_in_project(name: str, project: str, field: str) -> str:
    """``name`` when it is a revision name of ``project``."""
    parsed = parse_revision(name, field)
    if parsed.project != project:
        raise InvalidArgument.for_field(field, f"must be a revision of projects/{project}", "REVISION_OF_OTHER_PROJECT")
    return name


async def media_revision(storage: StorageClient, name: str, project: str, field: str,
                         media_prefix: str = "image/") -> storage_pb2.Revision:
    """The revision ``name`` (NOT_FOUND when missing or another tenant's),
    which must hold a blob of ``media_prefix`` (an image by default)."""
    revision_in_project(name, project, field)
    with translated("storage"):
        revision = await storage.get_revision(name)
    if first_blob(revision, media_prefix) is None:
        kind = media_prefix.rstrip("/")
        raise InvalidArgument.for_field(field, f"{name} holds no {kind}", "NOT_AN_IMAGE" if kind == "image" else "WRONG_MEDIA")
    return revision


async def download_media(storage: StorageClient, revision: storage_pb2.Revision, folder: Path, stem: str,
                         media_prefix: str = "image/") -> Path:
    """Streams the revision's first ``media_prefix`` blob to
    ``folder/{stem}{ext}``; ``stem`` is chosen by the caller, never a
    client string."""
    ref = first_blob(revision, media_prefix)
    if ref is None:
        raise InvalidArgument.for_field("revision", f"{revision.name} holds no {media_prefix.rstrip('/')}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}{EXTENSIONS.get(ref.media_type, '.bin')}"
    if path.exists():
        return path
    with translated("storage"):
        await storage.download_to_file(ref.blob, path)
    return path
