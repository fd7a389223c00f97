"""GeminiJsonClient: the real google-genai SDK against the fake Gemini server."""

from __future__ import annotations

import json
import logging
import random
import subprocess
import sys
import time
from typing import Iterable

import pytest
from pydantic import BaseModel, Field

from services.planner.backends.gemini import (
    GeminiJsonClient,
    LlmOutcome,
    LlmTrace,
    parse_json_strictly,
    retry_hint_seconds,
)
from services.runtime.errors import FailedPrecondition, ResourceExhausted, Unavailable
from tests.fakes.gemini_server import (
    GENERATE_CONTENT,
    Blocked,
    FakeGemini,
    HttpError,
    RawBody,
    Reset,
    Slow,
    Text,
    fake_gemini,  # noqa: F401 - pytest fixture
)

MODEL = "gemini-2.5-pro"


class Shot(BaseModel):
    id: str = Field(pattern=r"^S\d{3}$")
    lens_mm: float = Field(gt=0)
    description: str


class ShotList(BaseModel):
    scene_id: str
    shots: list[Shot]


GOOD = {"scene_id": "SC001", "shots": [{"id": "S001", "lens_mm": 35, "description": "Wide of the diner"}]}
GOOD_TEXT = json.dumps(GOOD)


class Traces:
    def __init__(self) -> None:
        self.items: list[LlmTrace] = []

    async def __call__(self, trace: LlmTrace) -> None:
        self.items.append(trace)

    @property
    def outcomes(self) -> list[LlmOutcome]:
        return [t.outcome for t in self.items]


@pytest.fixture
def traces() -> Traces:
    return Traces()


def make_client(fake: FakeGemini, traces: Traces, **overrides: object) -> GeminiJsonClient:
    options: dict[str, object] = dict(
        model=MODEL,
        base_url=fake.base_url,
        call_timeout_seconds=5.0,
        total_timeout_seconds=10.0,
        max_output_attempts=3,
        max_transient_retries=3,
        initial_backoff_seconds=0.05,
        max_backoff_seconds=0.2,
        trace_sink=traces,
        rng=random.Random(7),
    )
    options.update(overrides)
    return GeminiJsonClient(fake.api_key, **options)  # type: ignore[arg-type]


def user_texts(body: dict) -> list[tuple[str, str]]:
    return [(c["role"], c["parts"][0]["text"]) for c in body["contents"]]


async def test_success_sends_schema_and_traces_tokens(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, Text(GOOD_TEXT, prompt_tokens=120, output_tokens=40, thoughts_tokens=8))
    client = make_client(fake_gemini, traces)
    try:
        result = await client.generate(
            ShotList, "Cut scene SC001 into shots.", purpose="shot_plan", request_id="r-1",
            system_instruction="You are a first AD.",
        )
    finally:
        await client.aclose()

    assert result == ShotList.model_validate(GOOD)
    [request] = fake_gemini.requests(GENERATE_CONTENT)
    assert request.path == f"/v1beta/models/{MODEL}:generateContent"
    assert request.headers["x-goog-api-key"] == fake_gemini.api_key
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == ShotList.model_json_schema()
    assert request.body["systemInstruction"]["parts"][0]["text"] == "You are a first AD."
    [trace] = traces.items
    assert (trace.outcome, trace.attempt, trace.purpose, trace.request_id) == (LlmOutcome.SUCCESS, 1, "shot_plan", "r-1")
    assert (trace.input_tokens, trace.output_tokens, trace.thinking_tokens) == (120, 48, 8)
    assert trace.response == GOOD_TEXT and trace.model == MODEL
    assert "[system]\nYou are a first AD." in trace.prompt and "Cut scene SC001" in trace.prompt
    assert trace.latency_seconds > 0 and trace.finish_reason == "STOP"


