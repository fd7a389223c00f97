"""A scriptable fake of the Gemini API (``v1beta``, API-key mode) for tests.

It follows the public REST shapes closely enough that the real
``google-genai`` SDK talks to it unchanged, pointed at it with
``genai.Client(api_key=fake.api_key, http_options=types.HttpOptions(
base_url=fake.base_url, api_version="v1beta", timeout=...))``:

- ``POST /v1beta/models/{model}:generateContent`` → ``candidates[0].content.
  parts[0].text`` plus ``usageMetadata``.
- ``POST /v1beta/models/{model}:predict`` (Imagen) → ``predictions[]`` with
  ``bytesBase64Encoded`` (a real PNG or JPEG drawn with Pillow at the size
  Imagen uses for the requested aspect ratio, or a scripted size) and
  ``mimeType``.
- ``POST /v1beta/models/{model}:predictLongRunning`` (Veo) →
  ``{"name": "models/{model}/operations/{id}"}``.
- ``GET /v1beta/models/{model}/operations/{id}`` → not done for N polls, then
  done with ``response.generateVideoResponse.generatedSamples[0].video.uri``
  (``{base_url}/v1beta/files/{id}``), a safety result
  (``raiMediaFilteredCount``/``raiMediaFilteredReasons``) or an ``error``.
- ``GET /v1beta/files/{id}:download?alt=media`` → a real H.264 MP4 made with
  the ffmpeg of ``imageio-ffmpeg`` (cached per process and size).

There is no cancel route: google-genai 2.19 has no way to cancel an
operation, so nothing would call it.

Every route has a FIFO queue of scripted behaviours (:meth:`FakeGemini.
enqueue`); when a route's queue is empty its default answers (see
:meth:`FakeGemini.set_default`). Faults (:class:`HttpError` with a RetryInfo
detail and/or ``Retry-After``, :class:`Slow`, :class:`Reset`,
:class:`RawBody`, :class:`Truncated`) can be queued on any route. Errors use
Google's shape ``{"error": {"code", "message", "status", "details"}}``. Every
request is recorded (:meth:`FakeGemini.requests`).

Deliberate strictness, so SDK misuse shows up in tests: a wrong or missing
``x-goog-api-key`` answers 400 ``API_KEY_INVALID`` as the real API does;
unknown ``parameters`` of ``:predict``/``:predictLongRunning`` and
unsupported aspect ratios answer 400 INVALID_ARGUMENT.

Use it as a context manager or through the :func:`fake_gemini` fixture::

    with FakeGemini() as fake:
        fake.enqueue(GENERATE_CONTENT, HttpError(429, retry_delay=0.2), Text('{"a": 1}'))
        client = genai.Client(api_key=fake.api_key, http_options=fake.http_options(timeout_seconds=5))
"""

from __future__ import annotations

import base64
import collections
import io
import json
import re
import secrets
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterator, Union
from urllib.parse import parse_qs, urlsplit

import pytest

GENERATE_CONTENT = "generateContent"
PREDICT = "predict"
PREDICT_LONG_RUNNING = "predictLongRunning"
GET_OPERATION = "getOperation"
DOWNLOAD = "download"
ROUTES = (GENERATE_CONTENT, PREDICT, PREDICT_LONG_RUNNING, GET_OPERATION, DOWNLOAD)

API_VERSION = "v1beta"

# Sizes Imagen answers with per aspect ratio (not exact ratios: 16:9 is 1408x768).
IMAGEN_SIZES: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "3:4": (896, 1280),
    "4:3": (1280, 896),
    "9:16": (768, 1408),
    "16:9": (1408, 768),
}
# Small, but with the right shape: the fake's videos are for tests, not viewing.
VEO_SIZES: dict[str, tuple[int, int]] = {"16:9": (256, 144), "9:16": (144, 256)}

