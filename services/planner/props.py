"""Objects in screenplay action: props that characters handle, and wardrobe
they put on or take off.

Rule-based and deterministic: a handling verb (``picks up``, ``pulls out``,
``lights``...) followed by a determiner and a short lowercase-or-capitals
noun phrase names a prop (``She pulls out her flashlight`` -> flashlight).
Clothing nouns are wardrobe, not props; body parts and abstractions
(``a deep breath``, ``her hand``) are neither.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERB_STATES: dict[str, str] = {
    "picks up": "in hand", "pick up": "in hand", "grabs": "in hand", "grab": "in hand", "snatches": "in hand",
    "pulls out": "in hand", "takes out": "in hand", "draws": "in hand", "produces": "in hand", "retrieves": "in hand",
    "takes": "in hand", "holds": "in hand", "holds up": "raised", "lifts": "raised", "raises": "raised",
    "clutches": "clutched", "carries": "carried", "wields": "in hand", "brandishes": "raised", "aims": "aimed",
    "examines": "in hand", "inspects": "in hand", "reads": "in hand", "unfolds": "unfolded", "folds": "folded",
    "opens": "open", "closes": "closed", "unlocks": "unlocked", "locks": "locked",
    "lights": "lit", "switches on": "switched on", "turns on": "switched on", "clicks on": "switched on", "flicks on": "switched on",
    "switches off": "switched off", "turns off": "switched off", "clicks off": "switched off", "blows out": "out",
    "drops": "dropped", "sets down": "set down", "puts down": "set down", "places": "set down", "tosses": "thrown",
    "throws": "thrown", "hands": "handed over", "passes": "handed over", "slides": "slid across", "pockets": "pocketed",
    "loads": "loaded", "cocks": "cocked", "fires": "fired", "dials": "in hand", "answers": "in hand", "pours": "pouring",
    "drinks from": "in hand", "winds": "wound", "breaks": "broken", "smashes": "smashed", "shatters": "shattered",
    "tears": "torn", "rips": "torn", "burns": "burning", "hides": "hidden", "buries": "buried", "cleans": "clean",
    "polishes": "polished", "fixes": "repaired", "repairs": "repaired", "sets": "set down", "puts": "set down",
}
_DROPPED_HOLDER = {"dropped", "set down", "thrown", "handed over", "slid across", "pocketed", "hidden", "buried"}
_VERBS = sorted(_VERB_STATES, key=len, reverse=True)
_DETERMINER = r"(?:a|an|the|his|her|their|its|my|your|our|one|some|two|three|that|this)"
_OBJECT_PRONOUN = r"(?:(?:him|her|them|me|us)\s+)?"
_PHRASE = r"(?P<phrase>[A-Za-z][A-Za-z\-’']*(?:\s+[A-Za-z][A-Za-z\-’']*){0,3})"
_HANDLING = re.compile(
    rf"\b(?P<verb>{'|'.join(re.escape(v) for v in _VERBS)})\s+{_OBJECT_PRONOUN}(?:(?:up|out|back)\s+)?{_DETERMINER}\s+(?={_PHRASE})",
    re.IGNORECASE,
)
_STOP_WORDS = {
    "and", "to", "from", "with", "into", "onto", "at", "on", "off", "in", "out", "of", "as", "then", "before", "after",
    "while", "toward", "towards", "behind", "for", "over", "under", "through", "against", "across", "beside", "near",
    "up", "down", "back", "away", "which", "that", "who", "but", "or", "so", "is", "are", "was", "it", "he", "she",
    "they", "her", "his", "him", "them", "again", "around", "inside", "outside", "open", "shut", "closed", "tight",
    "tightly", "slowly", "carefully", "quickly", "gently", "finally", "hard", "high", "aside", "along", "forward",
}
CLOTHING = {
    "coat", "raincoat", "overcoat", "jacket", "blazer", "hat", "cap", "beanie", "hood", "hoodie", "scarf", "gloves",
    "glove", "boots", "shoes", "sneakers", "sweater", "jumper", "cardigan", "tie", "vest", "dress", "gown", "shirt",
    "blouse", "skirt", "trousers", "pants", "jeans", "uniform", "suit", "robe", "apron", "mask", "helmet", "cloak",
    "poncho", "slicker", "parka", "shawl", "sunglasses", "goggles", "overalls", "waders", "oilskin", "oilskins",
}
_NOT_PROPS = {
    "hand", "hands", "head", "eyes", "eye", "breath", "face", "arm", "arms", "fist", "fists", "shoulder", "shoulders",
    "mouth", "lips", "hair", "feet", "foot", "leg", "legs", "finger", "fingers", "gaze", "voice", "chin", "jaw", "teeth",
    "throat", "back", "chest", "knees", "knee", "heart", "neck", "palm", "palms", "brow", "forehead", "cheek", "tears",
    "time", "moment", "look", "glance", "step", "steps", "seat", "turn", "pause", "beat", "chance", "deep", "breath",
    "way", "place", "side", "note", "notice", "stand", "position", "lead", "charge", "aim", "interest", "care", "sip",
    "swig", "drag", "puff", "bow", "smile", "shot", "call", "door", "doors", "window", "windows", "gate", "curtain",
    "curtains", "blinds", "room", "house", "car", "stairs", "floor", "wall", "walls", "ceiling", "hatch", "ground",
    "light", "lights", "scene", "silence", "drawer", "drawers", "cupboard", "cabinet", "fridge", "closet", "locker", "hatch", "thing", "things", "something", "nothing", "everything", "anything",
    "other", "others", "rest", "same", "end", "one", "ones", "lot", "bit", "piece", "few", "most", "all", "none",
    "hold", "grip", "control", "attention",
}
_WARDROBE_ADD = re.compile(rf"\b(?:puts on|pulls on|slips on|throws on|shrugs on|dons|grabs|zips up|buttons up|ties on|now in)\s+{_DETERMINER}\s+(?={_PHRASE})", re.IGNORECASE)
_WARDROBE_REMOVE = re.compile(rf"\b(?:takes off|pulls off|slips off|shrugs off|strips off|removes|sheds|drops|hangs up|tosses)\s+{_DETERMINER}\s+(?={_PHRASE})", re.IGNORECASE)
_WARDROBE_SET = re.compile(rf"\b(?:changes into|changed into|has changed into)\s+(?:{_DETERMINER}\s+)?(?={_PHRASE})", re.IGNORECASE)
_WARDROBE_NOW = re.compile(rf"\b(?:now wearing|now dressed in)\s+(?:{_DETERMINER}\s+)?(?={_PHRASE})", re.IGNORECASE)


@dataclass(frozen=True)
class Handling:
    """A prop handled in a sentence: canonical ``name`` (lowercase, singular
    head noun), the ``phrase`` as written, and the prop's ``state`` after it."""

    name: str
    phrase: str
    state: str
    start: int
    keeps_holder: bool


