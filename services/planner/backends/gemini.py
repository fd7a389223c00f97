"""Structured JSON answers from Gemini through ``google-genai``, validated with pydantic.

:class:`GeminiJsonClient` asks ``client.aio.models.generate_content`` for
``application/json`` constrained by ``response_json_schema`` (the pydantic
model's JSON schema, passed through unchanged; the SDK's ``response_schema``
conversion of a pydantic class rejects common constraints such as
``Field(gt=0)``), parses the text strictly (no trailing commas, NaN or
duplicate keys) and validates it with pydantic plus an optional semantic
check supplied by the caller (ids in range, references that exist).

Reliability, all bounded:

- invalid or blocked answers are retried with the problems fed back to the
  model as the next turn of the conversation, ``max_output_attempts`` answers
  in all, then :class:`FailedPrecondition` ``LLM_OUTPUT_INVALID``;
- 429, 5xx, timeouts and broken connections are retried with exponential
  backoff and jitter, waiting at least the server's hint (``RetryInfo``
  detail or ``Retry-After``), at most ``max_transient_retries`` times, then
  :class:`ResourceExhausted` ``LLM_RATE_LIMITED`` or :class:`Unavailable`
  (``LLM_UNAVAILABLE``/``LLM_TIMEOUT``), both with a retry delay;
- every call has a timeout (the SDK's default is none) and the whole
  ``generate`` has a time budget; no attempt starts with less than a
  quarter of the call timeout (at most 2 s) of it left;
- other 4xx answers are not retried: :class:`FailedPrecondition`
  ``LLM_REQUEST_REJECTED``.

Every attempt produces an :class:`LlmTrace` handed to the caller's async
sink (the planner stores them as trace revisions). ``google.genai`` is
imported only when a client is built, so importing :class:`LlmTrace` stays
cheap.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Iterable, TypeVar

import pydantic

from services.runtime.errors import FailedPrecondition, ResourceExhausted, Unavailable
from services.runtime.retry_hints import google_retry_hint as retry_hint_seconds

if TYPE_CHECKING:
    from services.planner.settings import PlannerSettings

_LOGGER = logging.getLogger(__name__)

ModelT = TypeVar("ModelT", bound=pydantic.BaseModel)

DEFAULT_MODEL = "gemini-2.5-pro"
_MAX_REPORTED_ERRORS = 20
_MAX_ECHOED_ANSWER_CHARS = 60_000
_BLOCK_FINISH_REASONS = frozenset({
    "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "IMAGE_SAFETY", "LANGUAGE",
})


class LlmOutcome(enum.Enum):
    """How one LLM call ended; values are the suffixes of the planner proto's
    ``LlmTrace.Outcome`` (``OUTCOME_<value>``)."""

    SUCCESS = "SUCCESS"
    INVALID_OUTPUT = "INVALID_OUTPUT"
    RATE_LIMITED = "RATE_LIMITED"
    SERVER_ERROR = "SERVER_ERROR"
    TIMEOUT = "TIMEOUT"
    BLOCKED = "BLOCKED"
    CLIENT_ERROR = "CLIENT_ERROR"


@dataclass(frozen=True)
class LlmTrace:
    """One attempt of one LLM call (fields as in the planner proto's ``LlmTrace``).

    ``prompt`` is everything sent (system instruction and every turn);
    ``output_tokens`` includes thinking tokens (they are billed as output),
    which ``thinking_tokens`` also gives alone.
    """

    model: str
    purpose: str
    prompt: str
    response: str
    input_tokens: int
    output_tokens: int
    latency_seconds: float
    attempt: int
    outcome: LlmOutcome
    error: str = ""
    request_id: str = ""
    finish_reason: str = ""
    thinking_tokens: int = 0
    retry_delay_seconds: float | None = None
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))


TraceSink = Callable[[LlmTrace], Awaitable[None]]
"""Receives every :class:`LlmTrace`; a failing sink is logged, never fatal."""

OutputCheck = Callable[[Any], Iterable[str]]
"""Semantic check of a validated answer; returns problems (empty when fine)."""


@dataclass
class _Attempt:
    """What one call produced, before it becomes a trace."""

    outcome: LlmOutcome
    response: str = ""
    error: str = ""
    value: Any = None
    input_tokens: int = 0
    output_tokens: int = 0
    thinking_tokens: int = 0
    finish_reason: str = ""
    retry_hint: float | None = None
    feedback: str = ""
    prompt_blocked: bool = False


class GeminiJsonClient:
    """Typed JSON generation with bounded retries; see the module docstring.

    One instance per event loop (the SDK's async HTTP client binds to it);
    ``await aclose()`` on shutdown. ``rng`` makes backoff jitter
    reproducible in tests.
    """

    def __init__(
        self,
        api_key: str,
        *,
        model: str = DEFAULT_MODEL,
        base_url: str | None = None,
        api_version: str = "v1beta",
        call_timeout_seconds: float = 120.0,
        total_timeout_seconds: float = 600.0,
        max_output_attempts: int = 3,
        max_transient_retries: int = 4,
        initial_backoff_seconds: float = 1.0,
        max_backoff_seconds: float = 30.0,
        temperature: float | None = None,
        max_output_tokens: int | None = None,
        trace_sink: TraceSink | None = None,
        debug_prompts: bool = False,
        rng: random.Random | None = None,
    ) -> None:
        if not api_key:
            raise ValueError("api_key is required")
        if not model or "/" in model.removeprefix("models/"):
            raise ValueError(f"bad model name {model!r}")
        if not (call_timeout_seconds > 0 and total_timeout_seconds > 0):
            raise ValueError("timeouts must be > 0")
        if max_output_attempts < 1 or max_transient_retries < 0:
            raise ValueError("max_output_attempts must be >= 1 and max_transient_retries >= 0")
        if not 0 < initial_backoff_seconds <= max_backoff_seconds:
            raise ValueError("need 0 < initial_backoff_seconds <= max_backoff_seconds")
        from google import genai
        from google.genai import types

        self.model = model
        self._types = types
        self._client = genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=base_url,
                api_version=api_version,
                timeout=_millis(call_timeout_seconds),
            ),
        )
        self._call_timeout = call_timeout_seconds
        # An attempt with less time than this left is not started.
        self._min_attempt_seconds = min(call_timeout_seconds / 4, 2.0)
        self._total_timeout = total_timeout_seconds
        self._max_output_attempts = max_output_attempts
        self._max_transient_retries = max_transient_retries
        self._initial_backoff = initial_backoff_seconds
        self._max_backoff = max_backoff_seconds
        self._temperature = temperature
        self._max_output_tokens = max_output_tokens
        self._trace_sink = trace_sink
        self._debug_prompts = debug_prompts
        self._rng = rng or random.Random()
        self._schemas: dict[type[pydantic.BaseModel], dict[str, Any]] = {}

    @classmethod
    def from_settings(cls, settings: "PlannerSettings", trace_sink: TraceSink | None = None) -> "GeminiJsonClient":
        """Built from the planner's settings; the time budget of one
        ``generate`` is one call timeout per attempt plus one for backoff."""
        if settings.gemini_api_key is None:
            raise ValueError("gemini_api_key is not set")
        return cls(
            settings.gemini_api_key.get_secret_value(),
            model=settings.gemini_model,
            base_url=settings.gemini_base_url,
            call_timeout_seconds=settings.llm_timeout_seconds,
            total_timeout_seconds=settings.llm_timeout_seconds * (settings.llm_max_attempts + 1),
            max_output_attempts=settings.llm_max_attempts,
            trace_sink=trace_sink,
            debug_prompts=settings.llm_debug_prompts,
        )

    async def aclose(self) -> None:
        await self._client.aio.aclose()

    # ------------------------------------------------------------ public
    async def generate(
        self,
        output_type: type[ModelT],
        prompt: str,
        *,
        purpose: str = "",
        request_id: str = "",
        system_instruction: str | None = None,
        check: Callable[[ModelT], Iterable[str]] | None = None,
        strict: bool | None = None,
    ) -> ModelT:
        """Asks for one ``output_type`` answer to ``prompt``.

        ``check`` returns semantic problems of a schema-valid answer (fed
        back like validation errors); ``strict`` is pydantic's strict mode.
        Raises :class:`FailedPrecondition`, :class:`ResourceExhausted` or
        :class:`Unavailable` as described in the module docstring.
        """
        if not prompt.strip():
            raise ValueError("prompt is empty")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._total_timeout
        turns: list[tuple[str, str]] = [("user", prompt)]
        attempt = invalid_answers = transient_failures = 0
        last: _Attempt | None = None
        while True:
            remaining = deadline - loop.time()
            if remaining < self._min_attempt_seconds:
                raise self._out_of_time(last)
            attempt += 1
            started_at, started = datetime.now(timezone.utc), time.monotonic()
            last = result = await self._call(
                output_type, turns, system_instruction, min(self._call_timeout, remaining), check, strict
            )
            delay = None
            if result.outcome in _TRANSIENT:
                transient_failures += 1
                delay = self._delay(transient_failures, result.retry_hint)
            await self._trace(
                result, turns, system_instruction, attempt, time.monotonic() - started,
                purpose, request_id, started_at, delay,
            )
            if result.outcome is LlmOutcome.SUCCESS:
                return result.value
            self._raise_if_final(result)
            if delay is None:  # an invalid or blocked answer: ask again with the problems
                invalid_answers += 1
                if invalid_answers >= self._max_output_attempts:
                    raise self._invalid(result, output_type, invalid_answers, attempt)
                turns = _with_feedback(turns, result)
                continue
            if transient_failures > self._max_transient_retries:
                raise self._exhausted(result, delay, f"after {transient_failures} failed calls")
            if loop.time() + delay + self._min_attempt_seconds > deadline:
                raise self._exhausted(result, delay, "and the next retry would pass the time budget")
            _LOGGER.info(
                "LLM call %s attempt %d failed (%s); retrying in %.2fs",
                purpose or output_type.__name__, attempt, result.outcome.value, delay,
            )
            await asyncio.sleep(delay)

    # ------------------------------------------------------------ one call
    async def _call(
        self,
        output_type: type[ModelT],
        turns: list[tuple[str, str]],
        system_instruction: str | None,
        timeout: float,
        check: Callable[[ModelT], Iterable[str]] | None,
        strict: bool | None,
    ) -> _Attempt:
        from google.genai import errors
        import httpx

        types = self._types
        config = types.GenerateContentConfig(
            response_mime_type="application/json",
            response_json_schema=self._schema(output_type),
            system_instruction=system_instruction,
            temperature=self._temperature,
            max_output_tokens=self._max_output_tokens,
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
            http_options=types.HttpOptions(timeout=_millis(timeout)),
        )
        contents = [types.Content(role=role, parts=[types.Part(text=text)]) for role, text in turns]
        if self._debug_prompts:
            _LOGGER.info("LLM prompt to %s:\n%s", self.model, _render_prompt(turns, system_instruction))
        try:
            # The SDK timeout bounds each socket operation; this bounds the whole
            # call (asyncio.timeout, not wait_for: see docs/CONVENTIONS.md).
            async with asyncio.timeout(timeout + 1.0):
                response = await self._client.aio.models.generate_content(model=self.model, contents=contents, config=config)
        except errors.APIError as exc:
            return _from_api_error(exc)
        except (asyncio.TimeoutError, httpx.TimeoutException):
            return _Attempt(LlmOutcome.TIMEOUT, error=f"no answer within {timeout:.1f}s")
        except (httpx.TransportError, json.JSONDecodeError) as exc:
            return _Attempt(LlmOutcome.SERVER_ERROR, error=f"{type(exc).__name__}: {exc}")
        except ValueError as exc:  # the SDK refusing our own request
            return _Attempt(LlmOutcome.CLIENT_ERROR, error=f"{type(exc).__name__}: {exc}")
        result = _read_response(response)
        if self._debug_prompts:
            _LOGGER.info("LLM answer from %s (%s):\n%s", self.model, result.finish_reason, result.text)
        if result.outcome is not None:
            return result.outcome_attempt()
        return _validated(result.as_attempt(), output_type, check, strict)

    def _schema(self, output_type: type[pydantic.BaseModel]) -> dict[str, Any]:
        schema = self._schemas.get(output_type)
        if schema is None:
            schema = self._schemas[output_type] = output_type.model_json_schema()
        return schema

    def _delay(self, failures: int, hint: float | None) -> float:
        """Exponential backoff with equal jitter; never shorter than the hint."""
        backoff = min(self._max_backoff, self._initial_backoff * 2 ** (failures - 1))
        jittered = backoff / 2 + self._rng.uniform(0, backoff / 2)
        if hint is None:
            return jittered
        return hint + self._rng.uniform(0, min(hint, self._initial_backoff) * 0.1)

    async def _trace(
        self,
        result: _Attempt,
        turns: list[tuple[str, str]],
        system_instruction: str | None,
        attempt: int,
        latency: float,
        purpose: str,
        request_id: str,
        started_at: datetime,
        delay: float | None,
    ) -> None:
        trace = LlmTrace(
            model=self.model,
            purpose=purpose,
            prompt=_render_prompt(turns, system_instruction),
            response=result.response,
            input_tokens=result.input_tokens,
            output_tokens=result.output_tokens,
            latency_seconds=latency,
            attempt=attempt,
            outcome=result.outcome,
            error=result.error,
            request_id=request_id,
            finish_reason=result.finish_reason,
            thinking_tokens=result.thinking_tokens,
            retry_delay_seconds=delay,
            started_at=started_at,
        )
        _LOGGER.debug(
            "LLM %s attempt %d: %s in %.2fs, %d/%d tokens", purpose, attempt, result.outcome.value,
            latency, trace.input_tokens, trace.output_tokens,
        )
        if self._trace_sink is None:
            return
        try:
            await self._trace_sink(trace)
        except Exception:  # noqa: BLE001 - a lost trace must not fail the planner call
            _LOGGER.warning("could not store the LLM trace of attempt %d", attempt, exc_info=True)

    # ------------------------------------------------------------ giving up
    def _raise_if_final(self, result: _Attempt) -> None:
        """Answers no retry can change: a refused request or a blocked prompt."""
        if result.outcome is LlmOutcome.CLIENT_ERROR:
            raise FailedPrecondition(
                f"the LLM refused the request: {result.error}",
                reason="LLM_REQUEST_REJECTED",
                metadata={"model": self.model},
            )
        if result.prompt_blocked:
            raise FailedPrecondition(
                f"the LLM blocked the prompt: {result.error}",
                reason="LLM_PROMPT_BLOCKED",
                metadata={"model": self.model},
            )

    def _invalid(self, result: _Attempt, output_type: type, answers: int, attempts: int) -> FailedPrecondition:
        return FailedPrecondition(
            f"the LLM gave no valid {output_type.__name__} in {answers} answers; last problem: {result.error}",
            reason="LLM_OUTPUT_INVALID",
            metadata={"model": self.model, "attempts": str(attempts), "last_outcome": result.outcome.value},
        )

    def _exhausted(self, result: _Attempt, delay: float, why: str) -> ResourceExhausted | Unavailable:
        message = f"the LLM failed {why}: {result.error}"
        if result.outcome is LlmOutcome.RATE_LIMITED:
            return ResourceExhausted(
                message, reason="LLM_RATE_LIMITED", metadata={"model": self.model}, retry_delay_seconds=delay
            )
        reason = "LLM_TIMEOUT" if result.outcome is LlmOutcome.TIMEOUT else "LLM_UNAVAILABLE"
        return Unavailable(message, reason=reason, metadata={"model": self.model}, retry_delay_seconds=delay)

    def _out_of_time(self, last: _Attempt | None) -> Exception:
        if last is not None and last.outcome in _TRANSIENT:
            return self._exhausted(last, self._initial_backoff, "within the time budget")
        detail = f"; last problem: {last.error}" if last is not None else ""
        return Unavailable(
            f"the LLM gave no valid answer within {self._total_timeout:.1f}s{detail}",
            reason="LLM_TIMEOUT",
            metadata={"model": self.model},
            retry_delay_seconds=self._initial_backoff,
        )


_TRANSIENT = frozenset({LlmOutcome.RATE_LIMITED, LlmOutcome.SERVER_ERROR, LlmOutcome.TIMEOUT})


# --------------------------------------------------------------------------- responses
@dataclass
class _Read:
    """The text and bookkeeping of a response; ``outcome`` is set when the
    response is unusable before parsing (blocked or empty)."""

    text: str
    finish_reason: str
    input_tokens: int
    output_tokens: int
    thinking_tokens: int
    outcome: LlmOutcome | None = None
    error: str = ""
    prompt_blocked: bool = False

    def as_attempt(self) -> _Attempt:
        return _Attempt(
            LlmOutcome.SUCCESS, response=self.text, input_tokens=self.input_tokens,
            output_tokens=self.output_tokens, thinking_tokens=self.thinking_tokens,
            finish_reason=self.finish_reason,
        )

    def outcome_attempt(self) -> _Attempt:
        attempt = self.as_attempt()
        attempt.outcome = self.outcome or LlmOutcome.INVALID_OUTPUT
        attempt.error = self.error
        attempt.feedback = self.error
        attempt.prompt_blocked = self.prompt_blocked
        return attempt


def _read_response(response: Any) -> _Read:
    usage = response.usage_metadata
    thinking = (usage.thoughts_token_count or 0) if usage else 0
    read = _Read(
        text="",
        finish_reason="",
        input_tokens=(usage.prompt_token_count or 0) if usage else 0,
        output_tokens=((usage.candidates_token_count or 0) + thinking) if usage else 0,
        thinking_tokens=thinking,
    )
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        read.outcome = LlmOutcome.BLOCKED
        read.prompt_blocked = True
        read.error = f"prompt blocked ({_enum_name(feedback.block_reason)})"
        return read
    candidate = response.candidates[0] if response.candidates else None
    if candidate is None:
        read.outcome, read.error = LlmOutcome.INVALID_OUTPUT, "the answer had no candidate"
        return read
    read.finish_reason = _enum_name(candidate.finish_reason) if candidate.finish_reason else ""
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    read.text = "".join(part.text for part in parts if part.text and not part.thought)
    if not read.text.strip():
        if read.finish_reason in _BLOCK_FINISH_REASONS:
            read.outcome = LlmOutcome.BLOCKED
            read.error = f"the answer was blocked (finish reason {read.finish_reason})"
        else:
            read.outcome = LlmOutcome.INVALID_OUTPUT
            read.error = f"the answer was empty (finish reason {read.finish_reason or 'none'})"
    return read


def _validated(
    attempt: _Attempt,
    output_type: type[ModelT],
    check: Callable[[ModelT], Iterable[str]] | None,
    strict: bool | None,
) -> _Attempt:
    problems: list[str]
    try:
        data = parse_json_strictly(attempt.response)
        attempt.value = output_type.model_validate(data, strict=strict)
        problems = list(check(attempt.value)) if check is not None else []
    except ValueError as exc:  # json.JSONDecodeError and pydantic.ValidationError are ValueErrors
        problems = _describe(exc)
    if not problems:
        return attempt
    attempt.value = None
    attempt.outcome = LlmOutcome.INVALID_OUTPUT
    shown = problems[:_MAX_REPORTED_ERRORS]
    if len(problems) > len(shown):
        shown.append(f"... and {len(problems) - len(shown)} more problems")
    if attempt.finish_reason == "MAX_TOKENS":
        shown.insert(0, "the answer was cut off at the output token limit; give a shorter, complete answer")
    attempt.error = "; ".join(shown)
    attempt.feedback = "\n".join(f"- {line}" for line in shown)
    return attempt


def parse_json_strictly(text: str) -> Any:
    """``json.loads`` that also rejects NaN/Infinity and duplicate keys."""
    return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_reject_duplicates)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _describe(exc: ValueError) -> list[str]:
    if isinstance(exc, json.JSONDecodeError):
        return [f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"]
    if isinstance(exc, pydantic.ValidationError):
        return [f"{_location(error['loc'])}: {error['msg']}" for error in exc.errors(include_url=False)]
    return [str(exc)]


def _location(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(root)"


def _with_feedback(turns: list[tuple[str, str]], result: _Attempt) -> list[tuple[str, str]]:
    """The conversation plus the bad answer and what was wrong with it."""
    answer = result.response[:_MAX_ECHOED_ANSWER_CHARS]
    feedback = (
        "Your previous answer could not be used:\n"
        f"{result.feedback or result.error}\n"
        "Answer again with the complete JSON value only, valid against the response schema. "
        "Fix exactly these problems and keep everything else."
    )
    if not answer.strip():
        answer = "(no answer)"
    return [*turns, ("model", answer), ("user", feedback)]


def _render_prompt(turns: list[tuple[str, str]], system_instruction: str | None) -> str:
    blocks = [f"[system]\n{system_instruction}"] if system_instruction else []
    blocks.extend(f"[{role}]\n{text}" for role, text in turns)
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------- errors
def _from_api_error(exc: Any) -> _Attempt:
    code = int(getattr(exc, "code", 0) or 0)
    error = f"HTTP {code} {exc.status or ''}: {exc.message or ''}".strip()
    if code == 429:
        return _Attempt(LlmOutcome.RATE_LIMITED, error=error, retry_hint=retry_hint_seconds(exc))
    if code >= 500 or code == 408:
        return _Attempt(LlmOutcome.SERVER_ERROR, error=error, retry_hint=retry_hint_seconds(exc))
    return _Attempt(LlmOutcome.CLIENT_ERROR, error=error)




def _enum_name(value: Any) -> str:
    return str(getattr(value, "value", value))


def _millis(seconds: float) -> int:
    return max(1, int(seconds * 1000))
