"""The fake Gemini server's own contract: shapes, strictness and scripting."""

from __future__ import annotations

import base64
import io
import time

import httpx
from PIL import Image

from tests.fakes.gemini_server import (
    GENERATE_CONTENT,
    PREDICT,
    FakeGemini,
    HttpError,
    Slow,
    Text,
    fake_gemini,  # noqa: F401 - pytest fixture
)


def post(fake: FakeGemini, path: str, body: dict, key: str | None = None, timeout: float = 5) -> httpx.Response:
    headers = {"x-goog-api-key": key if key is not None else fake.api_key}
    return httpx.post(f"{fake.base_url}{path}", json=body, headers=headers, timeout=timeout)


def test_errors_have_googles_shape_and_retry_hints(fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, HttpError(429, retry_delay=1.5, retry_after="2"))
    response = post(fake_gemini, "/v1beta/models/m:generateContent", {"contents": [{"parts": [{"text": "hi"}]}]})
    assert response.status_code == 429 and response.headers["retry-after"] == "2"
    error = response.json()["error"]
    assert (error["code"], error["status"]) == (429, "RESOURCE_EXHAUSTED") and error["message"]
    assert error["details"] == [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.5s"}]


def test_wrong_key_unknown_route_and_unknown_parameter_are_rejected(fake_gemini: FakeGemini) -> None:
    wrong_key = post(fake_gemini, "/v1beta/models/m:predict", {"instances": [{"prompt": "x"}]}, key="nope")
    assert wrong_key.status_code == 400
    assert wrong_key.json()["error"]["details"][0]["reason"] == "API_KEY_INVALID"
    assert post(fake_gemini, "/v1beta/models/m:explode", {}).status_code == 404
    unknown = post(fake_gemini, "/v1beta/models/m:predict", {"instances": [{"prompt": "x"}], "parameters": {"seed": 1}})
    assert unknown.status_code == 400 and 'Unknown name "seed"' in unknown.json()["error"]["message"]
    assert len(fake_gemini.requests()) == 3


def test_text_answer_and_imagen_size_per_aspect_ratio(fake_gemini: FakeGemini) -> None:
    fake_gemini.enqueue(GENERATE_CONTENT, Text('{"a": 1,}', prompt_tokens=3, output_tokens=4))
    answer = post(fake_gemini, "/v1beta/models/m:generateContent", {"contents": [{"parts": [{"text": "hi"}]}]}).json()
    assert answer["candidates"][0]["content"]["parts"][0]["text"] == '{"a": 1,}'
    assert answer["usageMetadata"]["promptTokenCount"] == 3
    images = post(fake_gemini, "/v1beta/models/m:predict", {
        "instances": [{"prompt": "x"}], "parameters": {"aspectRatio": "9:16", "sampleCount": 2},
    }).json()["predictions"]
    assert len(images) == 2
    with Image.open(io.BytesIO(base64.b64decode(images[0]["bytesBase64Encoded"]))) as image:
        assert image.size == (768, 1408)
    assert fake_gemini.count(PREDICT) == 1


def test_stop_does_not_wait_for_slow_answers() -> None:
    fake = FakeGemini().start()
    fake.set_default(GENERATE_CONTENT, Slow(30))
    try:
        post(fake, "/v1beta/models/m:generateContent", {"contents": [{"parts": [{"text": "hi"}]}]}, timeout=0.2)
    except httpx.TimeoutException:
        pass
    started = time.monotonic()
    fake.stop()
    assert time.monotonic() - started < 2
