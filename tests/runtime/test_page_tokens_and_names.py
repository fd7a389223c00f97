import pytest

from services.runtime.errors import InvalidArgument
from services.runtime.page_tokens import PageTokenCodec, page_size_or_default
from services.runtime.resource_names import parse_blob, parse_project, parse_revision


def test_page_tokens_round_trip_and_detect_tampering():
    codec = PageTokenCodec(b"k" * 32)
    token = codec.encode({"after": 41}, {"kind": 3})
    assert codec.decode(token, {"kind": 3}) == {"after": 41}
    with pytest.raises(InvalidArgument):
        codec.decode(token, {"kind": 4})
    tampered = token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1]
    with pytest.raises(InvalidArgument):
        codec.decode(tampered, {"kind": 3})
    with pytest.raises(InvalidArgument):
        codec.decode("!!not base64!!", {"kind": 3})


def test_page_size_rules():
    assert page_size_or_default(0) == 50
    assert page_size_or_default(10**9) == 1000
    with pytest.raises(InvalidArgument) as caught:
        page_size_or_default(-1)
    assert caught.value.field_violations[0].field == "page_size"


@pytest.mark.parametrize(
    "name", ["projects/../etc", "projects/a/../b", "/abs/path", "projects/a\x00b", "projects/" + "a" * 70, "projects/A"]
)
def test_hostile_names_are_invalid(name):
    with pytest.raises(InvalidArgument):
        parse_project(name)


def test_revision_names():
    assert parse_revision("projects/p1/assets/plan/revisions/latest").is_latest
    assert parse_revision("projects/p1/assets/plan/revisions/12").number == 12
    with pytest.raises(InvalidArgument):
        parse_revision("projects/p1/assets/plan/revisions/0")
    with pytest.raises(InvalidArgument):
        parse_blob("projects/p1/blobs/" + "g" * 64)
