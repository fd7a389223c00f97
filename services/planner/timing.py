"""Shot durations: natural length from words, then a fit to the target.

Dialogue runs at about 2.5 words a second (150 words a minute) plus a beat
for each parenthetical; action at about a third of a second per word, with
a floor so a short sentence still reads. The fit scales every shot by one
factor, clamped to each shot's own minimum and maximum (speech cannot be
compressed much, an insert cannot last a minute), and finds the factor by
bisection, so the sum lands on the target whenever the clamps allow it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from services.planner.prose import word_count
from services.planner.vocabulary import Pacing

SPEECH_WORDS_PER_SECOND = 2.5
ACTION_SECONDS_PER_WORD = 0.33
MIN_SHOT_SECONDS = 1.0
LONGEST_SHOT_SECONDS = 600.0  # shot_plan.Shot.duration_s: a ten-minute speech is still one shot of at most this
RELAXED_MIN_SHOT_SECONDS = 0.5
MAX_SHOT_SECONDS = {Pacing.SLOW: 8.0, Pacing.MEDIUM: 6.0, Pacing.FAST: 4.0, Pacing.UNSPECIFIED: 6.0}
_PACE_FACTOR = {Pacing.SLOW: 1.2, Pacing.MEDIUM: 1.0, Pacing.FAST: 0.85, Pacing.UNSPECIFIED: 1.0}


@dataclass(frozen=True)
class Timing:
    """Natural duration of a shot and how far a fit may stretch it."""

    natural: float
    minimum: float
    maximum: float

    def merged(self, other: "Timing") -> "Timing":
        """Timing of one shot that must hold both (e.g. action plus voice-over)."""
        natural = max(self.natural, other.natural)
        return Timing(natural, max(self.minimum, other.minimum), max(self.maximum, other.maximum, natural))

    def capped(self) -> "Timing":
        """The timing within the longest shot a shot plan holds."""
        ceiling = LONGEST_SHOT_SECONDS
        return Timing(min(self.natural, ceiling), min(self.minimum, ceiling), min(self.maximum, ceiling))


def speech_seconds(text: str, parentheticals: int = 0) -> float:
    return word_count(text) / SPEECH_WORDS_PER_SECOND + 0.4 * parentheticals


def dialogue_timing(text: str, parentheticals: int = 0) -> Timing:
    speech = speech_seconds(text, parentheticals)
    natural = max(1.5, speech + 0.5)
    return Timing(natural, max(MIN_SHOT_SECONDS, speech * 0.9), natural * 2 + 2)


def action_timing(text: str, pacing: Pacing) -> Timing:
    natural = max(2.0, word_count(text) * ACTION_SECONDS_PER_WORD) * _PACE_FACTOR[pacing]
    natural = min(natural, MAX_SHOT_SECONDS[pacing] * 1.5)
    return Timing(natural, MIN_SHOT_SECONDS, max(natural * 3, 6.0))


def fixed_timing(seconds: float, pacing: Pacing = Pacing.MEDIUM) -> Timing:
    natural = seconds * _PACE_FACTOR[pacing]
    return Timing(natural, min(MIN_SHOT_SECONDS, natural), max(natural * 3, 4.0))


def _total(timings: list[Timing], scale: float, floor: float | None) -> float:
    return sum(min(max(t.natural * scale, floor if floor is not None else t.minimum), t.maximum) for t in timings)


def fit_to_target(timings: list[Timing], target: float, relaxed: bool = False) -> list[float]:
    """Durations that add up to ``target`` as closely as the clamps allow.
    ``relaxed`` lowers every minimum to half a second (the repair pass uses
    it when the normal minimums cannot reach a short target). A zero target
    keeps the natural durations."""
    if not timings:
        return []
    timings = [t.capped() for t in timings]
    floor = RELAXED_MIN_SHOT_SECONDS if relaxed else None
    if target <= 0:
        return round_to_total([t.natural for t in timings], None)
    low, high = 1e-3, 1e3
    for _ in range(60):
        middle = (low + high) / 2
        if _total(timings, middle, floor) < target:
            low = middle
        else:
            high = middle
    minimums = [floor if floor is not None else t.minimum for t in timings]
    values = [min(max(t.natural * high, m), t.maximum) for t, m in zip(timings, minimums)]
    reachable = abs(sum(values) - target) < 0.05 * len(timings)
    return round_to_total(values, target if reachable else None, minimums)


def round_to_total(values: list[float], total: float | None, minimums: list[float] | None = None) -> list[float]:
    """Rounds to tenths of a second; with ``total`` the rounding error is
    spread a tenth at a time over the longest shots (never below a shot's
    minimum) so the sum is exact."""
    rounded = [min(max(0.1, round(v, 1)), LONGEST_SHOT_SECONDS) for v in values]
    if total is None or not rounded:
        return rounded
    floors = [max(0.1, math.ceil(m * 10 - 1e-9) / 10) for m in (minimums or [0.1] * len(rounded))]
    steps = round((total - sum(rounded)) * 10)
    order = sorted(range(len(rounded)), key=lambda i: -rounded[i])
    position = 0
    while steps and position < len(order) * (abs(steps) + 1):
        i = order[position % len(order)]
        position += 1
        if steps > 0:
            if rounded[i] + 0.1 <= LONGEST_SHOT_SECONDS + 1e-9:
                rounded[i] = round(rounded[i] + 0.1, 1)
                steps -= 1
        elif rounded[i] - 0.1 >= floors[i] - 1e-9:
            rounded[i] = round(rounded[i] - 0.1, 1)
            steps += 1
    return rounded