async def test_malformed_json_is_fed_back_then_succeeds(fake_gemini: FakeGemini, traces: Traces) -> None:
    trailing_comma = '{"scene_id": "SC001", "shots": [],}'
    fake_gemini.enqueue(GENERATE_CONTENT, Text(trailing_comma), Text(GOOD_TEXT))
    client = make_client(fake_gemini, traces)
    try:
        result = await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()

    assert result.shots[0].id == "S001"
    first, second = fake_gemini.requests(GENERATE_CONTENT)
    assert user_texts(first.body) == [("user", "Cut scene SC001.")]
    turns = user_texts(second.body)
    assert [role for role, _ in turns] == ["user", "model", "user"]
    assert turns[1][1] == trailing_comma
    assert "not valid JSON" in turns[2][1] and "line 1 column" in turns[2][1]
    assert traces.outcomes == [LlmOutcome.INVALID_OUTPUT, LlmOutcome.SUCCESS]
    assert [t.attempt for t in traces.items] == [1, 2]
    assert "not valid JSON" in traces.items[0].error


async def test_schema_and_semantic_errors_name_the_field(fake_gemini: FakeGemini, traces: Traces) -> None:
    bad_lens = {"scene_id": "SC001", "shots": [{"id": "S001", "lens_mm": -5, "description": "x"}]}
    unknown_scene = {"scene_id": "SC999", "shots": GOOD["shots"]}
    fake_gemini.enqueue(GENERATE_CONTENT, Text(json.dumps(bad_lens)), Text(json.dumps(unknown_scene)), Text(GOOD_TEXT))

    def scene_exists(value: ShotList) -> Iterable[str]:
        if value.scene_id != "SC001":
            yield f"scene_id: {value.scene_id} is not a scene of the plan (known: SC001)"

    client = make_client(fake_gemini, traces)
    try:
        result = await client.generate(ShotList, "Cut scene SC001.", check=scene_exists)
    finally:
        await client.aclose()

    assert result.scene_id == "SC001"
    requests = fake_gemini.requests(GENERATE_CONTENT)
    assert "shots[0].lens_mm: Input should be greater than 0" in user_texts(requests[1].body)[-1][1]
    assert "SC999 is not a scene of the plan" in user_texts(requests[2].body)[-1][1]
    assert len(user_texts(requests[2].body)) == 5
    assert traces.outcomes == [LlmOutcome.INVALID_OUTPUT, LlmOutcome.INVALID_OUTPUT, LlmOutcome.SUCCESS]


