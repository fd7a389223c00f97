"""Wires the planner: a channel to storage, the LLM when a Gemini key is
set (the offline planner otherwise), and the servicer."""

from __future__ import annotations

import logging

from previs.planner.v1 import planner_service_pb2_grpc
from services.planner.llm_traces import TraceRecorder
from services.planner.planner_store import PlannerStore
from services.planner.planning import Planning
from services.planner.script_assets import ScriptAssets
from services.planner.servicer import SERVICE_NAME, PlannerServicer
from services.planner.settings import PlannerSettings
from services.runtime.channels import internal_channel
from services.runtime.server import ServiceRegistration
from services.runtime.service_main import Dependencies
from services.storage.storage_client import StorageClient

_LOGGER = logging.getLogger(__name__)


async def wire(settings: PlannerSettings) -> Dependencies:
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    storage_channel = internal_channel(settings.storage_target, token)
    store = PlannerStore(StorageClient(storage_channel))
    recorder = TraceRecorder(store)
    closers = [storage_channel.close]
    llm = None
    if settings.gemini_api_key is not None and settings.gemini_api_key.get_secret_value():
        from services.planner.backends.gemini import GeminiJsonClient
        from services.planner.llm_planner import LlmPlanner

        client = GeminiJsonClient.from_settings(settings, trace_sink=recorder)
        closers.insert(0, client.aclose)
        llm = LlmPlanner(client)
        _LOGGER.info("planner uses %s, offline planner on request", llm.generator)
    else:
        _LOGGER.info("no Gemini API key: the offline planner answers every call")
    servicer = PlannerServicer(Planning(store, recorder, llm), ScriptAssets(store))
    registration = ServiceRegistration(
        SERVICE_NAME, lambda server: planner_service_pb2_grpc.add_PlannerServiceServicer_to_server(servicer, server)
    )
    return Dependencies([registration], closers)