_PREDICT_PARAMETERS = frozenset({
    "sampleCount", "aspectRatio", "guidanceScale", "safetySetting", "personGeneration",
    "includeSafetyAttributes", "includeRaiReason", "language", "outputOptions", "sampleImageSize",
})
_VIDEO_PARAMETERS = frozenset({
    "sampleCount", "durationSeconds", "aspectRatio", "resolution", "personGeneration",
    "negativePrompt", "enhancePrompt",
})
_VIDEO_INSTANCE_FIELDS = frozenset({"prompt", "image", "lastFrame", "video", "referenceImages"})

_STATUS_NAMES = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    408: "DEADLINE_EXCEEDED",
    409: "ABORTED",
    429: "RESOURCE_EXHAUSTED",
    499: "CANCELLED",
    500: "INTERNAL",
    501: "NOT_IMPLEMENTED",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_DEFAULT_MESSAGES = {
    429: "You exceeded your current quota, please check your plan and billing details.",
    500: "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting",
    503: "The model is overloaded. Please try again later.",
}
_TYPE_PREFIX = "type.googleapis.com/google.rpc."
_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


# --------------------------------------------------------------------------- behaviours
@dataclass(frozen=True)
class Text:
    """A ``generateContent`` answer whose first part holds ``text`` verbatim
    (so malformed or trailing-comma JSON is just a string here)."""

    text: str
    prompt_tokens: int = 25
    output_tokens: int | None = None  # default: about len(text) / 4
    thoughts_tokens: int = 0
    finish_reason: str = "STOP"


@dataclass(frozen=True)
class Blocked:
    """An empty, safety-blocked ``generateContent`` answer: ``where="prompt"``
    gives ``promptFeedback.blockReason`` and no candidates; ``"candidate"``
    gives one candidate with ``finishReason`` and no content."""

    where: str = "candidate"
    reason: str = "SAFETY"


@dataclass(frozen=True)
class Images:
    """An Imagen ``:predict`` answer: ``count`` images (default: the request's
    ``sampleCount``) of ``size`` (default: Imagen's size for the requested
    aspect ratio). A wrong-aspect image is ``Images(size=(768, 1408))``."""

    count: int | None = None
    size: tuple[int, int] | None = None
    mime_type: str = "image/png"


@dataclass(frozen=True)
class ImagesFiltered:
    """Every image removed by the safety filter. With ``includeRaiReason`` in
    the request the answer carries ``raiFilteredReason`` entries, otherwise
    it is ``{}`` — both happen with the real API."""

    reason: str = (
        "Your current safety filter threshold filtered out the generated image. "
        "You will not be charged for blocked images."
    )


@dataclass(frozen=True)
class VideoResult:
    """A finished Veo operation with one video of ``seconds`` at ``size``
    (default: from the request's aspect ratio); ``inline`` returns it as
    ``encodedVideo`` bytes instead of a file URI."""

    size: tuple[int, int] | None = None
    seconds: float = 1.0
    inline: bool = False


@dataclass(frozen=True)
class VideoFiltered:
    """A Veo operation that finishes ``done`` without a video (safety)."""

    reasons: tuple[str, ...] = (
        "Unable to generate videos because the prompt or image violates our usage guidelines.",
    )


@dataclass(frozen=True)
class OperationFailed:
    """A Veo operation that finishes with ``error`` (``code`` is a
    google.rpc.Code number, as in a long-running operation)."""

    code: int = 13
    message: str = "Video generation failed due to an internal error."


VideoOutcome = Union[VideoResult, VideoFiltered, OperationFailed]


@dataclass(frozen=True)
class Operation:
    """A ``:predictLongRunning`` answer: the operation is not done for
    ``polls`` GETs, then done with ``outcome``; ``metadata`` is sent on every
    poll when given."""

    polls: int = 2
    outcome: VideoOutcome = field(default_factory=VideoResult)
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class HttpError:
    """A Google-shaped error. ``retry_delay`` adds a ``google.rpc.RetryInfo``
    detail (``"1.5s"``); ``retry_after`` sets the ``Retry-After`` header."""

    code: int = 500
    message: str | None = None
    status: str | None = None
    retry_delay: float | None = None
    retry_after: str | None = None
    details: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Slow:
    """Wait ``seconds`` before answering with ``then`` (default: the route's
    default answer) — past a client timeout the client is gone by then."""

    seconds: float
    then: Any = None


