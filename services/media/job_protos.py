"""Jobs ⇄ ``previs.media.v1`` messages: the ``Job`` resource, its items,
costs and errors, and the payloads of ``JobEvent``.

Used by the runner to build events and by the servicer to answer calls; no
``grpc`` here, only message classes.
"""

from __future__ import annotations

from typing import Sequence

from google.protobuf.message import Message

from previs.media.v1 import media_pb2
from services.media.jobs import ErrorReason, Job, JobError, JobItem, JobKind, JobStage, JobState, SpecEcho
from services.runtime.errors import InvalidArgument

BACKEND_NAMES = {
    "local": media_pb2.BACKEND_LOCAL,
    "replicate": media_pb2.BACKEND_REPLICATE,
    "gemini": media_pb2.BACKEND_GEMINI,
}
_BACKEND_BY_ENUM = {number: name for name, number in BACKEND_NAMES.items()}
_SPEC_FIELDS = tuple(field.name for field in media_pb2.Job.DESCRIPTOR.oneofs_by_name["request"].fields)


# ------------------------------------------------------------------ enums
def state_to_proto(state: JobState | None) -> int:
    if state is None:
        return media_pb2.Job.STATE_UNSPECIFIED
    return media_pb2.Job.State.Value(f"STATE_{state.value}")


def state_from_proto(value: int, field: str = "states") -> JobState:
    name = media_pb2.Job.State.Name(value) if value in media_pb2.Job.State.values() else ""
    if not name or value == media_pb2.Job.STATE_UNSPECIFIED:
        raise InvalidArgument.for_field(field, f"{value} is not a job state")
    return JobState(name.removeprefix("STATE_"))


def kind_to_proto(kind: JobKind) -> int:
    return media_pb2.JobKind.Value(f"JOB_KIND_{kind.value}")


def kind_from_proto(value: int, field: str = "kinds") -> JobKind:
    if value not in media_pb2.JobKind.values() or value == media_pb2.JOB_KIND_UNSPECIFIED:
        raise InvalidArgument.for_field(field, f"{value} is not a job kind")
    return JobKind(media_pb2.JobKind.Name(value).removeprefix("JOB_KIND_"))


def backend_to_proto(name: str) -> int:
    """The ``Backend`` value of a backend name; UNSPECIFIED for others (a
    test double, a task)."""
    return BACKEND_NAMES.get(name, media_pb2.BACKEND_UNSPECIFIED)


def backend_from_proto(value: int, field: str = "spec.backend") -> str:
    """The backend name a request asks for; ``""`` for the failover order."""
    if value == media_pb2.BACKEND_UNSPECIFIED:
        return ""
    name = _BACKEND_BY_ENUM.get(value)
    if name is None:
        raise InvalidArgument.for_field(field, f"{value} is not a backend")
    return name


def reason_to_proto(reason: ErrorReason) -> int:
    return media_pb2.JobErrorReason.Value(f"JOB_ERROR_REASON_{reason.value}")


# ------------------------------------------------------------------ spec echo
def spec_echo(spec: Message) -> SpecEcho:
    """The echo of a start call's spec (``FramesSpec`` → field ``frames``...)."""
    for field_name in _SPEC_FIELDS:
        field = media_pb2.Job.DESCRIPTOR.fields_by_name[field_name]
        if field.message_type is spec.DESCRIPTOR:
            return SpecEcho(field_name, spec.SerializeToString(deterministic=True))
    raise TypeError(f"{spec.DESCRIPTOR.full_name} is not a job spec")


# ------------------------------------------------------------------ messages
def _timestamp(target, micros: int | None) -> None:
    if micros is not None:
        target.FromMicroseconds(micros)


def error_to_proto(error: JobError | None) -> media_pb2.JobError | None:
    if error is None:
        return None
    return media_pb2.JobError(
        code=int(error.code),
        message=error.message,
        reason=reason_to_proto(error.reason),
        backend=backend_to_proto(error.backend),
        item_key=error.item_key,
    )


