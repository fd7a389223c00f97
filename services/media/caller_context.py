"""Work done for a job acts as the job's owner.

Jobs run in background tasks, also after a restart when no request is being
served. Calls they make to storage and the planner must carry the identity
of whoever started the job (storage checks the tenant on every read and
write) and must not inherit the deadline of the start call that created the
task (it ends long before the job does).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

from services.media.jobs import Job
from services.runtime.request_context import CallIdentity, deadline_var, identity_var, request_id_var


@contextlib.contextmanager
def acting_for(job: Job) -> Iterator[None]:
    """Within the block, internal calls carry the job owner's principal and
    tenant, the job id as request id, and no inherited deadline."""
    tokens = (
        identity_var.set(CallIdentity(principal=job.principal, tenant=job.tenant)),
        deadline_var.set(None),
        request_id_var.set(f"job-{job.job_id}"),
    )
    try:
        yield
    finally:
        for token in reversed(tokens):
            token.var.reset(token)
