"""How the offline planner scales with screenplay length.

Builds feature-style screenplays of about 10, 40 and 120 pages by
concatenating varied scene templates (dialogue exchanges, action, chases,
phone calls with V.O., dual dialogue, wardrobe changes, handled props, day
and night, INT and EXT) with a growing cast and set list, then runs the
offline pipeline the service runs for GeneratePlan + GenerateShotPlan:
parse -> plan -> shot plan -> validate -> repair.

Prints wall time per stage (median of --runs), time per page, and peak
memory (tracemalloc, measured in a separate run so tracing does not slow
the timed runs; plus the process's max RSS). Target: under 2 s for 120
pages, growing linearly.

Usage: .venv/bin/python bench/planner_scale.py [--pages 10 40 120] [--runs 3]
"""

from __future__ import annotations

import argparse
import gc
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from services.planner.continuity import validate_shot_plan  # noqa: E402
from services.planner.continuity_repair import repair_shot_plan  # noqa: E402
from services.planner.offline_planner import plan_screenplay  # noqa: E402
from services.planner.preferences import PlanPreferences  # noqa: E402
from services.planner.scripts import parse_script  # noqa: E402
from services.planner.shot_planner import plan_shots  # noqa: E402

CAST = [
    ("NORA BELL", "30s, sharp, restless, wearing a green parka", "her"),
    ("OWEN PRICE", "40s, heavy-set, kind eyes, wearing a corduroy blazer", "his"),
    ("LENA ORTIZ", "20s, wiry, shaved head, wearing a leather jacket", "her"),
    ("VICTOR HALE", "60s, silver beard, wearing a three-piece suit", "his"),
    ("IRIS WEBB", "50s, elegant, short grey hair, wearing a camel coat", "her"),
    ("SAM KOWALSKI", "teens, gangly, wearing a hoodie and sneakers", "his"),
    ("DR. ADA STONE", "40s, precise, wearing a lab coat", "her"),
    ("MARCUS REED", "30s, athletic, wearing a police uniform", "his"),
]
PLACES = ["HARBOUR OFFICE", "ROOFTOP BAR", "TRAIN YARD", "HOSPITAL CORRIDOR", "MOTEL ROOM", "CITY PARK", "NEWSROOM",
          "UNDERGROUND GARAGE", "LIGHTHOUSE", "DINER", "COURTHOUSE STEPS", "GREENHOUSE", "FERRY DECK", "PAWN SHOP"]
TIMES = ["DAY", "NIGHT", "DUSK", "MORNING", "NIGHT", "DAWN", "EVENING"]

TEMPLATES = [
    # A dialogue exchange with a parenthetical and a handled prop.
    """INT. {PLACE} - {TIME}

Rain streaks the windows. A desk lamp, a wall of filing cabinets, a door to the corridor.

{A} ({A_DESC}) sits at the desk, turning a brass key over in {A_POS} fingers.

{B} ({B_DESC}) leans in the doorway.

{B_CUE}
You kept it all this time.

{A_CUE}
(not looking up)
Somebody had to.

{B_CUE}
They're going to come for it. Tonight, maybe tomorrow.

{A_CUE}
Then we'd better be gone by tomorrow.

{A} picks up the brass key and slides it into an envelope.

{B_CUE}
Where do we go?

{A_CUE}
Somewhere nobody reads the papers.

""",
    # Action: a chase with movement and a discovery.
    """EXT. {PLACE} - {TIME}

Wind drives litter across the empty lot. Sodium lights buzz over a chain-link fence.

{A} runs between the parked trucks, breath ragged. Footsteps echo behind {A_OBJ}.

{A} ducks behind a container and pulls out a flashlight. The beam shakes.

{A} discovers a rusted hatch in the ground, half hidden by weeds.

{A} wrenches the hatch open and climbs down into the dark.

""",
    # A phone call with V.O. and a wardrobe change.
    """INT. {PLACE} - {TIME}

A narrow room. One bed, one chair, a television murmuring with the sound off.

{A} puts on a raincoat and checks the window. {A_PRON} picks up the phone.

{B_CUE} (V.O.)
(filtered)
Don't hang up. Listen to me. The meeting moved to the pier.

{A_CUE}
Which pier?

{B_CUE} (V.O.)
The old one. Come alone.

{A} hangs up, grabs the car keys from the table and heads for the door.

""",
    # Three-way argument with dual dialogue.
    """INT. {PLACE} - {TIME}

Long tables, stacked papers, a coffee machine that hisses every few seconds.

{A}, {B} and {C} ({C_DESC}) stand around a map spread across the table.

{C_CUE}
We're out of time. Either we go in now or we don't go at all.

{A_CUE}
We go in now.

{B_CUE} ^
We wait!

{C_CUE}
(quietly)
Then I go alone.

{C} folds the map and pockets it. {B} watches {C_OBJ} leave.

{B_CUE}
Stop {C_CUE_NAME}. Please.

{A_CUE}
Let {C_OBJ} go.

""",
    # Quiet reaction scene.
    """EXT. {PLACE} - {TIME}

Gulls over grey water. A bench, a rusted railing, a lamp post leaning out over the edge.

{A} sits on the bench, holding an old photograph. {A_POS_CAP} eyes widen as {A_PRON_LOW} recognises the face in it.

{A} tears the photograph in half, then stops, and carefully puts the pieces in {A_POS} pocket.

CUT TO:

""",
    # Interview across a table.
    """INT. {PLACE} - {TIME}

A bare table, two chairs, a mirror that everybody knows is a window.

{B} sets a glass of water in front of {A}.

{B_CUE}
Tell me about the night of the fire.

{A_CUE}
I already told the other officer.

{B_CUE}
Tell me.

{A_CUE}
(beat)
I saw a car. Blue. No plates.

{B_CUE}
And the driver?

{A_CUE}
Wore gloves. That's all I remember.

{B} opens a folder and lays three photographs on the table.

{B_CUE}
Which one?

{A} studies the photographs for a long moment, then points.

""",
]


