"""Parsing and formatting of previs resource names (AIP-122).

Names are strict: ids are lowercase ASCII with digits, ``-`` and ``_``, so a
name can never smuggle a path (``..``, ``/``, NUL) into anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from services.runtime.errors import InvalidArgument

PROJECT_ID = r"[a-z0-9][a-z0-9-]{0,62}"
ASSET_ID = r"[a-z0-9][a-z0-9_-]{0,62}"
JOB_ID = r"[a-z0-9][a-z0-9-]{0,62}"
SHA256_HEX = r"[0-9a-f]{64}"
REVISION_ID = r"(?:[1-9][0-9]{0,17}|latest)"

_PROJECT = re.compile(rf"projects/({PROJECT_ID})")
_ASSET = re.compile(rf"projects/({PROJECT_ID})/assets/({ASSET_ID})")
_REVISION = re.compile(rf"projects/({PROJECT_ID})/assets/({ASSET_ID})/revisions/({REVISION_ID})")
_BLOB = re.compile(rf"projects/({PROJECT_ID})/blobs/({SHA256_HEX})")
_JOB = re.compile(rf"projects/({PROJECT_ID})/jobs/({JOB_ID})")

LATEST = "latest"


@dataclass(frozen=True)
class RevisionName:
    project: str
    asset: str
    revision: str  # a number as text, or "latest"

    @property
    def is_latest(self) -> bool:
        return self.revision == LATEST

    @property
    def number(self) -> int:
        return int(self.revision)


def _match(pattern: re.Pattern, name: str, field: str, shape: str) -> re.Match:
    if not isinstance(name, str) or not name:
        raise InvalidArgument.for_field(field, f"is required (expected {shape})", "NAME_REQUIRED")
    found = pattern.fullmatch(name)
    if found is None:
        raise InvalidArgument.for_field(field, f"{name[:200]!r} is not a valid name (expected {shape})", "INVALID_NAME")
    return found


def parse_project(name: str, field: str = "name") -> str:
    return _match(_PROJECT, name, field, "projects/{project}").group(1)


def parse_asset(name: str, field: str = "name") -> tuple[str, str]:
    found = _match(_ASSET, name, field, "projects/{project}/assets/{asset}")
    return found.group(1), found.group(2)


def parse_revision(name: str, field: str = "name") -> RevisionName:
    found = _match(_REVISION, name, field, "projects/{project}/assets/{asset}/revisions/{number|latest}")
    return RevisionName(found.group(1), found.group(2), found.group(3))


def parse_blob(name: str, field: str = "name") -> tuple[str, str]:
    found = _match(_BLOB, name, field, "projects/{project}/blobs/{sha256}")
    return found.group(1), found.group(2)


def parse_job(name: str, field: str = "name") -> tuple[str, str]:
    found = _match(_JOB, name, field, "projects/{project}/jobs/{job}")
    return found.group(1), found.group(2)


def project_name(project: str) -> str:
    return f"projects/{project}"


def asset_name(project: str, asset: str) -> str:
    return f"projects/{project}/assets/{asset}"


def revision_name(project: str, asset: str, number: int | str) -> str:
    return f"projects/{project}/assets/{asset}/revisions/{number}"


def blob_name(project: str, sha256: str) -> str:
    return f"projects/{project}/blobs/{sha256}"


def job_name(project: str, job: str) -> str:
    return f"projects/{project}/jobs/{job}"


def is_valid_id(pattern: str, value: str) -> bool:
    return re.fullmatch(pattern, value or "") is not None
