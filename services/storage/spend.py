"""Spending of paid generations per project, recorded by the media service.

Amounts are integer micro-dollars. Each charge is a row of ``spend_records``
with its request id, so a retried charge is applied once; the project row is
locked while a charge is checked against the budget, so concurrent charges
cannot together overshoot it. Charges on a soft-deleted project are still
recorded: the money was spent.
"""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from services.runtime.errors import InvalidArgument, QuotaViolation, ResourceExhausted
from services.runtime.resource_names import project_name
from services.storage import projects as project_rules
from services.storage.database import Database, now_us
from services.storage.records import Caller, ProjectRecord
from services.storage.schema import projects, spend_records

MAX_MEMO_CHARS = 512


class Spending:
    def __init__(self, database: Database) -> None:
        self._db = database

    async def record(
        self, caller: Caller, project_id: str, *, delta_usd: float, enforce_budget: bool, request_id: str, memo: str
    ) -> ProjectRecord:
        delta = project_rules.usd_to_micros(delta_usd, "delta_usd", allow_negative=True)
        request_id = project_rules.checked_request_id(request_id)
        if len(memo) > MAX_MEMO_CHARS:
            raise InvalidArgument.for_field("memo", f"must be at most {MAX_MEMO_CHARS} characters")

        def charge(conn: Connection) -> ProjectRecord:
            project = project_rules.existing_row(conn, caller.tenant, project_id, lock=True)
            if request_id is not None:
                applied = conn.execute(
                    select(spend_records.c.pk).where(
                        spend_records.c.project_pk == project.pk, spend_records.c.request_id == request_id
                    )
                )
                if applied.first() is not None:
                    return project_rules.record_of(project)
            spent = project.spent_micros + delta
            if enforce_budget and delta > 0 and project.budget_micros and spent > project.budget_micros:
                raise _over_budget(project, delta)
            now = now_us()
            conn.execute(update(projects).where(projects.c.pk == project.pk).values(spent_micros=spent, update_time_us=now))
            conn.execute(
                insert(spend_records).values(
                    project_pk=project.pk,
                    request_id=request_id,
                    delta_micros=delta,
                    memo=memo,
                    actor=caller.principal,
                    create_time_us=now,
                )
            )
            return project_rules.record_of(project_rules.existing_row(conn, caller.tenant, project_id))

        return await self._db.write(charge)


def _over_budget(project, delta: int) -> ResourceExhausted:
    name = project_name(project.project_id)
    usd = project_rules.MICROS_PER_USD
    description = (
        f"charging ${delta / usd:.6f} would bring spending to ${(project.spent_micros + delta) / usd:.6f}, "
        f"over the budget of ${project.budget_micros / usd:.2f}"
    )
    return ResourceExhausted(
        f"{name}: {description}",
        reason="BUDGET_EXCEEDED",
        metadata={"name": name},
        quota_violations=[QuotaViolation(name, description)],
    )
