"""Hypothesis strategies for any protobuf message, built from its descriptor.

Nothing here names a previs message: every field of every request is read
from the descriptors at run time, so a field or RPC added to a ``.proto`` is
fuzzed without touching this file. Values include the edges a server must
survive: integer limits, NaN and infinities, unknown enum numbers, hostile
strings (path traversal, absolute paths, NUL bytes, very long and unusual
unicode), and well-known types built validly (Timestamp and Duration in
their legal ranges, FieldMask paths taken from sibling messages, Struct and
Value as JSON trees, Any packing a real message).

Resource-name fields (``name``, ``parent``, ``*_revision``...) also draw
from a pool of real names, so generated requests get past name parsing and
reach the code behind it.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Callable, Iterable, Sequence

from google.protobuf import any_pb2, descriptor_pool, duration_pb2, empty_pb2, field_mask_pb2, struct_pb2, timestamp_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor, MethodDescriptor, ServiceDescriptor
from google.protobuf.message import Message
from google.protobuf.message_factory import GetMessageClass
from hypothesis import strategies as st

# The public services, as the gateway exposes them (gateway/routes.py).
SERVICE_MODULES = (
    "previs.storage.v1.storage_service_pb2",
    "previs.planner.v1.planner_service_pb2",
    "previs.media.v1.media_service_pb2",
)
PUBLIC_SERVICES = (
    "previs.storage.v1.StorageService",
    "previs.planner.v1.PlannerService",
    "previs.media.v1.MediaService",
)

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
UINT32 = (0, 2**32 - 1)
UINT64 = (0, 2**64 - 1)
TIMESTAMP_SECONDS = (-62_135_596_800, 253_402_300_799)  # 0001-01-01 .. 9999-12-31
DURATION_SECONDS = (-315_576_000_000, 315_576_000_000)

# A canary path: if any server ever built a filesystem path from a client
# string, one of these values would create or touch this file.
CANARY_NAME = "previs-fuzz-canary"
TRAVERSALS = (
    "../",
    "..",
    "../../../../../../etc/passwd",
    f"../../../../../../tmp/{CANARY_NAME}",
    f"/tmp/{CANARY_NAME}",
    "/etc/passwd",
    "/",
    "..\\..\\windows\\win.ini",
    "C:\\Windows\\System32",
    "%2e%2e%2f%2e%2e%2f",
    "....//....//",
    "~root/.ssh/id_rsa",
    "file:///etc/passwd",
)
HOSTILE_STRINGS = (
    *TRAVERSALS,
    "",
    " ",
    "\x00",
    "a\x00b",
    "../\x00.png",
    "\r\n\r\nX-Injected: 1",
    "latest",
    "0",
    "-1",
    "99999999999999999999",
    "$(id)",
    "`id`",
    "'; DROP TABLE projects; --",
    '"; DROP TABLE revisions; --',
    "{{7*7}}${7*7}",
    "%s%s%s%n",
    "\u202eevil\u202c",
    "\ufeffbom",
    "\U0001f600" * 8,
    "ß\u0301\u0327",
    "\u0000" * 16,
    "a" * 129,
    "a" * 4097,
)
# Shapes of names and the pieces that break them.
_ID = r"[a-z0-9][a-z0-9_-]{0,12}"
NAME_SHAPES = (
    rf"projects/{_ID}",
    rf"projects/{_ID}/assets/{_ID}",
    rf"projects/{_ID}/assets/{_ID}/revisions/(?:[0-9]{{1,4}}|latest)",
    rf"projects/{_ID}/blobs/[0-9a-f]{{64}}",
    rf"projects/{_ID}/jobs/{_ID}",
)
_NAME_SUFFIXES = ("", "/", "/..", "/../../x", "/revisions/latest", "/revisions/0", "/revisions/-1", "\x00", "/assets/a")


def is_name_field(field: FieldDescriptor) -> bool:
    """Whether a string field holds a resource name (or names)."""
    if field.type != FieldDescriptor.TYPE_STRING:
        return False
    name = field.name
    return (
        name in ("name", "parent", "parents", "revision", "blob")
        or name.endswith(("_revision", "_revisions", "_blob", "_blobs"))
    )


def is_id_field(field: FieldDescriptor) -> bool:
    """Whether a string field holds a client-chosen id (``project_id``...)."""
    return field.type == FieldDescriptor.TYPE_STRING and field.name.endswith("_id") and field.name != "request_id"


def public_services() -> list[ServiceDescriptor]:
    for module in SERVICE_MODULES:
        importlib.import_module(module)
    pool = descriptor_pool.Default()
    return [pool.FindServiceByName(name) for name in PUBLIC_SERVICES]


def method_path(method: MethodDescriptor) -> str:
    return f"/{method.containing_service.full_name}/{method.name}"


def message_class(descriptor: Descriptor) -> type[Message]:
    return GetMessageClass(descriptor)


def _is_map(field: FieldDescriptor) -> bool:
    return field.type == FieldDescriptor.TYPE_MESSAGE and field.message_type.GetOptions().map_entry


def _is_real_oneof(field: FieldDescriptor) -> bool:
    """Member of a real oneof (proto3 ``optional`` makes a synthetic one)."""
    oneof = field.containing_oneof
    return oneof is not None and not (len(oneof.fields) == 1 and oneof.name.startswith("_"))


@dataclass(frozen=True)
class _Setter:
    """How one drawn value goes into a message under construction."""

    field: FieldDescriptor

    def __call__(self, message: Message, value) -> None:
        field = self.field
        target = getattr(message, field.name)
        if _is_map(field):
            value_field = field.message_type.fields_by_name["value"]
            for key, item in value.items():
                if value_field.type == FieldDescriptor.TYPE_MESSAGE:
                    target[key].CopyFrom(item)
                else:
                    target[key] = item
        elif field.is_repeated:
            if field.type == FieldDescriptor.TYPE_MESSAGE:
                for item in value:
                    target.add().CopyFrom(item)
            else:
                target.extend(value)
        elif field.type == FieldDescriptor.TYPE_MESSAGE:
            target.CopyFrom(value)
        else:
            setattr(message, field.name, value)


def _build(cls: type[Message], setters: dict[str, _Setter], values: dict[str, object]) -> Message:
    message = cls()
    for key, value in values.items():
        if key.startswith("oneof:"):
            member, member_value = value
            setters[member](message, member_value)
        else:
            setters[key](message, value)
    return message


class MessageStrategies:
    """Builds (and caches) one strategy per message type and depth.

    ``names`` are real resource names that name fields draw from alongside
    hostile and random ones; ``max_depth`` bounds nesting (message fields
    deeper than that stay unset); ``max_items`` bounds repeated and map
    fields.
    """

    def __init__(self, *, names: Sequence[str] = (), max_depth: int = 4, max_items: int = 3) -> None:
        self._names = tuple(names)
        self._max_depth = max_depth
        self._max_items = max_items
        self._cache: dict[tuple[str, int], st.SearchStrategy] = {}
        self._well_known: dict[str, Callable[[int], st.SearchStrategy]] = {
            timestamp_pb2.Timestamp.DESCRIPTOR.full_name: lambda depth: timestamps(),
            duration_pb2.Duration.DESCRIPTOR.full_name: lambda depth: durations(),
            empty_pb2.Empty.DESCRIPTOR.full_name: lambda depth: st.just(empty_pb2.Empty()),
            struct_pb2.Struct.DESCRIPTOR.full_name: lambda depth: structs(),
            struct_pb2.Value.DESCRIPTOR.full_name: lambda depth: values(),
            struct_pb2.ListValue.DESCRIPTOR.full_name: lambda depth: list_values(),
            any_pb2.Any.DESCRIPTOR.full_name: self._anys,
        }

    # Public entry points

    def message(self, descriptor: Descriptor, depth: int | None = None) -> st.SearchStrategy[Message]:
        depth = self._max_depth if depth is None else depth
        key = (descriptor.full_name, depth)
        if key not in self._cache:
            special = self._well_known.get(descriptor.full_name)
            self._cache[key] = special(depth) if special else self._plain_message(descriptor, depth)
        return self._cache[key]

    def request(self, method: MethodDescriptor) -> st.SearchStrategy[Message]:
        return self.message(method.input_type)

    def request_stream(self, method: MethodDescriptor, max_messages: int = 4) -> st.SearchStrategy[list[Message]]:
        """For client-streaming methods: a first message, then a few more."""
        one = self.request(method)
        return st.tuples(one, st.lists(one, max_size=max_messages - 1)).map(lambda parts: [parts[0], *parts[1]])

    # Messages

    def _plain_message(self, descriptor: Descriptor, depth: int) -> st.SearchStrategy[Message]:
        cls = message_class(descriptor)
        setters: dict[str, _Setter] = {}
        optional: dict[str, st.SearchStrategy] = {}
        oneofs: dict[str, list[st.SearchStrategy]] = {}
        for field in descriptor.fields:
            if field.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(field) and depth <= 0:
                continue  # the depth bound: deeper messages stay unset
            setters[field.name] = _Setter(field)
            strategy = self._field(field, descriptor, depth)
            if _is_real_oneof(field):
                member = st.tuples(st.just(field.name), strategy)
                oneofs.setdefault(field.containing_oneof.name, []).append(member)
            else:
                optional[field.name] = strategy
        for oneof_name, members in oneofs.items():
            optional[f"oneof:{oneof_name}"] = st.one_of(members)
        return st.fixed_dictionaries({}, optional=optional).map(lambda values: _build(cls, setters, values))

    def _field(self, field: FieldDescriptor, parent: Descriptor, depth: int) -> st.SearchStrategy:
        if _is_map(field):
            entry = field.message_type
            keys = self._single(entry.fields_by_name["key"], entry, depth)
            items = self._single(entry.fields_by_name["value"], entry, depth - 1)
            return st.dictionaries(keys, items, max_size=self._max_items)
        single = self._single(field, parent, depth)
        if field.is_repeated:
            return st.lists(single, max_size=self._max_items)
        return single

    def _single(self, field: FieldDescriptor, parent: Descriptor, depth: int) -> st.SearchStrategy:
        kind = field.type
        if kind == FieldDescriptor.TYPE_MESSAGE:
            if field.message_type.full_name == field_mask_pb2.FieldMask.DESCRIPTOR.full_name:
                return field_masks(_mask_paths(parent))
            return self.message(field.message_type, depth - 1)
        if kind == FieldDescriptor.TYPE_ENUM:
            return enum_numbers([value.number for value in field.enum_type.values])
        if kind == FieldDescriptor.TYPE_STRING:
            if is_name_field(field):
                return resource_names(self._names)
            if is_id_field(field):
                return ids()
            return hostile_text()
        if kind == FieldDescriptor.TYPE_BYTES:
            return st.binary(max_size=256)
        if kind == FieldDescriptor.TYPE_BOOL:
            return st.booleans()
        if kind == FieldDescriptor.TYPE_FLOAT:
            return st.floats(width=32, allow_nan=True, allow_infinity=True)
        if kind == FieldDescriptor.TYPE_DOUBLE:
            return st.floats(allow_nan=True, allow_infinity=True)
        return integers_of(kind)

    def _anys(self, depth: int) -> st.SearchStrategy[any_pb2.Any]:
        """An Any packing a real message: a well-known type or any previs
        message (depth-bounded)."""
        candidates = [timestamp_pb2.Timestamp.DESCRIPTOR, struct_pb2.Struct.DESCRIPTOR, empty_pb2.Empty.DESCRIPTOR]
        candidates += _previs_messages()
        inner_depth = max(0, min(depth - 1, 2))
        return st.sampled_from(candidates).flatmap(lambda d: self.message(d, inner_depth)).map(_pack)


def _pack(message: Message) -> any_pb2.Any:
    packed = any_pb2.Any()
    packed.Pack(message)
    return packed


def _previs_messages() -> list[Descriptor]:
    found: list[Descriptor] = []

    def walk(descriptors: Iterable[Descriptor]) -> None:
        for descriptor in descriptors:
            if not descriptor.GetOptions().map_entry:
                found.append(descriptor)
            walk(descriptor.nested_types)

    for service in public_services():
        walk(service.file.message_types_by_name.values())
        for dependency in service.file.dependencies:
            if dependency.package == service.file.package:
                walk(dependency.message_types_by_name.values())
    return sorted(found, key=lambda d: d.full_name)


def _mask_paths(parent: Descriptor) -> list[str]:
    """Field names a FieldMask in ``parent`` could name: the fields of its
    message-typed siblings, one and two levels down."""
    paths: list[str] = []
    for sibling in parent.fields:
        if sibling.type != FieldDescriptor.TYPE_MESSAGE or sibling.message_type.full_name.startswith("google."):
            continue
        for inner in sibling.message_type.fields:
            paths.append(inner.name)
            if inner.type == FieldDescriptor.TYPE_MESSAGE and not _is_map(inner):
                paths.extend(f"{inner.name}.{deeper.name}" for deeper in inner.message_type.fields)
    return paths


# Scalars


def integers_of(kind: int) -> st.SearchStrategy[int]:
    low, high = {
        FieldDescriptor.TYPE_INT32: INT32,
        FieldDescriptor.TYPE_SINT32: INT32,
        FieldDescriptor.TYPE_SFIXED32: INT32,
        FieldDescriptor.TYPE_UINT32: UINT32,
        FieldDescriptor.TYPE_FIXED32: UINT32,
        FieldDescriptor.TYPE_INT64: INT64,
        FieldDescriptor.TYPE_SINT64: INT64,
        FieldDescriptor.TYPE_SFIXED64: INT64,
        FieldDescriptor.TYPE_UINT64: UINT64,
        FieldDescriptor.TYPE_FIXED64: UINT64,
    }[kind]
    edges = sorted({v for v in (low, high, low + 1, high - 1, 0, 1, -1, 2, 50, 999, 1000, 1001, 2**31) if low <= v <= high})
    return st.one_of(st.sampled_from(edges), st.integers(-1100, 1100).filter(lambda v: low <= v <= high), st.integers(low, high))


def enum_numbers(defined: Sequence[int]) -> st.SearchStrategy[int]:
    """Defined values most of the time, and numbers no version defines."""
    unknown = st.sampled_from([-1, max(defined) + 1, 99, 2**31 - 1, -(2**31)])
    known = st.sampled_from(sorted(defined))
    return st.one_of(known, known, known, unknown)


def plain_text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Any unicode text protobuf can carry (no lone surrogates)."""
    return st.text(st.characters(exclude_categories=("Cs",)), max_size=max_size)


