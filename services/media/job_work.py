"""What one item of a job asks for, and its JSON form in the jobs database.

An item is made either by a :class:`MediaBackend` (an :class:`ImageRequest` or
a :class:`VideoRequest`, with failover across the backends configured for
its media) or by a named local task (an animatic, a storyboard export) run by
a handler the service registers. The work is stored with the job so that a
job queued or interrupted before a restart can run after it.

The codec follows the request dataclasses' own field types, so a field added
to ``backends/base.py`` is stored without a change here.
"""

from __future__ import annotations

import dataclasses
import json
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

from services.media.backends.base import ImageRequest, PanelSpec, VideoRequest


@dataclass(frozen=True)
class TaskWork:
    """Work done by a registered local task handler (``animatic``,
    ``storyboard_export``); ``params`` are JSON values."""

    task: str
    params: Mapping[str, Any] = field(default_factory=dict)


ItemWork = Union[ImageRequest, VideoRequest, TaskWork]

IMAGE = "image"
VIDEO = "video"
TASK = "task"

_TYPES: dict[str, type] = {IMAGE: ImageRequest, VIDEO: VideoRequest, TASK: TaskWork}


def media_of(work: ItemWork) -> str:
    """``image``, ``video`` or ``task``."""
    for media, cls in _TYPES.items():
        if isinstance(work, cls):
            return media
    raise TypeError(f"not item work: {type(work).__name__}")


def encode_work(work: ItemWork) -> str:
    """The work as JSON text."""
    if isinstance(work, TaskWork):
        body: Any = {"task": work.task, "params": dict(work.params)}
    else:
        body = _to_json(work)
    return json.dumps({"media": media_of(work), "work": body}, separators=(",", ":"), sort_keys=True)


def decode_work(text: str) -> ItemWork:
    """The work from :func:`encode_work`'s JSON."""
    document = json.loads(text)
    media, body = document["media"], document["work"]
    if media == TASK:
        return TaskWork(task=body["task"], params=body.get("params") or {})
    return _from_json(_TYPES[media], body)


def _to_json(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, (tuple, list)):
        return [_to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _to_json(item) for key, item in value.items()}
    return value


def _from_json(cls: type, body: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values = {name: _convert(hints[name], value) for name, value in body.items() if name in known}
    return cls(**values)


def _convert(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if origin is tuple:
        item_hint = typing.get_args(hint)[0]
        return tuple(_convert(item_hint, item) for item in value)
    if hint is Path:
        return Path(value)
    if hint is PanelSpec or (isinstance(hint, type) and dataclasses.is_dataclass(hint)):
        return _from_json(hint, value)
    return value
