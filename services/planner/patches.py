"""Plan patches: ``{path, op, value}`` edits applied atomically.

Paths are dot-separated fields; a list item is named by id in brackets
(``characters[CHAR_01]``, ``wardrobe_by_scene[SC002]`` by its scene id) or
by zero-based position (``beats[1]``). Ops: REPLACE a field or list item,
ADD to a list (append, or insert at ``[n]``; a new character, location,
prop or scene without an id gets the next free one), REMOVE a list item.

Every patch is checked before anything is returned: path syntax and depth,
fields that exist, items that exist, read-only fields (provenance and ids),
the value's type (the enclosing model is validated with the value in
place), and finally that every reference in the patched plan resolves. The
first problem raises INVALID_ARGUMENT naming ``patches[i].path`` (path, op
and missing-item problems) or ``patches[i].value`` (type problems); the
input plan is never modified.
"""

from __future__ import annotations

import copy
import enum
import re
import typing
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from services.planner.plan import Character, Location, Plan, Prop, Scene, character_id, location_id, next_id, plan_problems, prop_id, scene_id
from services.planner.plan_protos import validated
from services.runtime.errors import InvalidArgument

MAX_PATCHES = 200
MAX_PATH_SEGMENTS = 8
MAX_PATH_CHARS = 300
_SEGMENT = re.compile(r"^(?P<field>[a-z_][a-z0-9_]{0,63})(?:\[(?P<key>[A-Za-z0-9_]{1,40})\])?$")
_READ_ONLY_ROOT = {"revision", "parent_revision", "source_revision", "generator", "trace_revisions", "brief_kind"}
_NEW_IDS = {Character: character_id, Location: location_id, Prop: prop_id, Scene: scene_id}


class PatchOp(enum.StrEnum):
    UNSPECIFIED = "UNSPECIFIED"
    REPLACE = "REPLACE"
    ADD = "ADD"
    REMOVE = "REMOVE"


class PlanPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str = Field(max_length=MAX_PATH_CHARS)
    op: PatchOp
    value: Any = None


def plan_patch(i: int, path: str, op: str, value: Any) -> PlanPatch:
    """Patch ``i`` of a request as a domain patch: INVALID_ARGUMENT naming
    ``patches[i].path`` for a path of any length or content the planner
    does not take (checked before anything else is done with it), or the
    ``patches[i]`` field pydantic refuses."""
    if len(path) > MAX_PATH_CHARS:
        raise _path_error(i, f"{_preview(path)} is {len(path)} characters long, more than {MAX_PATH_CHARS}")
    return validated(PlanPatch, {"path": path, "op": op, "value": value}, f"patches[{i}]")


def _preview(path: str) -> str:
    """The start of a path, quoted, for an error message."""
    return repr(path[:60]) + ("…" if len(path) > 60 else "")


@dataclass(frozen=True)
class _Step:
    field: str
    key: str | None


@dataclass
class _Target:
    """Where a path ends: ``holder`` (a model's dict) of type ``model``, its
    ``field``, and optionally an item ``key`` in that list field."""

    holder: dict
    model: type[BaseModel]
    field: str
    key: str | None


def _path_error(i: int, description: str, reason: str = "INVALID_PATCH_PATH") -> InvalidArgument:
    return InvalidArgument.for_field(f"patches[{i}].path", description, reason)


def parse_path(path: str, i: int = 0) -> list[_Step]:
    """Splits a patch path into steps; INVALID_ARGUMENT on bad syntax."""
    if not path:
        raise _path_error(i, "is required")
    if len(path) > MAX_PATH_CHARS:
        raise _path_error(i, f"{_preview(path)} is {len(path)} characters long, more than {MAX_PATH_CHARS}")
    segments = path.split(".")
    if len(segments) > MAX_PATH_SEGMENTS:
        raise _path_error(i, f"{_preview(path)} has {len(segments)} segments, more than {MAX_PATH_SEGMENTS}")
    steps = []
    for segment in segments:
        found = _SEGMENT.match(segment)
        if found is None:
            raise _path_error(i, f"{path!r}: segment {segment[:60]!r} is not `field` or `field[id]` or `field[n]`")
        steps.append(_Step(found.group("field"), found.group("key")))
    return steps