@dataclass(frozen=True)
class Reset:
    """Abort the connection with a TCP RST without answering."""


@dataclass(frozen=True)
class RawBody:
    """Answer ``body`` verbatim (e.g. a JSON body that does not parse)."""

    body: bytes
    status: int = 200
    content_type: str = "application/json; charset=UTF-8"


@dataclass(frozen=True)
class Truncated:
    """Serve a download cut to ``keep_fraction`` of its bytes. With
    ``honest_length`` the Content-Length matches the short body (a complete
    but broken file); without it the connection closes early."""

    keep_fraction: float = 0.5
    honest_length: bool = False


@dataclass(frozen=True)
class Pass:
    """Answer as if nothing were queued (the stateful default); lets a queue
    say "first poll normal, second poll 500"."""


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake received."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    route: str | None
    model: str | None
    at: float


# --------------------------------------------------------------------------- state
@dataclass
class _OperationState:
    name: str
    model: str
    request: dict[str, Any]
    polls_left: int
    outcome: VideoOutcome
    metadata: dict[str, Any] | None
    polls: int = 0
    file_id: str | None = None


@dataclass
class _FileState:
    file_id: str
    data: bytes
    mime_type: str


_VIDEO_CACHE: dict[tuple[int, int, float], bytes] = {}
_VIDEO_CACHE_LOCK = threading.Lock()


def make_mp4(width: int, height: int, seconds: float = 1.0) -> bytes:
    """A real H.264 MP4 (test pattern), cached per process and size."""
    key = (width, height, seconds)
    with _VIDEO_CACHE_LOCK:
        if key in _VIDEO_CACHE:
            return _VIDEO_CACHE[key]
        import imageio_ffmpeg

        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / "clip.mp4"
            subprocess.run(
                [
                    imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                    "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=24:duration={seconds}",
                    "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
                    "-movflags", "+faststart", str(target),
                ],
                check=True,
                timeout=60,
            )
            _VIDEO_CACHE[key] = target.read_bytes()
        return _VIDEO_CACHE[key]