@dataclass(frozen=True)
class WardrobeChange:
    op: str  # "add", "remove" or "set"
    item: str
    start: int


def singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def _noun_phrase(raw: str, keep_case: bool = False) -> str:
    words: list[str] = []
    for word in raw.split():
        lowered = word.lower().strip("’'")
        if lowered in _STOP_WORDS or (lowered.endswith("ly") and len(lowered) > 4) or (words and lowered.endswith("ing")):
            break
        words.append(word if keep_case else lowered)
    return " ".join(words[-3:])


def head_noun(name: str) -> str:
    return singular(name.split()[-1]) if name else ""


def find_handlings(sentence: str, excluded: set[str] = frozenset()) -> list[Handling]:
    """Props handled in a sentence, in order. ``excluded`` holds lowercase
    words that are not props (character names)."""
    found: list[Handling] = []
    for match in _HANDLING.finditer(sentence):
        phrase = _noun_phrase(match.group("phrase"))
        if not phrase:
            continue
        head = head_noun(phrase)
        if head in CLOTHING or head in _NOT_PROPS or phrase.split()[-1] in _NOT_PROPS or head in excluded or len(head) < 3:
            continue
        words = phrase.split()
        words[-1] = singular(words[-1])
        state = _VERB_STATES[match.group("verb").lower()]
        found.append(Handling(" ".join(words[-2:]), phrase, state, match.start(), state not in _DROPPED_HOLDER))
    return found


def find_wardrobe_changes(sentence: str) -> list[WardrobeChange]:
    """Wardrobe put on, taken off or changed into, in order. Items keep
    their case (``Earl's denim jacket``)."""
    changes: list[WardrobeChange] = []
    for pattern, op, any_item in ((_WARDROBE_ADD, "add", False), (_WARDROBE_NOW, "add", True),
                                  (_WARDROBE_REMOVE, "remove", False), (_WARDROBE_SET, "set", True)):
        for match in pattern.finditer(sentence):
            phrase = _noun_phrase(match.group("phrase"), keep_case=True)
            if phrase and (any_item or head_noun(phrase.lower()) in CLOTHING):
                changes.append(WardrobeChange(op, phrase, match.start()))
    return sorted(changes, key=lambda change: change.start)


def apply_wardrobe(current: str, change: WardrobeChange) -> str:
    """The wardrobe string after a change: ``gray suit`` + coat ->
    ``gray suit, coat``; removing ``coat`` drops the item that names it."""
    items = [item.strip() for item in current.split(",") if item.strip()]
    if change.op == "set":
        return change.item
    head = head_noun(change.item.lower())
    if change.op == "add":
        if any(head_noun(item.lower()) == head for item in items):
            return current
        return ", ".join(items + [change.item])
    return ", ".join(item for item in items if head_noun(item.lower()) != head)


def mentions(text: str, name: str) -> bool:
    """True if ``text`` mentions the prop by its head noun (singular or plural)."""
    head = head_noun(name)
    return bool(head) and re.search(rf"\b{re.escape(head)}(?:s|es)?\b", text, re.IGNORECASE) is not None
