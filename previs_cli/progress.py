"""Terminal progress for the demo: a bar per step, and job watching that
resumes from the last event sequence when the stream breaks."""

from __future__ import annotations

import sys
import time

import grpc

from previs.media.v1 import media_pb2, media_service_pb2, media_service_pb2_grpc

BAR_WIDTH = 30
TERMINAL_STATES = {media_pb2.Job.STATE_SUCCEEDED, media_pb2.Job.STATE_FAILED, media_pb2.Job.STATE_CANCELLED}


class JobFailed(RuntimeError):
    """A media job ended FAILED or CANCELLED."""


def bar(label: str, fraction: float, note: str = "") -> None:
    """Redraws the step's bar in place on a terminal; in a log or pipe only
    the finished line (from ``done``) is written."""
    if not sys.stdout.isatty():
        return
    filled = int(BAR_WIDTH * max(0.0, min(1.0, fraction)))
    line = f"\r  {label:<26} [{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {fraction * 100:5.1f}% {note[:40]:<40}"
    sys.stdout.write(line)
    sys.stdout.flush()


def done(label: str, note: str) -> None:
    filled = "#" * BAR_WIDTH
    start = "\r" if sys.stdout.isatty() else ""
    sys.stdout.write(f"{start}  {label:<26} [{filled}] 100.0% {note[:40]:<40}\n")
    sys.stdout.flush()


def watch_job(
    stub: media_service_pb2_grpc.MediaServiceStub, job: media_pb2.Job, label: str, metadata, attempts: int = 5
) -> media_pb2.Job:
    """Follows a job's events to its end, resuming after disconnects."""
    last_sequence = 0
    for _attempt in range(attempts):
        try:
            for event in stub.WatchJob(
                media_service_pb2.WatchJobRequest(name=job.name, after_sequence=last_sequence), metadata=metadata
            ):
                last_sequence = event.sequence
                if event.HasField("progress"):
                    bar(label, event.progress.fraction, event.progress.message or event.progress.stage)
            break
        except grpc.RpcError as error:
            if error.code() != grpc.StatusCode.UNAVAILABLE:
                raise
            time.sleep(0.5)
    final = stub.GetJob(media_service_pb2.GetJobRequest(name=job.name), metadata=metadata)
    if final.state != media_pb2.Job.STATE_SUCCEEDED:
        if sys.stdout.isatty():
            sys.stdout.write("\n")
        raise JobFailed(f"{label}: job {final.name} ended {media_pb2.Job.State.Name(final.state)}: {final.error.message}")
    done(label, f"{len(final.output_revisions)} output(s)")
    return final
