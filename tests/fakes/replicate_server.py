"""A scriptable fake of the Replicate HTTP API for tests.

It follows the public API's shapes so that the real ``replicate`` SDK can talk
to it through ``replicate.Client(api_token=..., base_url=fake.base_url)``:

- ``POST /v1/models/{owner}/{name}/predictions`` → 201 with a prediction
  object; ``Prefer: wait[=N]`` blocks up to N seconds and answers ``starting``
  when the prediction has not finished (the SDK's ``run()`` treats any other
  status as final).
- ``GET /v1/predictions/{id}``, ``POST /v1/predictions/{id}/cancel``.
- ``GET /v1/predictions``: the account's predictions, newest first,
  ``list_page_size`` a page, as ``{"previous", "next", "results"}`` where
  ``next`` is the URL of the next page (an opaque ``cursor`` parameter, stable
  while new predictions arrive) or null.
- ``POST /v1/files`` (multipart upload used by the SDK for file inputs),
  ``GET /v1/files/{id}`` and ``GET /v1/files/{id}/download``.
- ``GET /files/{id}.png|.jpg|.mp4``: outputs served by the fake itself (real
  PNG/JPEG from Pillow, real H.264 MP4 from the ffmpeg of ``imageio-ffmpeg``).

Statuses go starting → processing → succeeded / failed / canceled / aborted,
one step per poll (``advance="poll"``) or per ``tick_seconds`` of wall time
(``advance="time"``). ``logs`` grow by one tqdm-style percentage line per
processing step; ``metrics.predict_time`` appears once finished. Errors are
``application/problem+json`` (``type, title, status, detail``). Faults
(status codes with headers, connection resets, truncated bodies, delays) are
injected per method and path prefix; ``reset_after`` and ``delay_after`` lose
a create's answer *after* the prediction was made, ``reset`` and ``delay``
before anything was made. Every request is recorded.

Use it as a context manager::

    with FakeReplicate() as fake:
        fake.script("google/veo-3.1", PredictionScript(output="video"))
        fake.add_fault(Fault("POST", "/v1/models/", status=429, headers={"Retry-After": "7"}))
        client = replicate.Client(api_token=fake.api_token, base_url=fake.base_url)

Deliberate strictness: unknown input fields of the two scripted models are
rejected with 422 so that a typo in a backend's input shows up in tests.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import email.parser
import email.policy
import hashlib
import io
import json
import math
import re
import secrets
import socket
import struct
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import parse_qs, urlsplit

IMAGEN_MODEL = "google/imagen-4"
VEO_MODEL = "google/veo-3.1"

CONTENT_POLICY_ERROR = (
    "The input or output was flagged as sensitive. Please try again with different inputs. (E005)"
)

TERMINAL_STATUSES = frozenset({"succeeded", "failed", "canceled", "aborted"})

_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
_PROBLEM_TITLES = {
    400: "Bad request",
    401: "Unauthenticated",
    402: "Payment required",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    422: "Input validation failed",
    429: "Request was throttled",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Gateway timeout",
}


@dataclass
class PredictionScript:
    """How predictions of one model behave.

    ``outcome`` is the final status, or ``"never"`` for a prediction that stays
    ``processing`` forever. ``output`` is ``"auto"`` (an image for imagen, a
    video for veo), ``"image"``, ``"video"``, ``"image_list"``, ``"empty_list"``
    (the NSFW case of replicate-python#397) or ``"none"``. ``output_encoding``
    ``"url"`` serves the file from the fake over plain http; ``"data"`` inlines
    it as a ``data:`` URL (which the SDK turns into a ``FileOutput`` in ``run``).
    ``image_size`` / ``video_size`` default to a small size at the requested
    aspect ratio; set them to return a wrong shape on purpose.
    """

    outcome: str = "succeeded"
    starting_steps: int = 1
    progress: Sequence[int] = (0, 25, 50, 75, 100)
    advance: str = "poll"
    tick_seconds: float = 0.02
    output: str = "auto"
    output_encoding: str = "url"
    image_size: tuple[int, int] | None = None
    video_size: tuple[int, int] | None = None
    video_seconds: float = 1.0
    error: str | None = None
    predict_time: float | None = 1.25


@dataclass
class Fault:
    """A scripted failure for requests whose method matches and whose path
    starts with ``path``; used ``times`` times (``None``: forever).

    ``kind``: ``"status"`` answers ``status`` as problem+json with ``headers``;
    ``"reset"`` resets the TCP connection without answering; ``"truncate"``
    (file downloads) sends the headers and half the body, then closes;
    ``"delay"`` sleeps ``delay_seconds`` and then serves the request normally;
    ``"raw"`` answers 200 with ``body`` verbatim as JSON (e.g. a body that
    does not parse). ``reset``, ``delay`` and ``raw`` strike before the request
    is served (a create makes nothing, or only after the delay); ``"reset_after"``
    serves the request (a create makes its prediction) and then resets without
    answering, ``"delay_after"`` serves it and answers only after
    ``delay_seconds`` (past a client's timeout, the answer is lost).
    """

    method: str
    path: str
    kind: str = "status"
    status: int = 500
    detail: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    times: int | None = 1
    delay_seconds: float = 0.0
    body: bytes = b""


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the fake received it (header names lower-cased)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class _Step:
    status: str
    log_line: str | None = None


@dataclass
class _Prediction:
    id: str
    model: str
    version: str
    input: dict[str, Any]
    script: PredictionScript
    steps: list[_Step]
    created_at: str
    created_monotonic: float
    seq: int = 0
    index: int = 0
    status: str = "starting"
    logs: str = ""
    output: Any = None
    error: str | None = None
    started_at: str | None = None
    completed_at: str | None = None
    metrics: dict[str, Any] = field(default_factory=dict)


class _Answer(Exception):
    """Raised inside a route to answer with a problem+json error."""

    def __init__(self, status: int, detail: str, headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


class FakeReplicate:
    """The fake server; thread-safe; start with ``with`` or ``start()``."""

    def __init__(
        self, *, api_token: str = "r8_fake_test_token", max_wait_seconds: float = 60.0, list_page_size: int = 100
    ) -> None:
        self.api_token = api_token
        self.max_wait_seconds = max_wait_seconds
        self.list_page_size = list_page_size
        self._lock = threading.Condition()
        self._scripts: dict[str, PredictionScript] = {
            IMAGEN_MODEL: PredictionScript(),
            VEO_MODEL: PredictionScript(),
        }
        self._once: dict[str, list[PredictionScript]] = {}
        self._faults: list[Fault] = []
        self._requests: list[RecordedRequest] = []
        self._predictions: dict[str, _Prediction] = {}
        self._files: dict[str, tuple[str, bytes]] = {}
        self._uploads: dict[str, dict[str, Any]] = {}
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = False

    # ----------------------------------------------------------- lifecycle
    def start(self) -> "FakeReplicate":
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-replicate", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> "FakeReplicate":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ----------------------------------------------------------- scripting
    def script(self, model: str, script: PredictionScript) -> None:
        """Behaviour of predictions created from now on for ``model``."""
        with self._lock:
            self._scripts[model] = script

    def script_once(self, model: str, *scripts: PredictionScript) -> None:
        """Behaviours of the next predictions created for ``model``, one
        each, before :meth:`script`'s applies again."""
        with self._lock:
            self._once.setdefault(model, []).extend(scripts)

    def add_fault(self, fault: Fault) -> None:
        """Queue a fault (a copy: its use count is the fake's, not the caller's)."""
        with self._lock:
            self._faults.append(dataclasses.replace(fault, headers=dict(fault.headers)))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def backdate(self, prediction_id: str, seconds: float) -> None:
        """Move a prediction's ``created_at`` ``seconds`` into the past."""
        with self._lock:
            prediction = self._predictions[prediction_id]
            created = datetime.strptime(prediction.created_at, _TIME_FORMAT).replace(tzinfo=timezone.utc)
            prediction.created_at = _format_time(created - timedelta(seconds=seconds))
            prediction.created_monotonic -= seconds

    def advance(self, prediction_id: str, steps: int = 1) -> None:
        """Move a prediction forward by hand (e.g. while nobody polls)."""
        with self._lock:
            prediction = self._predictions[prediction_id]
            for _ in range(steps):
                self._step(prediction)
            self._lock.notify_all()

    # ----------------------------------------------------------- inspection
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def count(self, method: str, path_prefix: str = "/") -> int:
        """How many requests with this method and path prefix arrived."""
        return sum(1 for r in self.requests if r.method == method and r.path.startswith(path_prefix))

    def create_count(self, model: str | None = None) -> int:
        """Create requests received (answered or not), for one model or all."""
        prefix = f"/v1/models/{model}/predictions" if model else "/v1/models/"
        return sum(
            1
            for r in self.requests
            if r.method == "POST" and r.path.startswith(prefix) and r.path.endswith("/predictions")
        )

    def list_count(self) -> int:
        """``GET /v1/predictions`` requests received (every page counts)."""
        return sum(1 for r in self.requests if r.method == "GET" and r.path == "/v1/predictions")

    def cancel_count(self, prediction_id: str | None = None) -> int:
        return sum(
            1
            for r in self.requests
            if r.method == "POST"
            and r.path.endswith("/cancel")
            and (prediction_id is None or r.path == f"/v1/predictions/{prediction_id}/cancel")
        )

    @property
    def prediction_ids(self) -> list[str]:
        with self._lock:
            return list(self._predictions)

    def prediction(self, prediction_id: str) -> dict[str, Any]:
        """The prediction as the API would show it now (without advancing)."""
        with self._lock:
            return self._to_json(self._predictions[prediction_id])

    def uploaded(self, file_id: str) -> bytes:
        with self._lock:
            return self._uploads[file_id]["content"]

    def upload_ids(self) -> list[str]:
        with self._lock:
            return list(self._uploads)

    # ----------------------------------------------------------- request path
    def _record(self, request: RecordedRequest) -> Fault | None:
        with self._lock:
            self._requests.append(request)
            for fault in self._faults:
                if fault.method == request.method and request.path.startswith(fault.path):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _check_auth(self, headers: dict[str, str]) -> None:
        scheme, _, token = headers.get("authorization", "").partition(" ")
        if scheme.lower() not in ("bearer", "token") or not secrets.compare_digest(token, self.api_token):
            raise _Answer(401, "You did not pass a valid authentication token")

    def _route(
        self, method: str, path: str, headers: dict[str, str], body: bytes, query: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        if method == "GET" and path.startswith("/files/"):
            return self._serve_output(path)
        self._check_auth(headers)
        if method == "GET" and path == "/v1/predictions":
            return self._json(200, self._list(query))
        if method == "POST" and (m := re.fullmatch(r"/v1/models/([^/]+)/([^/]+)/predictions", path)):
            return self._json(201, self._create(f"{m[1]}/{m[2]}", _parse_json(body), headers.get("prefer", "")))
        if method == "GET" and (m := re.fullmatch(r"/v1/predictions/([a-z0-9]+)", path)):
            return self._json(200, self._get(m[1]))
        if method == "POST" and (m := re.fullmatch(r"/v1/predictions/([a-z0-9]+)/cancel", path)):
            return self._json(200, self._cancel(m[1]))
        if method == "POST" and path == "/v1/files":
            return self._json(201, self._upload(headers.get("content-type", ""), body))
        if method == "GET" and (m := re.fullmatch(r"/v1/files/([a-z0-9]+)(/download)?", path)):
            return self._file_info(m[1], bool(m[2]))
        raise _Answer(404, "The requested resource could not be found.")

    def _json(self, status: int, payload: Any) -> tuple[int, dict[str, str], bytes]:
        return status, {"Content-Type": "application/json"}, json.dumps(payload).encode()

    # ----------------------------------------------------------- predictions
    def _create(self, model: str, body: Any, prefer: str) -> dict[str, Any]:
        with self._lock:
            script = self._scripts.get(model)
            once = self._once.get(model)
            if script is not None and once:
                script = once.pop(0)
        if script is None:
            raise _Answer(404, f"Model {model} not found.")
        if not isinstance(body, dict) or not isinstance(body.get("input"), dict):
            raise _Answer(422, "- input: input is required", invalid_fields=[{"field": "input"}])
        self._validate_input(model, body["input"])
        wait_seconds = _parse_prefer_wait(prefer, self.max_wait_seconds)
        with self._lock:
            prediction = self._new_prediction(model, body["input"], script)
            self._predictions[prediction.id] = prediction
            if wait_seconds is not None:
                self._block_until_final(prediction, wait_seconds)
            payload = self._to_json(prediction)
        if wait_seconds is not None and payload["status"] not in TERMINAL_STATUSES:
            payload["status"] = "starting"  # what Replicate answers for an unfinished blocking create
        return payload

    def _block_until_final(self, prediction: _Prediction, wait_seconds: float) -> None:
        """Hold a ``Prefer: wait`` create; the prediction keeps moving meanwhile."""
        deadline = time.monotonic() + wait_seconds
        while prediction.status not in TERMINAL_STATUSES and not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            self._lock.wait(min(remaining, prediction.script.tick_seconds))
            if prediction.script.advance == "poll":
                self._step(prediction)
            else:
                self._sync_time(prediction)

    def _new_prediction(self, model: str, input_: dict[str, Any], script: PredictionScript) -> _Prediction:
        steps = [_Step("starting") for _ in range(max(script.starting_steps, 0))]
        total = len(script.progress)
        for i, pct in enumerate(script.progress):
            steps.append(_Step("processing", _progress_line(pct, i, total)))
        if script.outcome != "never":
            steps.append(_Step(script.outcome))
        if not steps:
            steps.append(_Step("processing"))
        prediction = _Prediction(
            id="".join(secrets.choice(_ID_ALPHABET) for _ in range(26)),
            model=model,
            version=hashlib.sha256(model.encode()).hexdigest(),
            input=input_,
            script=script,
            steps=steps,
            created_at=_now(),
            created_monotonic=time.monotonic(),
            seq=len(self._predictions) + 1,
        )
        self._apply(prediction, steps[0])
        return prediction

    def _list(self, query: str) -> dict[str, Any]:
        """A page of predictions, newest first. The cursor names the first
        prediction of its page by (created_at, seq), so predictions created
        between two page reads neither repeat nor shift an item."""
        start = _decode_cursor(parse_qs(query).get("cursor", [""])[0])
        with self._lock:
            ordered = sorted(self._predictions.values(), key=_list_key, reverse=True)
            rest = [p for p in ordered if start is None or _list_key(p) <= start]
            page, more = rest[: self.list_page_size], rest[self.list_page_size :]
            for prediction in page:
                if prediction.script.advance == "time":
                    self._sync_time(prediction)
            results = [self._to_json(p) for p in page]
        following = f"{self.base_url}/v1/predictions?cursor={_encode_cursor(_list_key(more[0]))}" if more else None
        return {"previous": None, "next": following, "results": results}

    def _get(self, prediction_id: str) -> dict[str, Any]:
        with self._lock:
            prediction = self._find(prediction_id)
            if prediction.script.advance == "poll":
                self._step(prediction)
            else:
                self._sync_time(prediction)
            return self._to_json(prediction)

    def _cancel(self, prediction_id: str) -> dict[str, Any]:
        with self._lock:
            prediction = self._find(prediction_id)
            if prediction.script.advance == "time":
                self._sync_time(prediction)
            if prediction.status not in TERMINAL_STATUSES:
                prediction.status = "canceled"
                prediction.completed_at = _now()
                prediction.logs += "Prediction canceled.\n"
                self._lock.notify_all()
            return self._to_json(prediction)

    def _find(self, prediction_id: str) -> _Prediction:
        prediction = self._predictions.get(prediction_id)
        if prediction is None:
            raise _Answer(404, "The requested resource could not be found.")
        return prediction

    def _sync_time(self, prediction: _Prediction) -> None:
        elapsed = time.monotonic() - prediction.created_monotonic
        target = int(elapsed / max(prediction.script.tick_seconds, 1e-6))
        while prediction.index < target and prediction.status not in TERMINAL_STATUSES:
            if not self._step(prediction):
                return

    def _step(self, prediction: _Prediction) -> bool:
        """Advance one step; False when there is nothing left to do."""
        if prediction.status in TERMINAL_STATUSES or prediction.index + 1 >= len(prediction.steps):
            return False
        prediction.index += 1
        self._apply(prediction, prediction.steps[prediction.index])
        return True

    def _apply(self, prediction: _Prediction, step: _Step) -> None:
        if step.status == "processing" and prediction.started_at is None:
            prediction.started_at = _now()
            prediction.logs += "Starting prediction\n"
        if step.log_line:
            prediction.logs += step.log_line + "\n"
        if step.status in TERMINAL_STATUSES:
            self._finish(prediction, step.status)
        else:
            prediction.status = step.status

    def _finish(self, prediction: _Prediction, status: str) -> None:
        script = prediction.script
        if status == "succeeded":
            prediction.output = self._make_output(prediction)
        elif status == "failed":
            prediction.error = script.error or "Prediction failed."
            prediction.logs += f"Error: {prediction.error}\n"
        prediction.started_at = prediction.started_at or _now()
        prediction.completed_at = _now()
        if status in ("succeeded", "failed"):
            elapsed = time.monotonic() - prediction.created_monotonic
            prediction.metrics = {
                "predict_time": script.predict_time if script.predict_time is not None else round(elapsed, 6),
                "total_time": round(elapsed, 6),
            }
        prediction.status = status
        self._lock.notify_all()

    def _to_json(self, prediction: _Prediction) -> dict[str, Any]:
        base = self.base_url
        return {
            "id": prediction.id,
            "model": prediction.model,
            "version": prediction.version,
            "input": prediction.input,
            "logs": prediction.logs,
            "output": prediction.output,
            "data_removed": False,
            "error": prediction.error,
            "status": prediction.status,
            "source": "api",
            "created_at": prediction.created_at,
            "started_at": prediction.started_at,
            "completed_at": prediction.completed_at,
            "urls": {
                "get": f"{base}/v1/predictions/{prediction.id}",
                "cancel": f"{base}/v1/predictions/{prediction.id}/cancel",
                "web": f"{base}/p/{prediction.id}",
            },
            "metrics": dict(prediction.metrics),
        }

    # ----------------------------------------------------------- outputs
    def _make_output(self, prediction: _Prediction) -> Any:
        script = prediction.script
        kind = script.output
        if kind == "auto":
            kind = "video" if prediction.model == VEO_MODEL else "image"
        if kind == "none":
            return None
        if kind == "empty_list":
            return []
        if kind in ("image", "image_list"):
            fmt = "jpg" if prediction.input.get("output_format") in ("jpg", "jpeg") else "png"
            size = script.image_size or _size_for(prediction.input.get("aspect_ratio", "1:1"), 256)
            url = self._publish(fmt, _render_image(size, fmt), script.output_encoding)
            return [url] if kind == "image_list" else url
        if kind == "video":
            size = script.video_size or _size_for(prediction.input.get("aspect_ratio", "16:9"), 180)
            return self._publish("mp4", _render_video(size, script.video_seconds), script.output_encoding)
        raise ValueError(f"unknown scripted output {kind!r}")

    def _publish(self, ext: str, content: bytes, encoding: str) -> str:
        content_type = _CONTENT_TYPES[ext]
        if encoding == "data":
            return f"data:{content_type};base64,{base64.b64encode(content).decode()}"
        file_id = secrets.token_hex(8)
        self._files[f"{file_id}.{ext}"] = (content_type, content)
        return f"{self.base_url}/files/{file_id}.{ext}"

    def _serve_output(self, path: str) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            found = self._files.get(path.removeprefix("/files/"))
        if found is None:
            raise _Answer(404, "The requested resource could not be found.")
        content_type, content = found
        return 200, {"Content-Type": content_type}, content

    # ----------------------------------------------------------- files API
    def _upload(self, content_type: str, body: bytes) -> dict[str, Any]:
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
        )
        part = next(
            (p for p in message.iter_parts() if p.get_param("name", header="content-disposition") == "content"),
            None,
        ) if message.is_multipart() else None
        if part is None:
            raise _Answer(422, "- content: a file part named 'content' is required")
        content = part.get_payload(decode=True) or b""
        file_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(12))
        info = {
            "id": file_id,
            "name": part.get_filename() or "file",
            "content_type": part.get_content_type(),
            "size": len(content),
            "etag": hashlib.md5(content).hexdigest(),  # noqa: S324 - mirrors the API's etag
            "checksums": {"sha256": hashlib.sha256(content).hexdigest(), "md5": hashlib.md5(content).hexdigest()},  # noqa: S324
            "metadata": {},
            "created_at": _now(),
            "expires_at": None,
            "urls": {"get": f"{self.base_url}/v1/files/{file_id}"},
        }
        with self._lock:
            self._uploads[file_id] = {**info, "content": content}
        return info

    def _file_info(self, file_id: str, download: bool) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            upload = self._uploads.get(file_id)
        if upload is None:
            raise _Answer(404, "The requested resource could not be found.")
        if download:
            return 200, {"Content-Type": upload["content_type"]}, upload["content"]
        return self._json(200, {k: v for k, v in upload.items() if k != "content"})

    # ----------------------------------------------------------- input checks
    def _validate_input(self, model: str, input_: dict[str, Any]) -> None:
        spec = _INPUT_SPECS.get(model)
        if spec is None:
            return
        problems: list[tuple[str, str]] = []
        for name in input_:
            if name not in spec:
                problems.append((name, f"Additional property {name} is not allowed"))
        if not isinstance(input_.get("prompt"), str) or not input_["prompt"].strip():
            problems.append(("prompt", "prompt is required"))
        for name, allowed in spec.items():
            if name in input_ and allowed is not None and not self._allowed(name, input_[name], allowed):
                problems.append((name, f"{name} is not valid: {input_[name]!r}"))
        if model == VEO_MODEL and input_.get("reference_images"):
            if input_.get("aspect_ratio", "16:9") != "16:9" or input_.get("duration", 8) != 8:
                problems.append(("reference_images", "reference images only work with 16:9 and 8 seconds"))
        if problems:
            detail = "".join(f"- input.{name}: {why}\n" for name, why in problems)
            raise _Answer(422, detail, invalid_fields=[{"field": f"input.{n}", "message": w} for n, w in problems])

    def _allowed(self, name: str, value: Any, allowed: Any) -> bool:
        if allowed == "file":
            return self._is_file_ref(value)
        if allowed == "files":
            return isinstance(value, list) and 1 <= len(value) <= 3 and all(self._is_file_ref(v) for v in value)
        if isinstance(allowed, type):
            return isinstance(value, allowed) and not (allowed is int and isinstance(value, bool))
        return value in allowed

    def _is_file_ref(self, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        if value.startswith("data:"):
            return ";base64," in value
        if value.startswith(f"{self.base_url}/v1/files/"):
            with self._lock:
                return value.rsplit("/", 1)[-1] in self._uploads
        return value.startswith("https://") or value.startswith("http://")


_INPUT_SPECS: dict[str, dict[str, Any]] = {
    IMAGEN_MODEL: {
        "prompt": str,
        "aspect_ratio": ("1:1", "9:16", "16:9", "3:4", "4:3"),
        "safety_filter_level": ("block_low_and_above", "block_medium_and_above", "block_only_high"),
        "output_format": ("jpg", "png"),
    },
    VEO_MODEL: {
        "prompt": str,
        "aspect_ratio": ("16:9", "9:16"),
        "duration": (4, 6, 8),
        "image": "file",
        "last_frame": "file",
        "reference_images": "files",
        "negative_prompt": str,
        "resolution": ("720p", "1080p"),
        "generate_audio": bool,
        "seed": int,
    },
}

_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "mp4": "video/mp4"}


class _Handler(BaseHTTPRequestHandler):
    """Reads a request, records it, applies faults, routes it."""

    fake: FakeReplicate
    protocol_version = "HTTP/1.1"
    timeout = 10

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_GET(self) -> None:  # noqa: N802 - stdlib naming
        self._handle()

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        self._handle()

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        headers = {k.lower(): v for k, v in self.headers.items()}
        request = RecordedRequest(self.command, parts.path, parts.query, headers, body, time.monotonic())
        fault = self.fake._record(request)
        if fault is not None and fault.kind == "reset":
            self._reset()
            return
        if fault is not None and fault.kind == "raw":
            self._send(200, {"Content-Type": "application/json"}, fault.body)
            return
        if fault is not None and fault.kind == "status":
            self._send_problem(_Answer(fault.status, fault.detail or _default_detail(fault.status), fault.headers))
            return
        if fault is not None and fault.kind == "delay":
            time.sleep(fault.delay_seconds)
        try:
            status, out_headers, payload = self.fake._route(self.command, parts.path, headers, body, parts.query)
        except _Answer as answer:
            status, out_headers, payload = _problem(answer)
        if fault is not None and fault.kind == "reset_after":
            self._reset()
            return
        if fault is not None and fault.kind == "delay_after":
            time.sleep(fault.delay_seconds)
            with contextlib.suppress(OSError):  # the client has usually given up by now
                self._send(status, out_headers, payload)
            return
        if fault is not None and fault.kind == "truncate":
            self._send(status, out_headers, payload, truncate=True)
            return
        self._send(status, out_headers, payload)

    def _send_problem(self, answer: _Answer) -> None:
        self._send(*_problem(answer))

    def _send(self, status: int, headers: dict[str, str], payload: bytes, *, truncate: bool = False) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if truncate:
            self.wfile.write(payload[: len(payload) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self.wfile.write(payload)

    def _reset(self) -> None:
        """Abort the connection with a TCP RST (SO_LINGER 0), answering nothing."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        self.close_connection = True


def _problem(answer: _Answer) -> tuple[int, dict[str, str], bytes]:
    problem = {
        "type": f"https://replicate.com/docs/reference/http#{answer.status}",
        "title": _PROBLEM_TITLES.get(answer.status, "Error"),
        "status": answer.status,
        "detail": answer.detail,
        **answer.extra,
    }
    headers = {"Content-Type": "application/problem+json", **answer.headers}
    return answer.status, headers, json.dumps(problem).encode()


def _default_detail(status: int) -> str:
    if status == 429:
        return "Request was throttled. Expected available in 1 second."
    return _PROBLEM_TITLES.get(status, "Error")


def _parse_json(body: bytes) -> Any:
    try:
        return json.loads(body or b"null")
    except ValueError as exc:
        raise _Answer(400, f"The request body is not valid JSON: {exc}") from exc


def _parse_prefer_wait(prefer: str, max_wait: float) -> float | None:
    """``Prefer: wait`` → the cap; ``wait=N`` → N seconds (1..60, capped)."""
    for token in (t.strip() for t in prefer.split(",")):
        if token == "wait":
            return max_wait
        if token.startswith("wait="):
            try:
                return min(max(float(token[5:]), 1.0), 60.0, max_wait)
            except ValueError:
                raise _Answer(400, f"Invalid Prefer header: {prefer}") from None
    return None


def _progress_line(pct: int, index: int, total: int) -> str:
    """A tqdm-style line, the shape the SDK's ``Prediction.progress`` parses."""
    bar = ("█" * (pct // 10)).ljust(10)
    return f"{pct:3d}%|{bar}| {pct}/100 [00:{index:02d}<00:{max(total - index - 1, 0):02d}, 1.00it/s]"


_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def _now() -> str:
    return _format_time(datetime.now(timezone.utc))


def _format_time(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_TIME_FORMAT)


def _list_key(prediction: _Prediction) -> tuple[str, int]:
    return prediction.created_at, prediction.seq


def _encode_cursor(key: tuple[str, int]) -> str:
    return base64.urlsafe_b64encode(f"{key[0]}|{key[1]}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[str, int] | None:
    if not cursor:
        return None
    try:
        created_at, _, seq = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition("|")
        return created_at, int(seq)
    except ValueError:
        raise _Answer(400, f"Invalid cursor: {cursor}") from None


def _size_for(aspect_ratio: str, short_side: int) -> tuple[int, int]:
    try:
        w, h = (float(x) for x in str(aspect_ratio).split(":"))
    except ValueError:
        w, h = 1.0, 1.0
    if w >= h:
        return _even(short_side * w / h), short_side
    return short_side, _even(short_side * h / w)


def _even(value: float) -> int:
    return int(math.ceil(value / 2) * 2)


_RENDER_CACHE: dict[tuple[Any, ...], bytes] = {}
_RENDER_LOCK = threading.Lock()


def _render_image(size: tuple[int, int], fmt: str) -> bytes:
    key = ("image", size, fmt)
    with _RENDER_LOCK:
        if key in _RENDER_CACHE:
            return _RENDER_CACHE[key]
    from PIL import Image, ImageDraw

    width, height = size
    image = Image.new("RGB", size, (40, 60, 90))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(70, 90, 60))
    draw.ellipse((width // 3, height // 4, width // 2, height // 2), fill=(230, 200, 120))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG" if fmt == "jpg" else "PNG")
    with _RENDER_LOCK:
        _RENDER_CACHE[key] = buffer.getvalue()
    return buffer.getvalue()


def _render_video(size: tuple[int, int], seconds: float) -> bytes:
    key = ("video", size, seconds)
    with _RENDER_LOCK:
        if key in _RENDER_CACHE:
            return _RENDER_CACHE[key]
    import imageio_ffmpeg

    width, height = size
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "out.mp4"
        subprocess.run(  # noqa: S603 - fixed arguments, our own binary
            [
                imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
                "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=12:duration={seconds}",
                "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(target),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
        content = target.read_bytes()
    with _RENDER_LOCK:
        _RENDER_CACHE[key] = content
    return content


def unused_loopback_url() -> str:
    """A loopback URL on which nothing listens (for "backend down" tests)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"
