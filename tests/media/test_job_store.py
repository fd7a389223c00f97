"""The jobs database on SQLite and PostgreSQL: batched creates keep request
ids unique, batched saves keep the version check of every job."""

from __future__ import annotations

import asyncio
import uuid
from typing import Iterator

import pytest

from services.media.backends.base import ImageRequest
from services.media.job_database import JobDatabase, default_url
from services.media.job_store import JobStore
from services.media.jobs import Job, JobItem, JobKind, JobState, SpecEcho
from services.runtime.errors import Aborted
from tests.postgres_databases import fresh_database


@pytest.fixture(scope="module")
def postgres_jobs_url() -> Iterator[str]:
    yield from fresh_database("previs_jobs")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def jobs_url(request, tmp_path) -> str:
    return default_url(tmp_path) if request.param == "sqlite" else request.getfixturevalue("postgres_jobs_url")


@pytest.fixture
async def store(jobs_url):
    job_store = JobStore(JobDatabase(jobs_url))
    await job_store.create_tables()
    try:
        yield job_store
    finally:
        await job_store.close()


def _job(project: str, request_id: str = "") -> Job:
    return Job(
        job_id=uuid.uuid4().hex,
        project=project,
        tenant="tenant-a",
        principal="alice",
        kind=JobKind.IMAGE,
        spec=SpecEcho("image", b""),
        request_id=request_id,
        items=[JobItem("output", ImageRequest(prompt="a frame"))],
    )


async def test_creates_written_together_keep_one_job_per_request_id(store):
    project = f"projects/{uuid.uuid4().hex[:8]}"
    fresh = [_job(project, f"r{i}") for i in range(20)]
    retried = [_job(project, "r3"), _job(project, "r3"), _job(project, "")]
    outcomes = await asyncio.gather(*(store.create(job, []) for job in fresh + retried))
    assert [created for _job_, created in outcomes] == [True] * 20 + [False, False, True]
    assert outcomes[20][0].job_id == outcomes[21][0].job_id == fresh[3].job_id
    again, created = await store.create(_job(project, "r7"), [])
    assert not created and again.job_id == fresh[7].job_id
    listed = await store.get("tenant-a", project, fresh[0].job_id)
    assert listed is not None and listed.items[0].key == "output"


async def test_saves_written_together_check_each_jobs_version(store):
    project = f"projects/{uuid.uuid4().hex[:8]}"
    jobs = [_job(project) for _ in range(5)]
    for job in jobs:
        await store.create(job, [])
    saves = []
    for job in jobs:
        job.state, job.version = JobState.RUNNING, 2
        saves.append(store.save(job, job.items, [], previous_version=1))
    # A second save of the same job in the same flush follows the first.
    jobs[0].message, jobs[0].version = "second", 3
    saves.append(store.save(jobs[0], [], [], previous_version=2))
    # A save expecting a version the job has left is refused, alone.
    stale = _job(project)
    stale.job_id, stale.version, stale.message = jobs[1].job_id, 9, "lost"
    saves.append(store.save(stale, [], [], previous_version=1))
    outcomes = await asyncio.gather(*saves, return_exceptions=True)
    assert outcomes[:6] == [None] * 6
    assert isinstance(outcomes[6], Aborted) and outcomes[6].reason == "JOB_VERSION_CONFLICT"
    first = await store.get("tenant-a", project, jobs[0].job_id)
    second = await store.get("tenant-a", project, jobs[1].job_id)
    assert (first.state, first.version, first.message) == (JobState.RUNNING, 3, "second")
    assert (second.version, second.message) == (2, "")