def make_image(width: int, height: int, mime_type: str = "image/png") -> bytes:
    """A real PNG/JPEG with a little structure (so it is not a flat fill)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), (32, 40, 64))
    draw = ImageDraw.Draw(image)
    draw.rectangle((width // 8, height // 4, width // 2, height - height // 8), fill=(200, 160, 90))
    draw.ellipse((width // 2, height // 8, width - width // 8, height // 2), fill=(90, 170, 210))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG" if mime_type == "image/jpeg" else "PNG")
    return buffer.getvalue()


def _new_id(length: int = 12) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


class _Answer(Exception):
    """Raised inside the handler to answer a Google-shaped error."""

    def __init__(self, error: HttpError) -> None:
        super().__init__(error.message)
        self.error = error


# --------------------------------------------------------------------------- server
class FakeGemini:
    """The fake server; see the module docstring."""

    def __init__(self, api_key: str = "fake-gemini-key", host: str = "127.0.0.1") -> None:
        self.api_key = api_key
        self._host = host
        self._lock = threading.Lock()
        self._queues: dict[str, collections.deque[Any]] = {route: collections.deque() for route in ROUTES}
        self._defaults: dict[str, Any] = {
            GENERATE_CONTENT: HttpError(
                400, "fake gemini: no scripted answer for generateContent", "FAILED_PRECONDITION"
            ),
            PREDICT: Images(),
            PREDICT_LONG_RUNNING: Operation(),
            GET_OPERATION: Pass(),
            DOWNLOAD: Pass(),
        }
        self._requests: list[RecordedRequest] = []
        self._operations: dict[str, _OperationState] = {}
        self._files: dict[str, _FileState] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.stopping = threading.Event()

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "FakeGemini":
        server = ThreadingHTTPServer((self._host, 0), _Handler)
        server.daemon_threads = True
        server.fake = self  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-gemini", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FakeGemini":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        return f"http://{self._host}:{self._server.server_address[1]}"

    def http_options(self, timeout_seconds: float = 10.0) -> Any:
        """``types.HttpOptions`` pointing the SDK here (timeout in ms)."""
        from google.genai import types

        return types.HttpOptions(
            base_url=self.base_url, api_version=API_VERSION, timeout=int(timeout_seconds * 1000)
        )

    # ------------------------------------------------------------ scripting
    def enqueue(self, route: str, *behaviours: Any) -> None:
        """Append behaviours to a route's queue; each request pops one."""
        if route not in self._queues:
            raise ValueError(f"unknown route {route!r}; one of {ROUTES}")
        with self._lock:
            self._queues[route].extend(behaviours)

    def set_default(self, route: str, behaviour: Any) -> None:
        """What a route answers once its queue is empty."""
        if route not in self._defaults:
            raise ValueError(f"unknown route {route!r}; one of {ROUTES}")
        with self._lock:
            self._defaults[route] = behaviour

    def pending(self, route: str) -> int:
        """How many scripted behaviours the route has not used yet."""
        with self._lock:
            return len(self._queues[route])

    def requests(self, route: str | None = None) -> list[RecordedRequest]:
        """Recorded requests, oldest first, optionally of one route."""
        with self._lock:
            return [r for r in self._requests if route is None or r.route == route]

    def count(self, route: str) -> int:
        return len(self.requests(route))

    def operation_names(self) -> list[str]:
        with self._lock:
            return list(self._operations)

    def operation_polls(self, name: str) -> int:
        with self._lock:
            return self._operations[name].polls

    # ------------------------------------------------------------ used by the handler
    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    def _next(self, route: str) -> Any:
        with self._lock:
            queue = self._queues[route]
            return queue.popleft() if queue else self._defaults[route]

    def _default(self, route: str) -> Any:
        with self._lock:
            return self._defaults[route]

    def _add_operation(self, model: str, request: dict[str, Any], script: Operation) -> str:
        name = f"models/{model}/operations/{_new_id()}"
        with self._lock:
            self._operations[name] = _OperationState(
                name, model, request, max(0, script.polls), script.outcome, script.metadata
            )
        return name

    def _poll(self, name: str) -> dict[str, Any] | None:
        with self._lock:
            state = self._operations.get(name)
            if state is None:
                return None
            state.polls += 1
            if state.polls_left > 0:
                state.polls_left -= 1
                done = False
            else:
                done = True
        answer: dict[str, Any] = {"name": name}
        if state.metadata is not None:
            answer["metadata"] = state.metadata
        if not done:
            return answer
        answer["done"] = True
        answer.update(self._outcome_body(state))
        return answer

    def _outcome_body(self, state: _OperationState) -> dict[str, Any]:
        outcome = state.outcome
        if isinstance(outcome, OperationFailed):
            return {"error": {"code": outcome.code, "message": outcome.message}}
        response_type = "type.googleapis.com/google.ai.generativelanguage.v1beta.PredictLongRunningResponse"
        if isinstance(outcome, VideoFiltered):
            return {
                "response": {
                    "@type": response_type,
                    "generateVideoResponse": {
                        "raiMediaFilteredCount": len(outcome.reasons),
                        "raiMediaFilteredReasons": list(outcome.reasons),
                    },
                }
            }
        aspect = (state.request.get("parameters") or {}).get("aspectRatio", "16:9")
        width, height = outcome.size or VEO_SIZES.get(aspect, VEO_SIZES["16:9"])
        data = make_mp4(width, height, outcome.seconds)
        if outcome.inline:
            video: dict[str, Any] = {"encodedVideo": base64.b64encode(data).decode(), "encoding": "video/mp4"}
        else:
            file_id = self._file_for(state, data)
            video = {"uri": f"{self.base_url}/{API_VERSION}/files/{file_id}"}
        return {
            "response": {
                "@type": response_type,
                "generateVideoResponse": {"generatedSamples": [{"video": video}]},
            }
        }

    def _file_for(self, state: _OperationState, data: bytes) -> str:
        """The file holding the operation's video (one per operation)."""
        with self._lock:
            if state.file_id is None:
                state.file_id = _new_id()
                self._files[state.file_id] = _FileState(state.file_id, data, "video/mp4")
            return state.file_id

    def _file(self, file_id: str) -> _FileState | None:
        with self._lock:
            return self._files.get(file_id)


