"""Bidirectional streaming through the proxy (no public method streams both
ways yet, so the route is built by hand to a raw-bytes upstream): each
response comes back before the next request is sent, so neither direction is
buffered whole; half-close, trailers and errors pass through."""

import asyncio

import grpc
import pytest

from gateway.admission import Admission
from gateway.app import UpstreamChannels, upstream_channel_options
from gateway.proxy import GatewayProxy
from gateway.rate_limits import RateLimiter
from gateway.routes import MethodRoute
from services.runtime.server import start_server
from services.runtime.settings import ServiceSettings

METHOD = "/previs.test.v1.Echo/Chat"


async def _chat(requests, context):
    count = 0
    async for request in requests:
        if request == b"fail":
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, "asked to fail")
        count += 1
        yield b"pong:" + request
    context.set_trailing_metadata((("x-count", str(count)),))


@pytest.fixture
async def echo_upstream():
    server = grpc.aio.server()
    server.add_generic_rpc_handlers(
        [grpc.method_handlers_generic_handler("previs.test.v1.Echo", {"Chat": grpc.stream_stream_rpc_method_handler(_chat)})]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield port
    await server.stop(0)


@pytest.fixture
async def proxied(echo_upstream):
    target = f"127.0.0.1:{echo_upstream}"
    channels = UpstreamChannels(upstream_channel_options(1 << 20, 1.0))
    routes = {METHOD: MethodRoute(METHOD, "previs.test.v1.Echo", target, True, True)}
    proxy = GatewayProxy(routes, channels, Admission(None, RateLimiter(0, 1, 0), None))
    running = await start_server(
        "gateway", ServiceSettings(), [], interceptors=[], generic_handlers=[proxy], reflection_names=[]
    )
    yield running.port
    await running.stop(0)
    await channels.close()


async def test_ping_pong_crosses_the_gateway_message_by_message(proxied):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{proxied}") as channel:
        call = channel.stream_stream(METHOD)(timeout=20)
        for index in range(20):
            await call.write(b"ping-%d" % index)
            assert await asyncio.wait_for(call.read(), 10) == b"pong:ping-%d" % index
        await call.done_writing()
        assert await call.read() == grpc.aio.EOF
        assert await call.code() == grpc.StatusCode.OK
        assert ("x-count", "20") in tuple(await call.trailing_metadata())


async def test_an_upstream_abort_mid_stream_reaches_the_client(proxied):
    async with grpc.aio.insecure_channel(f"127.0.0.1:{proxied}") as channel:
        call = channel.stream_stream(METHOD)(timeout=20)
        await call.write(b"one")
        assert await call.read() == b"pong:one"
        await call.write(b"fail")
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await call.read()
    assert caught.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert caught.value.details() == "asked to fail"
