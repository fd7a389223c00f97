"""``python -m gateway``: the one public address of previs."""

from gateway.allocator import keep_large_buffers_in_the_heap
from gateway.app import wire
from gateway.settings import GatewaySettings
from services.runtime.service_main import run_service

keep_large_buffers_in_the_heap()
run_service("gateway", GatewaySettings, wire)