def _pronouns(possessive: str) -> dict[str, str]:
    female = possessive == "her"
    return {"POS": possessive, "POS_CAP": possessive.capitalize(), "OBJ": "her" if female else "him",
            "PRON": "She" if female else "He", "PRON_LOW": "she" if female else "he"}


def _fill(template: str, n: int) -> str:
    people = [CAST[(n + k * 3) % len(CAST)] for k in range(3)]
    values = {"PLACE": f"{PLACES[n % len(PLACES)]} {n // len(PLACES) + 1}", "TIME": TIMES[n % len(TIMES)]}
    for slot, (name, description, possessive) in zip("ABC", people):
        cue = name.split()[-1] if not name.startswith("DR.") else name
        values[slot] = name if n < len(CAST) else cue.title()
        values[f"{slot}_CUE"] = cue
        values[f"{slot}_CUE_NAME"] = cue.title()
        values[f"{slot}_DESC"] = description
        values.update({f"{slot}_{key}": value for key, value in _pronouns(possessive).items()})
    return template.format(**values)


def build_screenplay(pages: float) -> str:
    """A Fountain screenplay of about ``pages`` pages."""
    parts = [f"Title: Scale Test ({pages:g} pages)\nAuthor: bench/planner_scale.py\n\nFADE IN:\n\n"]
    total, n = 0.0, 0
    per_template = [parse_script(_fill(t, 0), title="x").page_estimate for t in TEMPLATES]
    while total < pages:
        index = n % len(TEMPLATES)
        parts.append(_fill(TEMPLATES[index], n))
        total += per_template[index]
        n += 1
    parts.append("FADE OUT.\n")
    return "".join(parts)


def run_pipeline(text: str, pages: float) -> dict[str, float | int]:
    timings: dict[str, float | int] = {}
    started, cpu_started = time.perf_counter(), time.process_time()
    parsed = parse_script(text)
    timings["parse"] = time.perf_counter() - started
    mark = time.perf_counter()
    plan = plan_screenplay(parsed, PlanPreferences(target_duration_s=pages * 60))
    timings["plan"] = time.perf_counter() - mark
    mark = time.perf_counter()
    shots = plan_shots(plan)
    timings["cut"] = time.perf_counter() - mark
    mark = time.perf_counter()
    report = validate_shot_plan(plan, shots)
    timings["validate"] = time.perf_counter() - mark
    mark = time.perf_counter()
    repaired = repair_shot_plan(plan, shots)
    timings["repair"] = time.perf_counter() - mark
    timings["total"] = time.perf_counter() - started
    timings["cpu"] = time.process_time() - cpu_started
    timings.update(pages=parsed.page_estimate, scenes=len(plan.scenes), characters=len(plan.characters),
                   shots=len(shots.shots), violations=len(report.violations), score=repaired.after.score)
    return timings


def peak_traced_mib(text: str, pages: float) -> float:
    gc.collect()
    tracemalloc.start()
    run_pipeline(text, pages)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=float, nargs="+", default=[10, 40, 120])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    run_pipeline(build_screenplay(5), 5)  # warm imports and regex caches
    header = f"{'pages':>6} {'scenes':>6} {'chars':>5} {'shots':>6} {'parse':>7} {'plan':>7} {'cut':>7} {'valid.':>7} {'repair':>7} {'total s':>8} {'cpu s':>7} {'ms/page':>8} {'cpu ms/p':>8} {'peak MiB':>9} {'score':>5}"
    load = os.getloadavg()[0]
    print(f"load average {load:.1f} on {os.cpu_count()} cores: wall times include waiting for a core; cpu s is this process's own time")
    print(header)
    print("-" * len(header))
    per_page: list[tuple[float, float, float, float]] = []
    for pages in args.pages:
        text = build_screenplay(pages)
        runs = [run_pipeline(text, pages) for _ in range(args.runs)]
        median = {key: statistics.median(r[key] for r in runs) for key in ("parse", "plan", "cut", "validate", "repair", "total", "cpu")}
        last = runs[-1]
        peak = peak_traced_mib(text, pages)
        print(f"{last['pages']:>6.1f} {last['scenes']:>6} {last['characters']:>5} {last['shots']:>6} "
              f"{median['parse']:>7.3f} {median['plan']:>7.3f} {median['cut']:>7.3f} {median['validate']:>7.3f} "
              f"{median['repair']:>7.3f} {median['total']:>8.3f} {median['cpu']:>7.3f} {1000 * median['total'] / last['pages']:>8.1f} "
              f"{1000 * median['cpu'] / last['pages']:>8.1f} {peak:>9.1f} {last['score']:>5}")
        per_page.append((last["pages"], median["total"], median["cpu"], peak))
    if len(per_page) > 1:
        (small, small_wall, small_cpu, _), (large, large_wall, large_cpu, large_peak) = per_page[0], per_page[-1]
        print(f"growth {small:.0f} -> {large:.0f} pages: time per page x{(large_wall / large) / (small_wall / small):.2f} wall, "
              f"x{(large_cpu / large) / (small_cpu / small):.2f} cpu (1.00 = linear)")
        print(f"{large:.0f} pages: {large_wall:.2f} s wall, {large_cpu:.2f} s cpu, peak {large_peak:.1f} MiB traced (target: under 2 s)")
    print(f"process max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB (includes tracemalloc runs)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
