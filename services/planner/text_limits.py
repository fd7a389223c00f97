"""Text fitted to the planner models' length limits before a write.

Shots, locks and summaries are composed from script and plan text (a beat,
a location layout, a character's name), so a long enough input makes a
composed string longer than its field holds even though every input fitted
its own. :func:`fitted` cuts each such string at a word boundary where the
model's validation names it, so what the planner stores always decodes
again; any other validation problem is raised as it is.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from services.planner.prose import clip

ModelT = TypeVar("ModelT", bound=BaseModel)
_MAX_ROUNDS = 3


def fitted(model: ModelT) -> ModelT:
    """``model`` re-validated, with every string longer than its field's
    ``max_length`` cut to fit (the model itself when nothing is too long)."""
    data = model.model_dump()
    for _ in range(_MAX_ROUNDS):
        try:
            return type(model).model_validate(data)
        except ValidationError as error:
            problems = error.errors(include_url=False)
            if any(p["type"] != "string_too_long" for p in problems):
                raise
            for problem in problems:
                _clip_at(data, problem["loc"], int(problem["ctx"]["max_length"]))
    return type(model).model_validate(data)


def _clip_at(data: Any, loc: tuple, limit: int) -> None:
    holder = data
    for part in loc[:-1]:
        holder = holder[part]
    value = holder[loc[-1]]
    cut = clip(value, limit)
    holder[loc[-1]] = cut if len(cut) <= limit else cut[:limit]
