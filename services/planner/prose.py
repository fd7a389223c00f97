"""Small text measures on screenplay prose: sentences, words, truncation."""

from __future__ import annotations

import re

_SENTENCE_END = re.compile(r"(?<=[.!?])[\"'”’)]*\s+(?=[A-Z\"“'(])")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'’\-]*")
_ABBREVIATIONS = re.compile(r"\b(?:Mr|Mrs|Ms|Dr|St|Jr|Sr|Lt|Sgt|Capt|Prof|vs|etc|No)\.$")


def sentences(text: str) -> list[str]:
    """Splits prose into sentences; keeps ``Dr. Grey`` and ``...`` together."""
    pieces = _SENTENCE_END.split(text.strip())
    merged: list[str] = []
    for piece in pieces:
        if merged and _ABBREVIATIONS.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"
        elif piece:
            merged.append(piece)
    return merged


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def clip(text: str, limit: int) -> str:
    """``text`` cut at a word boundary to at most ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def title_case(name: str) -> str:
    """``DETECTIVE SARAH`` -> ``Detective Sarah``; ``MCCOY`` -> ``Mccoy``;
    keeps ``#2`` and apostrophes (``O'BRIEN`` -> ``O'Brien``)."""
    def word(token: str) -> str:
        return "-".join("'".join(p[:1].upper() + p[1:].lower() for p in part.split("'")) for part in token.split("-"))

    return " ".join(word(token) for token in name.split())


def join_names(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


_INTRODUCTION = re.compile(r"\b([A-Z][A-Z'’.\-]*(?:\s+[A-Z][A-Z'’.\-]*){0,3})\s*\(([^()]*[a-z0-9][^()]*)\)")


def without_introductions(text: str) -> str:
    """``DETECTIVE SARAH (40s, sharp-eyed) studies`` -> ``Detective Sarah
    studies``: a character's first-appearance description is for the plan,
    not for every shot that shows the moment."""
    return _INTRODUCTION.sub(lambda m: title_case(m.group(1)), text)