def hostile_text() -> st.SearchStrategy[str]:
    return st.one_of(plain_text(), plain_text(), plain_text(), st.sampled_from(HOSTILE_STRINGS), long_text())


def long_text() -> st.SearchStrategy[str]:
    """Long strings (up to 20,001 characters, 80 KB in UTF-8) that keep a
    whole generated request well below the 8 MiB message limit; larger ones
    are tried by hand in test_hostile_inputs."""
    return st.tuples(st.sampled_from([257, 2001, 4097, 20_001]), st.sampled_from("aé😀\x00/")).map(
        lambda size_char: size_char[1] * size_char[0]
    )


def ids() -> st.SearchStrategy[str]:
    valid = st.from_regex(rf"\A{_ID}\Z")
    return st.one_of(st.just(""), valid, valid, st.sampled_from(HOSTILE_STRINGS), plain_text(20))


def resource_names(pool: Sequence[str]) -> st.SearchStrategy[str]:
    """Real names (and their near misses), well-formed random names, hostile
    strings and random text."""
    shaped = st.one_of([st.from_regex(rf"\A{shape}\Z") for shape in NAME_SHAPES])
    options = [shaped, st.sampled_from(HOSTILE_STRINGS), plain_text(60)]
    if pool:
        real = st.sampled_from(sorted(pool))
        mutated = st.tuples(real, st.sampled_from(_NAME_SUFFIXES)).map("".join)
        options = [real, real, real, real, mutated, *options]
    return st.one_of(options)


