"""Wires media: channels to storage and the planner, the backends the
settings enable, the job engine with its hooks (output checks, storing,
prices, budget, the task modules' preparers and local tasks), re-attachment
of jobs a previous process left unfinished, and a clean shutdown.

Replicate is built only with ``replicate_api_token``, Gemini only with
``gemini_api_key`` (their SDKs are imported only then); the local renderer
always. The failover orders keep the configured backends only.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from typing import Awaitable, Callable

from previs.media.v1 import media_service_pb2_grpc
from services.media.animatic_jobs import ANIMATIC_TASK, AnimaticTask, prepare_animatic
from services.media.backends.base import MediaBackend
from services.media.backends.local import LocalBackend, LocalRendererSettings
from services.media.budget import BudgetKeeper
from services.media.character_references import prepare_character_reference
from services.media.config.defaults import MediaDefaults, load_media_defaults
from services.media.costs import PriceCosts
from services.media.frames import prepare_frames
from services.media.image_actions import prepare_edit, prepare_regenerate
from services.media.images import prepare_image
from services.media.job_database import JobDatabase, default_url
from services.media.job_options import RunnerOptions
from services.media.job_runner import JobRunner
from services.media.job_store import JobStore
from services.media.jobs import JobKind
from services.media.output_gate import OutputGate, check_animatic, check_export
from services.media.output_store import OutputStore
from services.media.output_targets import TargetBook
from services.media.planner_client import PlannerClient
from services.media.pricing import PriceTable
from services.media.servicer import SERVICE_NAME, MediaServicer
from services.media.settings import MediaSettings
from services.media.storyboard_jobs import STORYBOARD_TASK, StoryboardTask, prepare_storyboard
from services.media.task_context import TaskContext
from services.media.videos import prepare_video
from services.runtime.channels import internal_channel
from services.runtime.server import ServiceRegistration
from services.runtime.service_main import Dependencies
from services.storage.storage_client import StorageClient

_LOGGER = logging.getLogger(__name__)

Closer = Callable[[], Awaitable[None]]


def build_backends(settings: MediaSettings, defaults: MediaDefaults) -> tuple[dict[str, MediaBackend], list[Closer]]:
    """The backends the settings enable, and how to close them."""
    encoder = defaults.local_renderer
    backends: dict[str, MediaBackend] = {
        "local": LocalBackend(LocalRendererSettings(fps=encoder.fps, x264_preset=encoder.x264_preset, crf=encoder.crf))
    }
    closers: list[Closer] = []
    if settings.replicate_api_token is not None:
        from services.media.backends.replicate import ReplicateBackend

        replicate = ReplicateBackend(
            settings.replicate_api_token.get_secret_value(),
            base_url=settings.replicate_base_url,
            image_model=defaults.model_for("replicate", "image"),
            video_model=defaults.model_for("replicate", "video"),
            poll_interval_seconds=settings.replicate_poll_interval_seconds,
            max_poll_interval_seconds=max(settings.replicate_max_poll_interval_seconds,
                                          settings.replicate_poll_interval_seconds),
            request_timeout_seconds=settings.replicate_request_timeout_seconds,
            video_timeout_seconds=settings.job_timeout_seconds,
        )
        backends["replicate"] = replicate
        closers.append(replicate.aclose)
    if settings.gemini_api_key is not None:
        from services.media.backends.gemini import GeminiMediaBackend

        gemini = GeminiMediaBackend.from_settings(
            settings,
            image_model=defaults.model_for("gemini", "image"),
            video_model=defaults.model_for("gemini", "video"),
            poll_interval_seconds=settings.gemini_poll_interval_seconds,
            max_poll_interval_seconds=max(settings.gemini_max_poll_interval_seconds,
                                          settings.gemini_poll_interval_seconds),
        )
        backends["gemini"] = gemini
        closers.append(gemini.aclose)
    return backends, closers


def runner_options(settings: MediaSettings, configured: set[str]) -> RunnerOptions:
    """The engine's options with failover orders cut to configured backends
    (the local renderer is always configured, so no order is empty unless
    the settings leave it out)."""
    options = RunnerOptions.from_settings(settings)
    image = tuple(name for name in settings.image_backends if name in configured)
    video = tuple(name for name in settings.video_backends if name in configured)
    for kind, order in (("image", image), ("video", video)):
        if not order:
            _LOGGER.warning("no configured backend in the %s failover order %s", kind, list(getattr(settings,
                            f"{kind}_backends")))
    return replace(options, image_backends=image, video_backends=video)


async def wire(settings: MediaSettings) -> Dependencies:
    token = settings.internal_token.get_secret_value() if settings.internal_token else None
    storage_channel = internal_channel(settings.storage_target, token)
    planner_channel = internal_channel(settings.planner_target, token, default_timeout=settings.planner_timeout_seconds)
    storage, planner = StorageClient(storage_channel), PlannerClient(planner_channel)
    defaults = load_media_defaults(settings.defaults_file)
    prices = PriceTable.from_yaml(settings.prices_file)
    backends, backend_closers = build_backends(settings, defaults)
    options = runner_options(settings, set(backends))
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    store = JobStore(JobDatabase(settings.database_url or default_url(settings.data_dir)),
                     write_retry_seconds=settings.jobs_write_retry_seconds)
    targets, budget, costs = TargetBook(store), BudgetKeeper(storage), PriceCosts(prices, defaults)
    context = TaskContext(storage=storage, planner=planner, targets=targets, budget=budget, costs=costs,
                          defaults=defaults, options=options, backends=list(backends))
    gate = OutputGate(context.limits, {ANIMATIC_TASK: check_animatic, STORYBOARD_TASK: check_export})
    preparers = {
        JobKind.FRAMES: lambda job: prepare_frames(context, job),
        JobKind.CHARACTER_REFERENCE: lambda job: prepare_character_reference(context, job),
        JobKind.IMAGE: lambda job: prepare_image(context, job),
        JobKind.VIDEO: lambda job: prepare_video(context, job),
        JobKind.IMAGE_EDIT: lambda job: prepare_edit(context, job),
        JobKind.IMAGE_REGENERATE: lambda job: prepare_regenerate(context, job),
        JobKind.ANIMATIC: lambda job: prepare_animatic(context, job),
        JobKind.STORYBOARD_EXPORT: lambda job: prepare_storyboard(context, job),
    }
    runner = JobRunner(
        store, backends, options,
        on_output=OutputStore(storage, targets), check_output=gate, costs=costs, budget=budget,
        preparers=preparers,
        tasks={ANIMATIC_TASK: AnimaticTask(context, gate), STORYBOARD_TASK: StoryboardTask(context, gate)},
    )
    context.bind(runner)
    budget.bind(runner)
    await store.create_tables()
    await targets.create_table()
    await budget.create_table()
    picked_up = await runner.start()
    holds = await budget.resume()
    _LOGGER.info("media: backends %s, image order %s, video order %s; %d jobs picked up, %d budget holds open",
                 sorted(backends), list(options.image_backends), list(options.video_backends), picked_up, holds)
    servicer = MediaServicer(context)
    registration = ServiceRegistration(
        SERVICE_NAME, lambda server: media_service_pb2_grpc.add_MediaServiceServicer_to_server(servicer, server)
    )

    async def close_jobs() -> None:
        await budget.close()
        await runner.close()
        await store.database.close()

    closers = [close_jobs, *backend_closers, storage_channel.close, planner_channel.close]
    return Dependencies([registration], closers)
