"""Local renderer throughput, measured in one run:

- storyboard panels per second (compose + PNG encode, 1280x720) through
  ``LocalBackend.generate_image``;
- video frames per second of camera-move clips (720p, 24 fps, H.264) through
  ``LocalBackend.generate_video``, per kind of movement;
- the time to render the animatic of a 30-shot storyboard (3 s a shot,
  720p, 24 fps, captions) from its PNG frames, for the configured x264
  preset and any others asked for.

Each figure comes with the CPU seconds spent in this process and in ffmpeg,
and the load average, because wall time on a shared machine says little
alone. Usage:
    python bench/media_render.py [--shots 30] [--seconds 3] [--presets superfast,veryfast] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.media.animatic import AnimaticShot, render_animatic, shot_caption  # noqa: E402
from services.media.backends.base import ImageRequest, PanelSpec, VideoRequest  # noqa: E402
from services.media.backends.local import LocalBackend  # noqa: E402
from services.media.clips import EncoderSettings  # noqa: E402
from services.media.config.defaults import load_media_defaults  # noqa: E402

SIZES = ("EXTREME_WIDE", "WIDE", "FULL", "MEDIUM_WIDE", "MEDIUM", "MEDIUM_CLOSE_UP", "CLOSE_UP", "EXTREME_CLOSE_UP",
         "INSERT", "OVER_THE_SHOULDER", "POINT_OF_VIEW")
ANGLES = ("EYE_LEVEL", "HIGH", "LOW", "EYE_LEVEL", "DUTCH", "OVERHEAD", "WORMS_EYE")
# A plausible mix for a short film: many static shots, some moves, a few zooms.
MOVES = ("STATIC", "PUSH_IN", "STATIC", "PAN_RIGHT", "STATIC", "TRACKING", "PULL_OUT", "STATIC", "TILT_UP", "HANDHELD")
TIMES = ("NIGHT", "NIGHT", "DAY", "DUSK", "MORNING")


def storyboard(shots: int, seconds: float) -> list[PanelSpec]:
    return [
        PanelSpec(shot_id=f"S{index + 1:03d}", scene_id=f"SC{index // 6 + 1:03d}", shot_size=SIZES[index % len(SIZES)],
                  camera_angle=ANGLES[index % len(ANGLES)], camera_movement=MOVES[index % len(MOVES)],
                  screen_direction=("LEFT_TO_RIGHT", "RIGHT_TO_LEFT", "NEUTRAL")[index % 3],
                  time_of_day=TIMES[index % len(TIMES)], location=f"LOCATION {index // 6}",
                  characters=("Sarah", "Tom")[: 1 + index % 2], props=("flashlight",),
                  description=f"Beat {index + 1}: Sarah searches the warehouse for the hidden door.",
                  dialogue="Wait... this changes everything." if index % 3 == 0 else "",
                  lens_mm=35.0, duration_seconds=seconds)
        for index in range(shots)
    ]


class Meter:
    """Wall time and CPU of this process and of its finished children."""

    def __enter__(self) -> "Meter":
        self._self, self._children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        self._start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self._start
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        self.python_cpu = own.ru_utime + own.ru_stime - self._self.ru_utime - self._self.ru_stime
        self.ffmpeg_cpu = children.ru_utime + children.ru_stime - self._children.ru_utime - self._children.ru_stime


async def _ignore(*_args) -> None:
    return None


async def bench_panels(backend: LocalBackend, specs: list[PanelSpec], out: Path) -> tuple[dict, list[Path]]:
    paths = []
    with Meter() as meter:
        for spec in specs:
            output = await backend.generate_image(ImageRequest(prompt="", panel=spec), out, _ignore, _ignore)
            paths.append(output.path)
    return {"panels": len(specs), "seconds": round(meter.wall, 3), "panels_per_second": round(len(specs) / meter.wall, 1),
            "python_cpu_s": round(meter.python_cpu, 2)}, paths


async def bench_clips(backend: LocalBackend, out: Path, seconds: int) -> list[dict]:
    results = []
    for movement in ("STATIC", "PAN_RIGHT", "HANDHELD", "PUSH_IN"):
        spec = PanelSpec(shot_id="S001", shot_size="MEDIUM", camera_movement=movement, characters=("Sarah", "Tom"),
                         time_of_day="DUSK", location="DOCKS", description="Two-shot on the pier.")
        with Meter() as meter:
            output = await backend.generate_video(VideoRequest(prompt="", panel=spec, duration_seconds=seconds),
                                                  out, _ignore, _ignore)
        frames = int(output.extra["frames"])
        results.append({"movement": movement, "frames": frames, "seconds": round(meter.wall, 3),
                        "frames_per_second": round(frames / meter.wall, 1), "python_cpu_s": round(meter.python_cpu, 2),
                        "ffmpeg_cpu_s": round(meter.ffmpeg_cpu, 2), "bytes": output.path.stat().st_size})
    return results


def bench_animatic(paths: list[Path], specs: list[PanelSpec], out: Path, preset: str, fps: int, crf: int,
                   resolution: str) -> dict:
    shots = [AnimaticShot(path, spec.duration_seconds, spec.camera_movement, shot_caption(spec.shot_id, spec.dialogue),
                          spec.screen_direction, spec.shot_id) for path, spec in zip(paths, specs)]
    with Meter() as meter:
        result = render_animatic(shots, out / f"animatic-{preset}.mp4", resolution=resolution,
                                 encoder=EncoderSettings(fps=fps, preset=preset, crf=crf))
    return {"preset": preset, "shots": len(shots), "frames": result.frames, "video_seconds": result.duration_seconds,
            "size": f"{result.size[0]}x{result.size[1]}", "seconds": round(meter.wall, 2),
            "frames_per_second": round(result.frames / meter.wall, 1),
            "realtime_factor": round(result.duration_seconds / meter.wall, 2),
            "python_cpu_s": round(meter.python_cpu, 2), "ffmpeg_cpu_s": round(meter.ffmpeg_cpu, 2),
            "mib": round(result.path.stat().st_size / 2**20, 2)}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shots", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=3.0, help="duration of each animatic shot")
    parser.add_argument("--clip-seconds", type=int, default=4)
    parser.add_argument("--presets", default="", help="x264 presets for the animatic; default: the configured one")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    defaults = load_media_defaults()
    presets = [p for p in args.presets.split(",") if p] or [defaults.animatic.x264_preset]
    report: dict = {"cpus": os.cpu_count(), "load_average_before": [round(v, 2) for v in os.getloadavg()]}
    backend = LocalBackend()
    with tempfile.TemporaryDirectory(prefix="previs-bench-") as scratch:
        out = Path(scratch)
        specs = storyboard(args.shots, args.seconds)
        report["panels"], paths = await bench_panels(backend, specs, out / "panels")
        report["clips"] = await bench_clips(backend, out / "clips", args.clip_seconds)
        report["animatic"] = [bench_animatic(paths, specs, out, preset, defaults.animatic.fps, defaults.animatic.crf,
                                             defaults.animatic.resolution) for preset in presets]
    report["load_average_after"] = [round(v, 2) for v in os.getloadavg()]
    clip_fps = [clip["frames_per_second"] for clip in report["clips"]]
    report["summary"] = {
        "panels_per_second": report["panels"]["panels_per_second"],
        "clip_frames_per_second_median": statistics.median(clip_fps),
        "animatic_seconds": {run["preset"]: run["seconds"] for run in report["animatic"]},
    }
    text = json.dumps(report, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")


if __name__ == "__main__":
    asyncio.run(main())