def cost_to_proto(estimated_usd: float, actual_usd: float) -> media_pb2.JobCost:
    return media_pb2.JobCost(estimated_usd=estimated_usd, actual_usd=actual_usd)


def item_to_proto(item: JobItem) -> media_pb2.JobItem:
    message = media_pb2.JobItem(
        key=item.key,
        state=state_to_proto(item.state),
        output_revision=item.output_revision,
        backend=backend_to_proto(item.backend),
        model=item.model,
        cost=cost_to_proto(item.estimated_usd, item.actual_usd),
        progress=item.progress,
        attempts=item.attempts,
    )
    error = error_to_proto(item.error)
    if error is not None:
        message.error.CopyFrom(error)
    return message


def stage_to_proto(stage: JobStage) -> media_pb2.JobStage:
    message = media_pb2.JobStage(
        id=stage.id,
        display_name=stage.display_name,
        state=state_to_proto(stage.state),
        progress=stage.progress,
        message=stage.message,
    )
    _timestamp(message.start_time, stage.start_time_us)
    _timestamp(message.end_time, stage.end_time_us)
    return message


def job_to_proto(job: Job) -> media_pb2.Job:
    """The ``Job`` resource."""
    message = media_pb2.Job(
        name=job.name,
        kind=kind_to_proto(job.kind),
        state=state_to_proto(job.state),
        progress=job.progress,
        current_stage=job.current_stage,
        message=job.message,
        stages=[stage_to_proto(stage) for stage in job.stages],
        items=[item_to_proto(item) for item in job.items],
        cost=cost_to_proto(job.estimated_usd, job.actual_usd),
        output_revisions=job.output_revisions,
        request_id=job.request_id,
        etag=job.etag,
        last_event_sequence=job.last_event_sequence,
    )
    error = error_to_proto(job.error)
    if error is not None:
        message.error.CopyFrom(error)
    _timestamp(message.create_time, job.create_time_us)
    _timestamp(message.start_time, job.start_time_us)
    _timestamp(message.end_time, job.end_time_us)
    _timestamp(message.update_time, job.update_time_us)
    if job.spec.field in _SPEC_FIELDS:
        getattr(message, job.spec.field).MergeFromString(job.spec.payload)
    return message


# ------------------------------------------------------------------ event payloads
def state_change(previous: JobState | None, state: JobState, text: str) -> tuple[str, Message]:
    return "state_change", media_pb2.JobStateChange(
        previous_state=state_to_proto(previous), state=state_to_proto(state), message=text
    )


def progress(fraction: float, stage: str, text: str) -> tuple[str, Message]:
    return "progress", media_pb2.JobProgress(fraction=fraction, stage=stage, message=text)


def item_result(item: JobItem) -> tuple[str, Message]:
    return "item_result", item_to_proto(item)


def cost_update(job: Job) -> tuple[str, Message]:
    return "cost_update", cost_to_proto(job.estimated_usd, job.actual_usd)


def completed(job: Job) -> tuple[str, Message]:
    message = media_pb2.JobCompletion(
        state=state_to_proto(job.state),
        output_revisions=job.output_revisions,
        cost=cost_to_proto(job.estimated_usd, job.actual_usd),
    )
    error = error_to_proto(job.error)
    if error is not None:
        message.error.CopyFrom(error)
    return "completed", message


def make_event(job: Job, sequence: int, time_us: int, payload: tuple[str, Message]) -> media_pb2.JobEvent:
    event = media_pb2.JobEvent(sequence=sequence, job=job.name)
    event.time.FromMicroseconds(time_us)
    field, message = payload
    getattr(event, field).CopyFrom(message)
    return event


def states_from_proto(values: Sequence[int]) -> list[JobState]:
    """A ``ListJobs`` state filter; UNSPECIFIED values are ignored."""
    return [state_from_proto(value, f"states[{index}]") for index, value in enumerate(values) if value]


def kinds_from_proto(values: Sequence[int]) -> list[JobKind]:
    """A ``ListJobs`` kind filter; UNSPECIFIED values are ignored."""
    return [kind_from_proto(value, f"kinds[{index}]") for index, value in enumerate(values) if value]