# Well-known types, always valid


def timestamps() -> st.SearchStrategy[timestamp_pb2.Timestamp]:
    return st.builds(
        timestamp_pb2.Timestamp,
        seconds=st.one_of(st.sampled_from([TIMESTAMP_SECONDS[0], 0, TIMESTAMP_SECONDS[1]]), st.integers(*TIMESTAMP_SECONDS)),
        nanos=st.integers(0, 999_999_999),
    )


def durations() -> st.SearchStrategy[duration_pb2.Duration]:
    def build(seconds: int, nanos: int) -> duration_pb2.Duration:
        if seconds < 0:
            nanos = -nanos  # seconds and nanos carry the same sign
        return duration_pb2.Duration(seconds=seconds, nanos=nanos)

    seconds = st.one_of(st.sampled_from([DURATION_SECONDS[0], -1, 0, 1, 8, DURATION_SECONDS[1]]), st.integers(*DURATION_SECONDS))
    return st.builds(build, seconds, st.integers(0, 999_999_999))


def field_masks(known_paths: Sequence[str]) -> st.SearchStrategy[field_mask_pb2.FieldMask]:
    path = st.one_of(
        st.from_regex(r"\A[a-z][a-z0-9_]{0,15}(\.[a-z][a-z0-9_]{0,15}){0,3}\Z"),
        st.sampled_from(["*", "", "..", "a..b", "name", "etag", "tenant", "a." * 200 + "a"]),
        *([st.sampled_from(sorted(set(known_paths)))] * 3 if known_paths else []),
    )
    return st.lists(path, max_size=4).map(lambda paths: field_mask_pb2.FieldMask(paths=paths))