async def test_invalid_output_gives_up_after_bounded_attempts(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.set_default(GENERATE_CONTENT, Text('{"scene_id": "SC001"'))
    client = make_client(fake_gemini, traces, max_output_attempts=2)
    try:
        with pytest.raises(FailedPrecondition) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()

    assert raised.value.reason == "LLM_OUTPUT_INVALID"
    assert fake_gemini.count(GENERATE_CONTENT) == 2
    assert traces.outcomes == [LlmOutcome.INVALID_OUTPUT] * 2


async def test_cut_off_answer_asks_for_a_shorter_one(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, Text('{"scene_id": "SC0', finish_reason="MAX_TOKENS"), Text(GOOD_TEXT))
    client = make_client(fake_gemini, traces)
    try:
        await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    feedback = user_texts(fake_gemini.requests(GENERATE_CONTENT)[1].body)[-1][1]
    assert "cut off at the output token limit" in feedback
    assert traces.items[0].finish_reason == "MAX_TOKENS"


async def test_429_waits_for_the_retry_info_hint(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, HttpError(429, retry_delay=0.4), Text(GOOD_TEXT))
    # A long backoff proves the (shorter) server hint was used instead.
    client = make_client(fake_gemini, traces, initial_backoff_seconds=5.0, max_backoff_seconds=5.0)
    try:
        result = await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()

    assert result.scene_id == "SC001"
    first, second = fake_gemini.requests(GENERATE_CONTENT)
    assert 0.4 <= second.at - first.at < 1.5
    assert user_texts(second.body) == user_texts(first.body)  # a transient retry resends the same prompt
    assert traces.outcomes == [LlmOutcome.RATE_LIMITED, LlmOutcome.SUCCESS]
    assert 0.4 <= (traces.items[0].retry_delay_seconds or 0) < 0.45
    assert "429" in traces.items[0].error


async def test_429_honours_retry_after_header(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, HttpError(429, retry_after="1"), Text(GOOD_TEXT))
    client = make_client(fake_gemini, traces)
    try:
        await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    first, second = fake_gemini.requests(GENERATE_CONTENT)
    assert second.at - first.at >= 1.0


async def test_persistent_429_ends_resource_exhausted_with_retry_delay(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.set_default(GENERATE_CONTENT, HttpError(429, retry_delay=0.05))
    client = make_client(fake_gemini, traces, max_transient_retries=2)
    try:
        with pytest.raises(ResourceExhausted) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert raised.value.reason == "LLM_RATE_LIMITED"
    assert raised.value.retry_delay_seconds is not None and raised.value.retry_delay_seconds >= 0.05
    assert fake_gemini.count(GENERATE_CONTENT) == 3
    assert traces.outcomes == [LlmOutcome.RATE_LIMITED] * 3


async def test_hint_beyond_the_budget_gives_up_without_waiting(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, HttpError(429, retry_delay=30))
    client = make_client(fake_gemini, traces, total_timeout_seconds=2.0)
    started = time.monotonic()
    try:
        with pytest.raises(ResourceExhausted) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert time.monotonic() - started < 1.0
    assert raised.value.retry_delay_seconds is not None and raised.value.retry_delay_seconds >= 30
    assert fake_gemini.count(GENERATE_CONTENT) == 1


async def test_500_is_retried_with_backoff_until_give_up(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.set_default(GENERATE_CONTENT, HttpError(500))
    client = make_client(fake_gemini, traces, max_transient_retries=3, initial_backoff_seconds=0.1, max_backoff_seconds=1.0)
    try:
        with pytest.raises(Unavailable) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()

    assert raised.value.reason == "LLM_UNAVAILABLE"
    assert raised.value.retry_delay_seconds is not None
    requests = fake_gemini.requests(GENERATE_CONTENT)
    assert len(requests) == 4
    gaps = [b.at - a.at for a, b in zip(requests, requests[1:])]
    # Equal jitter: each wait is between half and all of 0.1, 0.2, 0.4 s.
    for gap, backoff in zip(gaps, (0.1, 0.2, 0.4)):
        assert backoff / 2 <= gap < backoff + 0.3
    assert traces.outcomes == [LlmOutcome.SERVER_ERROR] * 4
    assert all(t.retry_delay_seconds for t in traces.items)


async def test_503_then_reset_then_broken_body_then_success(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, HttpError(503), Reset(), RawBody(b'{"candidates": ['), Text(GOOD_TEXT))
    client = make_client(fake_gemini, traces)
    try:
        result = await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert result.scene_id == "SC001"
    assert traces.outcomes == [LlmOutcome.SERVER_ERROR] * 3 + [LlmOutcome.SUCCESS]


async def test_slow_answer_times_out_then_retry_succeeds(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, Slow(3.0, Text(GOOD_TEXT)), Text(GOOD_TEXT))
    client = make_client(fake_gemini, traces, call_timeout_seconds=0.3)
    started = time.monotonic()
    try:
        result = await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert result.scene_id == "SC001"
    assert time.monotonic() - started < 2.0
    assert traces.outcomes == [LlmOutcome.TIMEOUT, LlmOutcome.SUCCESS]
    assert 0.25 <= traces.items[0].latency_seconds < 1.5


async def test_timeouts_until_the_budget_ends(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.set_default(GENERATE_CONTENT, Slow(5.0, Text(GOOD_TEXT)))
    client = make_client(
        fake_gemini, traces, call_timeout_seconds=0.3, total_timeout_seconds=1.0, max_transient_retries=10
    )
    started = time.monotonic()
    try:
        with pytest.raises(Unavailable) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert raised.value.reason == "LLM_TIMEOUT"
    assert time.monotonic() - started < 2.0
    assert traces.outcomes and set(traces.outcomes) == {LlmOutcome.TIMEOUT}
    # Every attempt is traced; one cut short on the client may never reach the server.
    assert 2 <= fake_gemini.count(GENERATE_CONTENT) <= len(traces.items) <= 4


async def test_blocked_answer_is_retried_but_blocked_prompt_is_not(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, Blocked("candidate"), Text(GOOD_TEXT), Blocked("prompt"))
    client = make_client(fake_gemini, traces)
    try:
        assert (await client.generate(ShotList, "Cut scene SC001.")).scene_id == "SC001"
        assert "blocked" in user_texts(fake_gemini.requests(GENERATE_CONTENT)[1].body)[-1][1]
        with pytest.raises(FailedPrecondition) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert raised.value.reason == "LLM_PROMPT_BLOCKED"
    assert fake_gemini.count(GENERATE_CONTENT) == 3
    assert traces.outcomes == [LlmOutcome.BLOCKED, LlmOutcome.SUCCESS, LlmOutcome.BLOCKED]


async def test_other_4xx_is_not_retried(fake_gemini: FakeGemini, traces: Traces) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, HttpError(400, "Invalid JSON schema", "INVALID_ARGUMENT"))
    client = make_client(fake_gemini, traces)
    try:
        with pytest.raises(FailedPrecondition) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert raised.value.reason == "LLM_REQUEST_REJECTED"
    assert "Invalid JSON schema" in raised.value.message
    assert fake_gemini.count(GENERATE_CONTENT) == 1
    assert traces.outcomes == [LlmOutcome.CLIENT_ERROR]


async def test_wrong_api_key_is_a_rejected_request(fake_gemini: FakeGemini, traces: Traces) -> None:
    client = GeminiJsonClient("wrong-key", base_url=fake_gemini.base_url, trace_sink=traces)
    try:
        with pytest.raises(FailedPrecondition) as raised:
            await client.generate(ShotList, "Cut scene SC001.")
    finally:
        await client.aclose()
    assert "API key not valid" in raised.value.message


async def test_failing_sink_and_debug_logging(fake_gemini: FakeGemini, caplog: pytest.LogCaptureFixture) -> None:
    async def broken_sink(trace: LlmTrace) -> None:
        raise RuntimeError("storage is down")

    fake_gemini.enqueue(GENERATE_CONTENT, Text(GOOD_TEXT))
    client = GeminiJsonClient(
        fake_gemini.api_key, base_url=fake_gemini.base_url, trace_sink=broken_sink, debug_prompts=True
    )
    caplog.set_level(logging.INFO, logger="services.planner.backends.gemini")
    try:
        assert (await client.generate(ShotList, "A very specific prompt text 4711")).scene_id == "SC001"
    finally:
        await client.aclose()
    messages = "\n".join(r.getMessage() for r in caplog.records)
    assert "A very specific prompt text 4711" in messages and GOOD_TEXT in messages
    assert "could not store the LLM trace" in messages


def test_strict_parsing_rejects_what_json_loads_allows() -> None:
    assert parse_json_strictly(' {"a": [1, 2.5]} ') == {"a": [1, 2.5]}
    for text in ('{"a": NaN}', '{"a": 1, "a": 2}', '{"a": 1,}', "[1, 2,]", "```json\n{}\n```"):
        with pytest.raises(ValueError):
            parse_json_strictly(text)


def test_retry_hint_parsing() -> None:
    class FakeError:
        def __init__(self, details: dict, headers: dict) -> None:
            self.details = details
            self.response = type("R", (), {"headers": headers})()

    retry_info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "19s"}
    assert retry_hint_seconds(FakeError({"error": {"details": [retry_info]}}, {"retry-after": "3"})) == 19.0
    assert retry_hint_seconds(FakeError({"error": {"details": []}}, {"retry-after": "3"})) == 3.0
    assert retry_hint_seconds(FakeError({}, {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0
    assert retry_hint_seconds(FakeError({}, {})) is None


def test_importing_the_module_does_not_import_the_sdk() -> None:
    code = (
        "import sys, services.planner.backends.gemini as g; "
        "assert g.LlmTrace and 'google.genai' not in sys.modules, sorted(m for m in sys.modules if 'genai' in m)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
