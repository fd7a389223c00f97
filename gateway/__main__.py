"""``python -m gateway``: the one public address of previs."""

from gateway.app import wire
from gateway.settings import GatewaySettings
from services.runtime.service_main import run_service

run_service("gateway", GatewaySettings, wire)