_JSON_LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([0.0, -1.0, 1e308, -1e308, 2.0**53 + 1]),
    hostile_text(),
)


def json_trees() -> st.SearchStrategy[object]:
    return st.recursive(
        _JSON_LEAVES,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(plain_text(12), children, max_size=3)
        ),
        max_leaves=8,
    )


def _value_of(tree: object) -> struct_pb2.Value:
    value = struct_pb2.Value()
    if tree is None:
        value.null_value = struct_pb2.NULL_VALUE
    elif isinstance(tree, bool):
        value.bool_value = tree
    elif isinstance(tree, float):
        value.number_value = tree
    elif isinstance(tree, str):
        value.string_value = tree
    elif isinstance(tree, list):
        value.list_value.values.extend(_value_of(item) for item in tree)
    else:
        for key, item in tree.items():
            value.struct_value.fields[key].CopyFrom(_value_of(item))
    return value


def values() -> st.SearchStrategy[struct_pb2.Value]:
    return json_trees().map(_value_of)


def structs() -> st.SearchStrategy[struct_pb2.Struct]:
    return st.dictionaries(plain_text(12), json_trees(), max_size=3).map(lambda tree: _value_of(tree).struct_value)


def list_values() -> st.SearchStrategy[struct_pb2.ListValue]:
    return st.lists(json_trees(), max_size=3).map(lambda tree: _value_of(tree).list_value)




