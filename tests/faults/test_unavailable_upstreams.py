"""Upstreams that go away, as real processes killed with SIGKILL.

- While storage, the planner or media is down, the gateway answers
  UNAVAILABLE with an ErrorInfo (not a hang, not UNKNOWN), and the same
  call succeeds again once the process is back on its address.
- A media job in flight while the planner or storage becomes unreachable
  and comes back within the job's retry bounds (media reaches both through
  a TCP link the test cuts and restores) finishes SUCCEEDED, with every
  output readable; while one is killed for good, the job ends FAILED with reason
  BACKEND_UNAVAILABLE, and never stays RUNNING. (Right after a restart a
  start may answer UNAVAILABLE while media reconnects; it is retried.)

The media retry bounds are set so that a 2 s cut fits in them and a
lasting outage ends the job quickly: storing an output is
retried for 8 s, a planner or backend call 6 times with backoff from 0.5 s
to 2 s (about 7.5 s). The default run renders one scene; PREVIS_LONG_TESTS=1
renders the whole project across each outage.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import signal
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from gateway.api_keys import ApiKey, write_keys_file
from previs.media.v1 import media_pb2, media_service_pb2 as mpb, media_service_pb2_grpc as mgrpc
from previs.planner.v1 import planner_pb2, planner_service_pb2 as ppb, planner_service_pb2_grpc as pgrpc
from previs.storage.v1 import storage_pb2, storage_service_pb2 as spb, storage_service_pb2_grpc as sgrpc
from previs_cli.supervisor import Child, Supervisor
from tests.faults.outcomes import Caller, bearer
from tests.faults.tenant_resources import EXAMPLE_SCRIPT
from tests.storage.tcp_proxy import TcpProxy

API_KEY = "pvk_unavailable_upstreams_tenant"
MODULES = {"storage": "services.storage", "planner": "services.planner", "media": "services.media", "gateway": "gateway"}
TERMINAL = {media_pb2.Job.STATE_SUCCEEDED, media_pb2.Job.STATE_FAILED, media_pb2.Job.STATE_CANCELLED}
LONG_RUN = os.environ.get("PREVIS_LONG_TESTS") == "1"
CALL_TIMEOUT = 30.0  # far above any answer here: a call that needs it has hung
MEDIA_BOUNDS = {
    "OUTPUT_RETRY_SECONDS": "8",
    "RETRY_MAX_ATTEMPTS": "6",
    "RETRY_INITIAL_DELAY_SECONDS": "0.5",
    "RETRY_MAX_DELAY_SECONDS": "2",
    "PLANNER_TIMEOUT_SECONDS": "10",
}


@dataclass
class RealSuite:
    """The four processes, each restartable on its own address."""

    data_dir: Path
    supervisor: Supervisor
    token: str = field(default_factory=lambda: secrets.token_urlsafe(24))
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    children: dict[str, Child] = field(default_factory=dict)
    links: dict[str, TcpProxy] = field(default_factory=dict)  # media -> storage / planner, cuttable

    def _env(self, name: str, **values: str) -> dict[str, str]:
        prefix = "GATEWAY" if name == "gateway" else name.upper()
        common = {"LOG_FORMAT": "text", "INTERNAL_TOKEN": self.token, "PORT": "0", "METRICS_PORT": "-1"}
        return {f"PREVIS_{prefix}_{k}": v for k, v in {**common, **values}.items()}

    def _start(self, name: str, env: dict[str, str]) -> None:
        self.envs[name] = env
        self.children[name] = self.supervisor.start(name, MODULES[name], env)

    def start_backends(self) -> None:
        self._start("storage", self._env("storage", DATA_DIR=str(self.data_dir)))
        self._start("planner", self._env("planner", STORAGE_TARGET=self.children["storage"].address))

    def start_front(self, media_links: dict[str, str]) -> None:
        """Media (reaching storage and the planner through ``media_links``)
        and the gateway."""
        keys = self.data_dir / "api-keys.json"
        write_keys_file(keys, [(ApiKey("t", "tenant-t", "tester"), API_KEY)])
        storage, planner = self.children["storage"].address, self.children["planner"].address
        media_env = self._env(
            "media",
            DATA_DIR=str(self.data_dir),
            STORAGE_TARGET=media_links["storage"],
            PLANNER_TARGET=media_links["planner"],
            **MEDIA_BOUNDS,
        )
        self._start("media", media_env)
        gateway_env = self._env(
            "gateway",
            STORAGE_TARGET=storage,
            PLANNER_TARGET=planner,
            MEDIA_TARGET=self.children["media"].address,
            API_KEYS_FILE=str(keys),
            RATE_LIMIT_PER_SECOND="0",
            UPSTREAM_RECONNECT_MAX_SECONDS="1",
        )
        self._start("gateway", gateway_env)

    def kill(self, name: str) -> None:
        child = self.children[name]
        os.kill(child.process.pid, signal.SIGKILL)
        child.process.wait()
        self.supervisor.children.remove(child)

    def restart(self, name: str) -> None:
        """Starts ``name`` again on the port it had."""
        env = {**self.envs[name]}
        env[next(k for k in env if k.endswith("_PORT") and "METRICS" not in k)] = str(self.children[name].port)
        self._start(name, env)
        self.envs[name]["PREVIS_" + ("GATEWAY" if name == "gateway" else name.upper()) + "_PORT"] = "0"

    @property
    def gateway(self) -> str:
        return self.children["gateway"].address


@pytest.fixture
async def suite(tmp_path):
    supervisor = Supervisor(tmp_path / "run")
    running = RealSuite(tmp_path / "data", supervisor)
    try:
        await asyncio.to_thread(running.start_backends)
        for name in ("storage", "planner"):
            link = TcpProxy("127.0.0.1", running.children[name].port)
            await link.start()
            running.links[name] = link
        await asyncio.to_thread(running.start_front, {name: f"127.0.0.1:{link.port}" for name, link in running.links.items()})
        yield running
    finally:
        for link in running.links.values():
            with contextlib.suppress(Exception):
                await link.cut()
        await asyncio.to_thread(supervisor.stop_all, 5.0)


@dataclass
class Seeded:
    project: str
    shot_plan: str
    scene: str


async def _seed(channel: grpc.aio.Channel) -> Seeded:
    md = bearer(API_KEY)
    storage, planner = sgrpc.StorageServiceStub(channel), pgrpc.PlannerServiceStub(channel)
    project = await storage.CreateProject(spb.CreateProjectRequest(project=storage_pb2.Project(title="outages")), metadata=md)
    script = await planner.CreateScript(
        ppb.CreateScriptRequest(parent=project.name, script=planner_pb2.Script(content=EXAMPLE_SCRIPT.read_text())), metadata=md
    )
    plan = await planner.GeneratePlan(
        ppb.GeneratePlanRequest(parent=project.name, screenplay=planner_pb2.ScreenplayBrief(script_revision=script.revision), offline=True),
        metadata=md,
    )
    shots = await planner.GenerateShotPlan(ppb.GenerateShotPlanRequest(plan_revision=plan.revision, offline=True), metadata=md)
    return Seeded(project.name, shots.shot_plan.revision, shots.shot_plan.shots[0].scene_id)


def _probes(seeded: Seeded) -> dict[str, tuple[str, object]]:
    """One read per upstream, by the gateway method that reaches it."""
    return {
        "storage": ("/previs.storage.v1.StorageService/GetProject", spb.GetProjectRequest(name=seeded.project)),
        "planner": ("/previs.planner.v1.PlannerService/GetShotPlan", ppb.GetShotPlanRequest(name=seeded.shot_plan)),
        "media": ("/previs.media.v1.MediaService/ListJobs", mpb.ListJobsRequest(parent=seeded.project)),
    }


def _method(path: str):
    from tests.faults.message_strategies import public_services

    return next(m for s in public_services() for m in s.methods if f"/{s.full_name}/{m.name}" == path)


async def _until_ok(caller: Caller, method, request, attempts: int = 120) -> list[str]:
    """Calls until OK; the codes seen on the way (all must be defined)."""
    seen = []
    for _ in range(attempts):
        outcome = await caller.call(method, request, timeout=CALL_TIMEOUT)
        if outcome.code == grpc.StatusCode.OK:
            return seen
        assert not outcome.problems(), (outcome.method, outcome.problems(), outcome.message)
        seen.append(f"{outcome.code.name} {outcome.reason}")
        await asyncio.sleep(0.25)
    raise AssertionError(f"{method.name} did not recover: {seen[-5:]}")


async def _gateway_answers_unavailable_and_recovers(suite: RealSuite, channel: grpc.aio.Channel, seeded: Seeded) -> None:
    caller = Caller(channel, bearer(API_KEY))
    report = {}
    for name, (path, request) in _probes(seeded).items():
        method = _method(path)
        assert (await caller.call(method, request)).code == grpc.StatusCode.OK
        await asyncio.to_thread(suite.kill, name)
        down = [await caller.call(method, request, timeout=CALL_TIMEOUT) for _ in range(3)]
        for outcome in down:
            assert outcome.code == grpc.StatusCode.UNAVAILABLE, (name, outcome.code, outcome.message)
            assert not outcome.problems(), (name, outcome.problems(), outcome.message)
        await asyncio.to_thread(suite.restart, name)
        on_the_way = await _until_ok(caller, method, request)
        report[name] = ([f"{o.code.name} {o.reason}" for o in down], on_the_way)
    print("\nwhile down -> after restart:")
    for name, (down, on_the_way) in report.items():
        print(f"  {name:8} {down[0]} x{len(down)}; recovered after {len(on_the_way)} more refusals {sorted(set(on_the_way))}")


async def _frames_job(channel: grpc.aio.Channel, seeded: Seeded) -> media_pb2.Job | grpc.aio.AioRpcError:
    request = mpb.GenerateFramesRequest(
        parent=seeded.project,
        spec=media_pb2.FramesSpec(
            shot_plan_revision=seeded.shot_plan,
            scope=media_pb2.FramesScope(type=media_pb2.FramesScope.TYPE_PROJECT)
            if LONG_RUN
            else media_pb2.FramesScope(type=media_pb2.FramesScope.TYPE_SCENE, scene_id=seeded.scene),
            backend=media_pb2.BACKEND_LOCAL,
        ),
        request_id=secrets.token_hex(8),
    )
    try:
        return await mgrpc.MediaServiceStub(channel).GenerateFrames(request, metadata=bearer(API_KEY), timeout=CALL_TIMEOUT)
    except grpc.aio.AioRpcError as error:
        return error


async def _started(channel: grpc.aio.Channel, seeded: Seeded, attempts: int = 120) -> media_pb2.Job:
    """A frames job, once media can start one (right after an upstream
    restarts, media's channel may still be reconnecting: UNAVAILABLE)."""
    for _ in range(attempts):
        job = await _frames_job(channel, seeded)
        if isinstance(job, media_pb2.Job):
            return job
        assert job.code() == grpc.StatusCode.UNAVAILABLE, job
        await asyncio.sleep(0.25)
    raise AssertionError("media did not start a job again")


async def _ended(channel: grpc.aio.Channel, name: str, attempts: int = 600) -> media_pb2.Job:
    stub = mgrpc.MediaServiceStub(channel)
    for _ in range(attempts):
        try:
            job = await stub.GetJob(mpb.GetJobRequest(name=name), metadata=bearer(API_KEY), timeout=CALL_TIMEOUT)
        except grpc.aio.AioRpcError as error:
            assert error.code() == grpc.StatusCode.UNAVAILABLE, error
        else:
            if job.state in TERMINAL:
                return job
        await asyncio.sleep(0.25)
    raise AssertionError(f"{name} did not end")


async def _outputs_readable(channel: grpc.aio.Channel, job: media_pb2.Job) -> int:
    storage = sgrpc.StorageServiceStub(channel)
    for revision in job.output_revisions:
        found = await storage.GetRevision(spb.GetRevisionRequest(name=revision), metadata=bearer(API_KEY), timeout=CALL_TIMEOUT)
        for ref in found.blobs:
            data = b"".join([m.data async for m in storage.DownloadBlob(spb.DownloadBlobRequest(name=ref.blob), metadata=bearer(API_KEY))])
            assert data, ref.blob
    return len(job.output_revisions)


async def _a_job_outlives_a_short_outage_and_fails_typed_on_a_long_one(
    suite: RealSuite, channel: grpc.aio.Channel, seeded: Seeded, upstream: str
) -> None:
    # Unreachable from media for two seconds while the job runs (the link
    # refuses connections and drops the open ones; a process restart would
    # take an unknown time on a loaded machine): it waits and finishes.
    job = await _started(channel, seeded)
    link = suite.links[upstream]
    await link.cut()
    at_kill = await mgrpc.MediaServiceStub(channel).GetJob(mpb.GetJobRequest(name=job.name), metadata=bearer(API_KEY))
    await asyncio.sleep(2.0)
    await link.start()
    ended = await _ended(channel, job.name)
    assert ended.state == media_pb2.Job.STATE_SUCCEEDED, (ended.state, ended.error)
    outputs = await _outputs_readable(channel, ended)

    # Killed (SIGKILL) for good: the job ends FAILED with BACKEND_UNAVAILABLE
    # within its bounds (it never stays RUNNING).
    job = await _started(channel, seeded)
    await asyncio.to_thread(suite.kill, upstream)
    failed = await _ended(channel, job.name)
    outcome_text = f"job {media_pb2.Job.State.Name(failed.state)} {media_pb2.JobErrorReason.Name(failed.error.reason)}"
    assert failed.state == media_pb2.Job.STATE_FAILED, (failed.state, failed.error)
    assert failed.error.reason == media_pb2.JOB_ERROR_REASON_BACKEND_UNAVAILABLE, failed.error
    await asyncio.to_thread(suite.restart, upstream)
    print(
        f"\n{upstream}: cut off for 2 s (job {media_pb2.Job.State.Name(at_kill.state)} at the cut) -> SUCCEEDED, "
        f"{outputs} outputs readable; killed for good -> {outcome_text}"
    )


async def test_upstreams_killed_and_restarted(suite):
    """One suite of real processes (starting one takes seconds): the gateway
    while each upstream is down, then a frames job across a short and a
    long outage of the planner, then of storage."""
    async with grpc.aio.insecure_channel(suite.gateway) as channel:
        seeded = await _seed(channel)
        await _gateway_answers_unavailable_and_recovers(suite, channel, seeded)
        for upstream in ("planner", "storage"):
            await _a_job_outlives_a_short_outage_and_fails_typed_on_a_long_one(suite, channel, seeded, upstream)


async def test_the_gateways_unavailable_carries_details(tmp_path):
    """While an upstream is down the gateway's UNAVAILABLE carries an
    ErrorInfo and names no internal address. (Found here: it used to pass
    gRPC's own connection failure through, with no details.)"""
    from tests.suite import TENANT_A_KEY, in_process_suite

    async with in_process_suite(tmp_path) as running:
        await running.storage.stop(0)
        async with grpc.aio.insecure_channel(running.address("gateway")) as channel:
            outcome = await Caller(channel, bearer(TENANT_A_KEY)).call(
                _method("/previs.storage.v1.StorageService/GetProject"), spb.GetProjectRequest(name="projects/p"), timeout=CALL_TIMEOUT
            )
    assert outcome.code == grpc.StatusCode.UNAVAILABLE
    assert not outcome.problems(), (outcome.problems(), outcome.message)
    assert running.address("storage").split(":")[1] not in outcome.message, outcome.message