_MODEL_METHOD = re.compile(r"^/v1beta/models/([A-Za-z0-9._-]+):(generateContent|predict|predictLongRunning)$")
_OPERATION = re.compile(r"^/v1beta/(models/[A-Za-z0-9._-]+/operations/[a-z0-9]+)$")
_DOWNLOAD = re.compile(r"^/v1beta/files/([a-z0-9]+):download$")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "FakeGemini/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    @property
    def fake(self) -> FakeGemini:
        return self.server.fake  # type: ignore[attr-defined]

    def do_POST(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch("POST")

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        self._dispatch("GET")

    # ------------------------------------------------------------ dispatch
    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        route, model, operation, file_id = self._route(method, parts.path, parse_qs(parts.query))
        body: Any = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        self.fake._record(RecordedRequest(
            method, parts.path, parse_qs(parts.query), {k.lower(): v for k, v in self.headers.items()},
            body, route, model, time.monotonic(),
        ))
        try:
            if route is None:
                raise _Answer(HttpError(404, f"Method not found: {method} {parts.path}", "NOT_FOUND"))
            self._check_key()
            if not isinstance(body, (dict, type(None))):
                raise _Answer(HttpError(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"))
            self._behave(self.fake._next(route), route, model, body or {}, operation, file_id)
        except _Answer as answer:
            self._send_error(answer.error)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _route(
        self, method: str, path: str, query: dict[str, list[str]]
    ) -> tuple[str | None, str | None, str | None, str | None]:
        if method == "POST" and (match := _MODEL_METHOD.match(path)):
            return match.group(2), match.group(1), None, None
        if method == "GET" and (match := _OPERATION.match(path)):
            return GET_OPERATION, match.group(1).split("/")[1], match.group(1), None
        if method == "GET" and (match := _DOWNLOAD.match(path)) and query.get("alt") == ["media"]:
            return DOWNLOAD, None, None, match.group(1)
        return None, None, None, None

    def _check_key(self) -> None:
        if self.headers.get("x-goog-api-key") != self.fake.api_key:
            raise _Answer(HttpError(
                400, "API key not valid. Please pass a valid API key.", "INVALID_ARGUMENT",
                details=({
                    "@type": _TYPE_PREFIX + "ErrorInfo",
                    "reason": "API_KEY_INVALID",
                    "domain": "googleapis.com",
                    "metadata": {"service": "generativelanguage.googleapis.com"},
                },),
            ))

    def _behave(
        self, behaviour: Any, route: str, model: str | None, body: dict[str, Any],
        operation: str | None, file_id: str | None,
    ) -> None:
        if isinstance(behaviour, Slow):
            if self.fake.stopping.wait(behaviour.seconds):
                return
            then = behaviour.then if behaviour.then is not None else self.fake._default(route)
            self._behave(then, route, model, body, operation, file_id)
        elif isinstance(behaviour, HttpError):
            self._send_error(behaviour)
        elif isinstance(behaviour, Reset):
            self._reset()
        elif isinstance(behaviour, RawBody):
            self._send(behaviour.status, behaviour.body, behaviour.content_type)
        elif route == GENERATE_CONTENT:
            self._generate_content(behaviour, body)
        elif route == PREDICT:
            self._predict(behaviour, body)
        elif route == PREDICT_LONG_RUNNING:
            self._predict_long_running(behaviour, model or "", body)
        elif route == GET_OPERATION:
            self._get_operation(behaviour, operation or "")
        elif route == DOWNLOAD:
            self._download(behaviour, file_id or "")
        else:  # pragma: no cover - every route is handled above
            raise AssertionError(route)

    # ------------------------------------------------------------ routes
    def _generate_content(self, behaviour: Any, body: dict[str, Any]) -> None:
        if not body.get("contents"):
            raise _Answer(HttpError(400, "* GenerateContentRequest.contents: contents is not specified", "INVALID_ARGUMENT"))
        if isinstance(behaviour, Blocked):
            self._send_json(_blocked_body(behaviour))
        elif isinstance(behaviour, Text):
            self._send_json(_text_body(behaviour))
        else:
            raise AssertionError(f"{behaviour!r} cannot answer generateContent")

    def _predict(self, behaviour: Any, body: dict[str, Any]) -> None:
        instances = body.get("instances") or [{}]
        parameters = body.get("parameters") or {}
        if not instances[0].get("prompt"):
            raise _Answer(HttpError(400, "A prompt is required.", "INVALID_ARGUMENT"))
        _reject_unknown("parameters", parameters, _PREDICT_PARAMETERS)
        aspect = parameters.get("aspectRatio", "1:1")
        if aspect not in IMAGEN_SIZES:
            raise _Answer(HttpError(400, f"Unsupported aspect ratio: {aspect}", "INVALID_ARGUMENT"))
        if isinstance(behaviour, ImagesFiltered):
            if parameters.get("includeRaiReason"):
                self._send_json({"predictions": [{"raiFilteredReason": behaviour.reason}]})
            else:
                self._send_json({})
            return
        if not isinstance(behaviour, Images):
            raise AssertionError(f"{behaviour!r} cannot answer predict")
        mime = (parameters.get("outputOptions") or {}).get("mimeType") or behaviour.mime_type
        width, height = behaviour.size or IMAGEN_SIZES[aspect]
        count = behaviour.count if behaviour.count is not None else int(parameters.get("sampleCount", 1))
        image = base64.b64encode(make_image(width, height, mime)).decode()
        self._send_json({"predictions": [{"bytesBase64Encoded": image, "mimeType": mime} for _ in range(count)]})

    def _predict_long_running(self, behaviour: Any, model: str, body: dict[str, Any]) -> None:
        if not isinstance(behaviour, Operation):
            raise AssertionError(f"{behaviour!r} cannot answer predictLongRunning")
        instances = body.get("instances") or [{}]
        parameters = body.get("parameters") or {}
        _reject_unknown("instances[0]", instances[0], _VIDEO_INSTANCE_FIELDS)
        _reject_unknown("parameters", parameters, _VIDEO_PARAMETERS)
        if not (instances[0].get("prompt") or instances[0].get("image")):
            raise _Answer(HttpError(400, "A prompt or an image is required.", "INVALID_ARGUMENT"))
        aspect = parameters.get("aspectRatio", "16:9")
        if aspect not in VEO_SIZES:
            raise _Answer(HttpError(400, f"Unsupported aspect ratio: {aspect}", "INVALID_ARGUMENT"))
        duration = parameters.get("durationSeconds", 8)
        if not isinstance(duration, int) or not 4 <= duration <= 8:
            raise _Answer(HttpError(400, f"durationSeconds must be between 4 and 8, got {duration!r}", "INVALID_ARGUMENT"))
        self._send_json({"name": self.fake._add_operation(model, body, behaviour)})

    def _get_operation(self, behaviour: Any, name: str) -> None:
        if not isinstance(behaviour, Pass):
            raise AssertionError(f"{behaviour!r} cannot answer an operation poll")
        answer = self.fake._poll(name)
        if answer is None:
            raise _Answer(HttpError(404, f"Operation {name} not found.", "NOT_FOUND"))
        self._send_json(answer)

    def _download(self, behaviour: Any, file_id: str) -> None:
        file = self.fake._file(file_id)
        if file is None:
            raise _Answer(HttpError(404, f"File files/{file_id} not found.", "NOT_FOUND"))
        if isinstance(behaviour, Truncated):
            keep = file.data[: int(len(file.data) * behaviour.keep_fraction)]
            length = len(keep) if behaviour.honest_length else len(file.data)
            self._send(200, keep, file.mime_type, content_length=length)
            if not behaviour.honest_length:
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if not isinstance(behaviour, Pass):
            raise AssertionError(f"{behaviour!r} cannot answer a download")
        self._send(200, file.data, file.mime_type)

    # ------------------------------------------------------------ writing
    def _send_error(self, error: HttpError) -> None:
        status = error.status or _STATUS_NAMES.get(error.code, "UNKNOWN")
        details = list(error.details)
        if error.retry_delay is not None:
            details.append({"@type": _TYPE_PREFIX + "RetryInfo", "retryDelay": _duration(error.retry_delay)})
        payload: dict[str, Any] = {
            "code": error.code,
            "message": error.message or _DEFAULT_MESSAGES.get(error.code, status),
            "status": status,
        }
        if details:
            payload["details"] = details
        headers = {"Retry-After": error.retry_after} if error.retry_after is not None else {}
        self._send(error.code, json.dumps({"error": payload}).encode(), "application/json; charset=UTF-8", headers=headers)

    def _send_json(self, payload: dict[str, Any]) -> None:
        self._send(200, json.dumps(payload).encode(), "application/json; charset=UTF-8")

    def _send(
        self, status: int, payload: bytes, content_type: str, *,
        headers: dict[str, str] | None = None, content_length: int | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload) if content_length is None else content_length))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
        self.wfile.flush()

    def _reset(self) -> None:
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass


def _reject_unknown(where: str, values: dict[str, Any], known: frozenset[str]) -> None:
    unknown = sorted(set(values) - known)
    if unknown:
        raise _Answer(HttpError(
            400, f'Invalid JSON payload received. Unknown name "{unknown[0]}" at \'{where}\': Cannot find field.',
            "INVALID_ARGUMENT",
        ))


def _text_body(text: Text) -> dict[str, Any]:
    output_tokens = text.output_tokens if text.output_tokens is not None else max(1, len(text.text) // 4)
    usage: dict[str, Any] = {
        "promptTokenCount": text.prompt_tokens,
        "candidatesTokenCount": output_tokens,
        "totalTokenCount": text.prompt_tokens + output_tokens + text.thoughts_tokens,
    }
    if text.thoughts_tokens:
        usage["thoughtsTokenCount"] = text.thoughts_tokens
    return {
        "candidates": [{
            "content": {"parts": [{"text": text.text}], "role": "model"},
            "finishReason": text.finish_reason,
            "index": 0,
        }],
        "usageMetadata": usage,
        "modelVersion": "fake-gemini",
        "responseId": _new_id(16),
    }


def _blocked_body(blocked: Blocked) -> dict[str, Any]:
    usage = {"promptTokenCount": 25, "totalTokenCount": 25}
    if blocked.where == "prompt":
        return {"promptFeedback": {"blockReason": blocked.reason}, "usageMetadata": usage, "modelVersion": "fake-gemini"}
    return {
        "candidates": [{
            "finishReason": blocked.reason,
            "index": 0,
            "safetyRatings": [{"category": "HARM_CATEGORY_DANGEROUS_CONTENT", "probability": "HIGH", "blocked": True}],
        }],
        "usageMetadata": usage,
        "modelVersion": "fake-gemini",
    }


def _duration(seconds: float) -> str:
    """A google.protobuf.Duration in JSON form: ``"1.5s"``, ``"19s"``."""
    text = f"{seconds:.3f}".rstrip("0").rstrip(".")
    return f"{text}s"


@pytest.fixture
def fake_gemini() -> Iterator[FakeGemini]:
    """A started :class:`FakeGemini`, stopped after the test."""
    with FakeGemini() as fake:
        yield fake