def string_fields(descriptor: Descriptor, max_depth: int = 4, prefix: str = "") -> list[tuple[str, FieldDescriptor]]:
    """Every string field reachable from ``descriptor`` (paths such as
    ``spec.character.plan_revision``; ``[]`` marks repeated levels; map
    fields are skipped), not descending into google.* types."""
    found: list[tuple[str, FieldDescriptor]] = []
    for field in descriptor.fields:
        path = f"{prefix}{field.name}"
        if _is_map(field):
            continue
        if field.type == FieldDescriptor.TYPE_STRING:
            found.append((path + ("[]" if field.is_repeated else ""), field))
        elif field.type == FieldDescriptor.TYPE_MESSAGE and max_depth > 0:
            if field.message_type.full_name.startswith("google."):
                continue
            step = "[]." if field.is_repeated else "."
            found.extend(string_fields(field.message_type, max_depth - 1, path + step))
    return found


def set_string_at(message: Message, path: str, value: str) -> None:
    """Sets the string field at ``path`` (as ``string_fields`` names it),
    creating parents; a ``[]`` level gets one element (or reuses the first)."""
    head, _, rest = path.partition(".")
    repeated = head.endswith("[]")
    name = head[:-2] if repeated else head
    if not rest:
        if repeated:
            del getattr(message, name)[:]
            getattr(message, name).append(value)
        else:
            setattr(message, name, value)
        return
    if repeated:
        items = getattr(message, name)
        child = items[0] if len(items) else items.add()
    else:
        child = getattr(message, name)
    set_string_at(child, rest, value)