def _unwrap(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _model_of(annotation: Any) -> type[BaseModel] | None:
    annotation = _unwrap(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):  # Optional[Model]
        arg = _unwrap(arg)
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _item_annotation(annotation: Any) -> Any | None:
    annotation = _unwrap(annotation)
    if typing.get_origin(annotation) is list:
        return typing.get_args(annotation)[0]
    return None


def _key_field(model: type[BaseModel] | None) -> str | None:
    if model is None:
        return None
    return next((name for name in ("id", "scene_id", "character_id", "prop_id") if name in model.model_fields), None)


def _find_item(items: list, key: str, item_model: type[BaseModel] | None, i: int, where: str) -> int:
    if key.isdigit():
        position = int(key)
        if position >= len(items):
            raise _path_error(i, f"{where}[{key}]: position out of range (the list has {len(items)} items)", "PATCH_TARGET_NOT_FOUND")
        return position
    key_field = _key_field(item_model)
    if key_field is None:
        raise _path_error(i, f"{where}[{key}]: items of {where} have no id; use a position")
    for position, item in enumerate(items):
        if item.get(key_field) == key:
            return position
    raise _path_error(i, f"{where}[{key}]: no item with {key_field} {key}", "PATCH_TARGET_NOT_FOUND")


def _resolve(data: dict, steps: list[_Step], i: int) -> _Target:
    holder, model, walked = data, Plan, []
    for depth, step in enumerate(steps):
        where = ".".join(walked + [step.field])
        if step.field not in model.model_fields:
            raise _path_error(i, f"{where}: {model.__name__} has no field {step.field!r}")
        if depth == len(steps) - 1:
            return _Target(holder, model, step.field, step.key)
        annotation = model.model_fields[step.field].annotation
        if step.key is not None:
            item_annotation = _item_annotation(annotation)
            item_model = _model_of(item_annotation) if item_annotation is not None else None
            if item_model is None:
                raise _path_error(i, f"{where} is not a list of objects")
            position = _find_item(holder[step.field], step.key, item_model, i, where)
            holder, model = holder[step.field][position], item_model
        else:
            nested = _model_of(annotation)
            if nested is None or _item_annotation(annotation) is not None:
                raise _path_error(i, f"{where} is not an object; name an item with [id] or [n]")
            if holder.get(step.field) is None:
                raise _path_error(i, f"{where} is not set", "PATCH_TARGET_NOT_FOUND")
            holder, model = holder[step.field], nested
        walked.append(f"{step.field}[{step.key}]" if step.key is not None else step.field)
    raise _path_error(i, "is empty")


def _check_writable(target: _Target, steps: list[_Step], i: int, op: PatchOp) -> None:
    if len(steps) == 1 and target.field in _READ_ONLY_ROOT:
        raise _path_error(i, f"{target.field} is read-only", "PATCH_READ_ONLY")
    if target.field == "id" and target.key is None:
        raise _path_error(i, "ids are read-only; add a new item and remove the old one instead", "PATCH_READ_ONLY")


def _validated(model: type[BaseModel], holder: dict, i: int, path: str) -> dict:
    try:
        return model.model_validate(holder).model_dump()
    except ValidationError as error:
        first = error.errors()[0]
        location = ".".join(str(part) for part in first["loc"])
        raise InvalidArgument.for_field(
            f"patches[{i}].value", f"wrong value for {path!r}: {location + ': ' if location else ''}{first['msg']}", "INVALID_PATCH_VALUE"
        ) from None


def _new_item(items: list, value: Any, item_model: type[BaseModel] | None, i: int, path: str) -> Any:
    """An item to add: plain values as they are; objects get a fresh id
    when they have none, and may not reuse one."""
    if item_model is None or not isinstance(value, dict):
        return value
    value = dict(value)
    make = _NEW_IDS.get(item_model)
    key_field = _key_field(item_model)
    if key_field == "id" and make is not None and not value.get("id"):
        value["id"] = next_id([item["id"] for item in items], make)
    if key_field and any(item.get(key_field) == value.get(key_field) for item in items):
        raise InvalidArgument.for_field(f"patches[{i}].value", f"{path}: an item with {key_field} {value.get(key_field)} already exists", "PATCH_DUPLICATE_ID")
    return value


def _apply(data: dict, patch: PlanPatch, i: int) -> None:
    if patch.op not in (PatchOp.REPLACE, PatchOp.ADD, PatchOp.REMOVE):
        raise InvalidArgument.for_field(f"patches[{i}].op", "must be REPLACE, ADD or REMOVE", "INVALID_PATCH_OP")
    steps = parse_path(patch.path, i)
    target = _resolve(data, steps, i)
    _check_writable(target, steps, i, patch.op)
    annotation = target.model.model_fields[target.field].annotation
    item_annotation = _item_annotation(annotation)
    item_model = _model_of(item_annotation) if item_annotation is not None else None
    current = target.holder.get(target.field)
    if target.key is not None and item_annotation is None:
        raise _path_error(i, f"{patch.path}: {target.field} is not a list")
    staged = dict(target.holder)
    if patch.op is PatchOp.REPLACE:
        if target.key is None:
            staged[target.field] = copy.deepcopy(patch.value)
        else:
            items = list(current)
            position = _find_item(items, target.key, item_model, i, patch.path)
            value = copy.deepcopy(patch.value)
            key_field = _key_field(item_model)
            if isinstance(value, dict) and key_field and not target.key.isdigit():
                value.setdefault(key_field, target.key)
                if value[key_field] != target.key:
                    raise _path_error(i, f"{patch.path}: the value's {key_field} must stay {target.key}", "PATCH_READ_ONLY")
            items[position] = value
            staged[target.field] = items
    elif patch.op is PatchOp.ADD:
        if item_annotation is None:
            raise _path_error(i, f"{patch.path}: ADD needs a list (or a position in one); use REPLACE for fields")
        items = list(current)
        value = _new_item(items, copy.deepcopy(patch.value), item_model, i, patch.path)
        if target.key is None:
            items.append(value)
        elif target.key.isdigit() and int(target.key) <= len(items):
            items.insert(int(target.key), value)
        else:
            raise _path_error(i, f"{patch.path}: ADD takes a position from 0 to {len(items)}, not {target.key!r}", "PATCH_TARGET_NOT_FOUND")
        staged[target.field] = items
    else:
        if target.key is None:
            raise _path_error(i, f"{patch.path}: REMOVE needs a list item, e.g. {target.field}[ID] or {target.field}[0]")
        items = list(current)
        del items[_find_item(items, target.key, item_model, i, patch.path)]
        staged[target.field] = items
    validated = _validated(target.model, staged, i, patch.path)
    target.holder.clear()
    target.holder.update(validated)


def _problem_strings(data: dict) -> set[str]:
    return {f"{p.field}: {p.description}" for p in plan_problems(Plan.model_validate(data))}


def apply_patches(plan: Plan, patches: list[PlanPatch]) -> Plan:
    """A new plan with every patch applied, whose ``parent_revision`` is the
    input plan's revision; the input plan is untouched. All or nothing."""
    if not patches:
        raise InvalidArgument.for_field("patches", "at least one patch is required", "PATCHES_REQUIRED")
    if len(patches) > MAX_PATCHES:
        raise InvalidArgument.for_field("patches", f"at most {MAX_PATCHES} patches per call", "TOO_MANY_PATCHES")
    original = plan.model_dump()
    data = copy.deepcopy(original)
    for i, patch in enumerate(patches):
        _apply(data, patch, i)
    problems = _problem_strings(data)
    if problems - _problem_strings(original):
        _blame(original, patches, problems)
    patched = Plan.model_validate(data)
    return patched.model_copy(update={"parent_revision": plan.revision, "revision": ""})


def _blame(original: dict, patches: list[PlanPatch], final: set[str]) -> None:
    """Raises for the first patch after which a problem of the final plan
    appears."""
    data = copy.deepcopy(original)
    known = _problem_strings(data)
    for i, patch in enumerate(patches):
        _apply(data, patch, i)
        new = (_problem_strings(data) & final) - known
        if new:
            field = "path" if patch.op is PatchOp.REMOVE else "value"
            problem = sorted(new)[0]
            raise InvalidArgument.for_field(f"patches[{i}].{field}", f"{patch.path!r} leaves a broken reference: {problem}", "PATCH_BREAKS_REFERENCES")
    raise InvalidArgument.for_field("patches", "the patched plan has broken references", "PATCH_BREAKS_REFERENCES")
