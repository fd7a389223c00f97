"""User labels on projects, assets and revisions: validation and storage.

Keys match ``[a-z][a-z0-9_.-]{0,62}``, values are at most 256 characters,
at most 64 labels. Stored as JSON text with sorted keys.
"""

from __future__ import annotations

import json
import re
from typing import Mapping

from services.runtime.errors import InvalidArgument

KEY_PATTERN = re.compile(r"[a-z][a-z0-9_.-]{0,62}")
MAX_VALUE_CHARS = 256
MAX_LABELS = 64


def validated(labels: Mapping[str, str], field: str) -> dict[str, str]:
    """A plain dict of ``labels``; INVALID_ARGUMENT naming ``field[key]``."""
    if len(labels) > MAX_LABELS:
        raise InvalidArgument.for_field(field, f"has {len(labels)} labels; at most {MAX_LABELS} are allowed")
    for key, value in labels.items():
        if KEY_PATTERN.fullmatch(key) is None:
            raise InvalidArgument.for_field(
                field, f"label key {key[:80]!r} must match [a-z][a-z0-9_.-]{{0,62}}", "INVALID_LABEL"
            )
        if len(value) > MAX_VALUE_CHARS or "\x00" in value:
            raise InvalidArgument.for_field(
                f"{field}[{key}]", f"label value must be at most {MAX_VALUE_CHARS} characters without NUL", "INVALID_LABEL"
            )
    return dict(labels)


def to_json(labels: Mapping[str, str]) -> str:
    return json.dumps(dict(labels), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def from_json(text: str) -> dict[str, str]:
    return json.loads(text) if text else {}