# Bytes that are not a serialized message


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _tag(number: int, wire_type: int) -> bytes:
    return _varint((number << 3) | wire_type)


BAD_UTF8 = (b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"abc\xe2\x82", b"\x80")


def parses(descriptor: Descriptor, data: bytes) -> bool:
    try:
        message_class(descriptor).FromString(data)
    except Exception:  # DecodeError, or anything else the parser raises
        return False
    return True


def unparsable_bytes(descriptor: Descriptor, strategies: MessageStrategies) -> st.SearchStrategy[bytes]:
    """Byte strings that do not parse as ``descriptor``: random bytes,
    invalid wire types and field number 0, varints and lengths that run past
    the end, invalid UTF-8 in each string field, groups nested past the
    parser's depth limit, and truncated valid messages."""
    numbers = st.integers(1, 2**29 - 1)
    strings = [field.number for field in descriptor.fields if field.type == FieldDescriptor.TYPE_STRING]
    shapes = [
        st.binary(min_size=1, max_size=64),
        st.binary(max_size=32).map(lambda b: b + b"\x80"),
        st.tuples(numbers, st.sampled_from([6, 7]), st.binary(max_size=16)).map(lambda t: _tag(t[0], t[1]) + t[2]),
        st.binary(max_size=16).map(lambda b: b"\x00" + b),
        st.tuples(numbers, st.integers(1, 2**31), st.binary(max_size=8)).map(
            lambda t: _tag(t[0], 2) + _varint(len(t[2]) + t[1]) + t[2]
        ),
        numbers.map(lambda n: _tag(n, 4)),
        st.integers(101, 400).map(lambda depth: _tag(1000, 3) * depth + _tag(1000, 4) * depth),
        st.tuples(strategies.message(descriptor).map(lambda m: m.SerializeToString()), st.integers(1, 1 << 20)).map(
            lambda t: t[0][: max(0, len(t[0]) - t[1] % max(1, len(t[0])))] if t[0] else b"\x80"
        ),
    ]
    if strings:
        shapes.append(
            st.tuples(st.sampled_from(strings), st.sampled_from(BAD_UTF8), st.text(max_size=8)).map(
                lambda t: _tag(t[0], 2) + _varint(len(t[2].encode()) + len(t[1])) + t[2].encode() + t[1]
            )
        )
    return st.one_of(shapes).filter(lambda data: not parses(descriptor, data))
