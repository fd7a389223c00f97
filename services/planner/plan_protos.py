"""Pydantic domain models ⇄ ``previs.planner.v1`` messages.

The domain models mirror the proto messages field by field, with two
systematic differences that this module bridges generically, driven by the
message descriptors:

* a ``google.protobuf.Duration`` field ``x`` is the float seconds field
  ``x_s`` in the domain;
* an enum value is the proto value name without its prefix (``ShotSize``
  ``CLOSE_UP`` is ``SHOT_SIZE_CLOSE_UP``; the nested ``Beat.Kind`` ``ACTION``
  is ``KIND_ACTION``).

``google.protobuf.Value`` fields become plain JSON-like Python values.
Every proto field is read (not only the set ones), so a zero that differs
from a domain default (a score of 0, a tolerance of 0) survives the trip.

Converting a request message into a domain model goes through
:func:`validated`, which turns pydantic's errors into INVALID_ARGUMENT
naming the request field (``preferences.target_duration``, not
``target_duration_s``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any, Mapping, TypeVar

from google.protobuf import json_format, struct_pb2
from google.protobuf.descriptor import Descriptor, EnumDescriptor, FieldDescriptor
from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError

from services.runtime.errors import FieldViolation, InvalidArgument

ModelT = TypeVar("ModelT", bound=BaseModel)
MessageT = TypeVar("MessageT", bound=Message)

DURATION = "google.protobuf.Duration"
VALUE = "google.protobuf.Value"
SECONDS_SUFFIX = "_s"
UNKNOWN_ENUM_PREFIX = "UNKNOWN_ENUM_VALUE_"
_CAMEL_BOUNDARY = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True)
class _EnumNames:
    by_suffix: dict[str, int]
    by_number: dict[int, str]


@functools.lru_cache(maxsize=None)
def _enum_names(descriptor: EnumDescriptor) -> _EnumNames:
    prefix = _CAMEL_BOUNDARY.sub("_", descriptor.name).upper() + "_"
    by_suffix = {}
    for value in descriptor.values:
        if not value.name.startswith(prefix):
            raise ValueError(f"{value.name} does not start with {prefix}")
        by_suffix[value.name[len(prefix):]] = value.number
    return _EnumNames(by_suffix, {number: suffix for suffix, number in by_suffix.items()})


def enum_number(descriptor: EnumDescriptor, suffix: str) -> int:
    """``(ShotSize, "CLOSE_UP")`` -> 7; ValueError for an unknown suffix."""
    try:
        return _enum_names(descriptor).by_suffix[str(suffix)]
    except KeyError:
        raise ValueError(f"{suffix!r} is not a value of {descriptor.full_name}") from None


def enum_suffix(descriptor: EnumDescriptor, number: int) -> str:
    """7 -> ``"CLOSE_UP"``; a number the descriptor lacks (proto3 enums are
    open) becomes ``UNKNOWN_ENUM_VALUE_<n>``, which no domain enum accepts."""
    return _enum_names(descriptor).by_number.get(number, f"{UNKNOWN_ENUM_PREFIX}{number}")


@dataclass(frozen=True)
class _Field:
    descriptor: FieldDescriptor
    name: str
    key: str  # the domain name
    kind: str  # "scalar", "enum", "message", "duration", "value", "map"
    repeated: bool
    presence: bool


@functools.lru_cache(maxsize=None)
def _fields(descriptor: Descriptor) -> tuple[_Field, ...]:
    found = []
    for field in descriptor.fields:
        message_type = field.message_type
        if message_type is not None and message_type.GetOptions().map_entry:
            kind = "map"
        elif message_type is not None and message_type.full_name == DURATION:
            kind = "duration"
        elif message_type is not None and message_type.full_name == VALUE:
            kind = "value"
        elif message_type is not None:
            kind = "message"
        elif field.enum_type is not None:
            kind = "enum"
        else:
            kind = "scalar"
        key = field.name + SECONDS_SUFFIX if kind == "duration" else field.name
        presence = field.has_presence and not field.is_repeated and kind == "scalar"
        found.append(_Field(field, field.name, key, kind, field.is_repeated and kind != "map", presence))
    return tuple(found)


# --------------------------------------------------------------------------- message -> dict
def message_to_dict(message: Message) -> dict[str, Any]:
    """Every field of ``message`` under its domain name. Unset singular
    messages and unset ``optional`` scalars are left out (so the domain
    default, e.g. ``None``, applies)."""
    data: dict[str, Any] = {}
    for field in _fields(message.DESCRIPTOR):
        value = getattr(message, field.name)
        if field.kind == "map":
            data[field.key] = dict(value)
        elif field.repeated:
            data[field.key] = [_read(field, item) for item in value]
        elif field.kind in ("message", "duration", "value"):
            if message.HasField(field.name):
                data[field.key] = _read(field, value)
        elif field.presence and not message.HasField(field.name):
            continue
        else:
            data[field.key] = _read(field, value)
    return data


def _read(field: _Field, value: Any) -> Any:
    if field.kind == "message":
        return message_to_dict(value)
    if field.kind == "enum":
        return enum_suffix(field.descriptor.enum_type, value)
    if field.kind == "duration":
        return value.seconds + value.nanos / 1e9
    if field.kind == "value":
        return json_format.MessageToDict(value)
    return value


# --------------------------------------------------------------------------- dict -> message
def fill_message(message: MessageT, data: Mapping[str, Any]) -> MessageT:
    """Sets the fields of ``message`` from a domain dict (``model_dump()``);
    keys the message lacks raise ValueError, so the two sides cannot drift
    apart silently."""
    known = set()
    for field in _fields(message.DESCRIPTOR):
        known.add(field.key)
        if field.key not in data:
            continue
        value = data[field.key]
        if value is None:
            continue
        if field.kind == "map":
            getattr(message, field.name).update({str(k): str(v) for k, v in value.items()})
        elif field.repeated:
            container = getattr(message, field.name)
            if field.kind == "message":
                for item in value:
                    fill_message(container.add(), item)
            else:
                container.extend(_write_scalar(field, item) for item in value)
        elif field.kind == "message":
            target = getattr(message, field.name)
            target.SetInParent()
            fill_message(target, value)
        elif field.kind == "duration":
            getattr(message, field.name).FromNanoseconds(round(float(value) * 1e9))
        elif field.kind == "value":
            json_format.ParseDict(value, getattr(message, field.name))
        else:
            setattr(message, field.name, _write_scalar(field, value))
    unknown = set(data) - known
    if unknown:
        raise ValueError(f"{message.DESCRIPTOR.full_name} has no fields {sorted(unknown)}")
    return message


def _write_scalar(field: _Field, value: Any) -> Any:
    if field.kind == "enum":
        return enum_number(field.descriptor.enum_type, getattr(value, "value", value))
    return value


def to_message(model: BaseModel, message_type: type[MessageT], *, exclude: set[str] | None = None) -> MessageT:
    """The ``message_type`` message holding ``model``."""
    return fill_message(message_type(), model.model_dump(exclude=exclude))


def to_model(message: Message, model_type: type[ModelT], *, extra: Mapping[str, Any] | None = None) -> ModelT:
    """The domain model of a message the planner stored (a ValidationError
    here is a bug or a corrupt payload, not a caller's mistake)."""
    data = message_to_dict(message)
    if extra:
        data.update(extra)
    return model_type.model_validate(data)


# --------------------------------------------------------------------------- requests
def validated(model_type: type[ModelT], data: Mapping[str, Any], field_prefix: str = "") -> ModelT:
    """``model_type`` validated from request data; INVALID_ARGUMENT naming
    the request fields that are wrong (durations by their proto name)."""
    try:
        return model_type.model_validate(data)
    except ValidationError as error:
        violations = []
        for item in error.errors(include_url=False)[:20]:
            path = _proto_path(field_prefix, item["loc"])
            violations.append(FieldViolation(path, _describe(item)))
        first = violations[0]
        raise InvalidArgument(
            f"{first.field}: {first.description}" + (f" (and {len(violations) - 1} more)" if len(violations) > 1 else ""),
            reason="INVALID_FIELD",
            metadata={"field": first.field},
            field_violations=violations,
        ) from None


def request_model(message: Message, model_type: type[ModelT], field_prefix: str = "") -> ModelT:
    """A request message (or part of one) as a validated domain model."""
    return validated(model_type, message_to_dict(message), field_prefix)


def _proto_path(prefix: str, loc: tuple[Any, ...]) -> str:
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            name = str(part)
            if name.endswith(SECONDS_SUFFIX):
                name = name[: -len(SECONDS_SUFFIX)]
            path = f"{path}.{name}" if path else name
    return path or "request"


def _describe(item: Mapping[str, Any]) -> str:
    value = item.get("input")
    if isinstance(value, str) and value.startswith(UNKNOWN_ENUM_PREFIX):
        return f"unknown enum value {value[len(UNKNOWN_ENUM_PREFIX):]}"
    return str(item.get("msg", "is invalid"))


def value_to_python(value: struct_pb2.Value, field: str = "value") -> Any:
    """A ``google.protobuf.Value`` as JSON-like Python (None when unset);
    INVALID_ARGUMENT naming ``field`` for a number JSON cannot hold (NaN,
    Infinity), which the wire format allows."""
    if value.WhichOneof("kind") is None:
        return None
    try:
        return json_format.MessageToDict(value)
    except ValueError as error:
        raise InvalidArgument.for_field(
            field, f"numbers must be finite: {error}".replace("Fail to serialize", "cannot take"), "NON_FINITE_NUMBER"
        ) from None
