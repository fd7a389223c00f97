"""Characters of a screenplay: cues, first-appearance descriptions, aliases.

Speaking characters come from dialogue cues. Screenplays introduce a
character in capitals at first appearance, usually with a parenthesised
description (``DETECTIVE SARAH (40s, sharp-eyed, wearing a gray suit)``) or
an age after a comma (``JOHN, 30s, rumpled``). The introduction is matched
to a cue by shared name words (``DETECTIVE SARAH`` <-> ``SARAH``); an
introduced character who never speaks is kept too. Descriptions are split
into identity (gender, age, features), wardrobe and hair/make-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from services.planner.prose import sentences, title_case
from services.planner.props import CLOTHING, head_noun
from services.planner.scripts import ElementKind, ParsedScript

_TITLE_WORDS = {
    "DETECTIVE", "OFFICER", "DR", "DR.", "MR", "MR.", "MRS", "MRS.", "MS", "MS.", "MISS", "CAPTAIN", "CAPT.", "SERGEANT",
    "SGT.", "AGENT", "LIEUTENANT", "LT.", "PROFESSOR", "PROF.", "YOUNG", "OLD", "LITTLE", "BIG", "UNCLE", "AUNT",
    "SIR", "LADY", "LORD", "KING", "QUEEN", "PRINCE", "PRINCESS", "NURSE", "DOCTOR", "JUDGE", "COACH", "CHIEF",
    "MAJOR", "GENERAL", "COLONEL", "REVEREND", "PASTOR", "MADAME", "MONSIEUR", "DEPUTY", "SHERIFF", "INSPECTOR",
    "CONSTABLE", "THE", "A", "AN", "OF", "AND",
}
_FEMALE_TITLES = {"MRS", "MRS.", "MS", "MS.", "MISS", "AUNT", "QUEEN", "PRINCESS", "LADY", "MADAME", "MOTHER", "GRANDMA", "SISTER"}
_MALE_TITLES = {"MR", "MR.", "UNCLE", "KING", "PRINCE", "LORD", "SIR", "MONSIEUR", "FATHER", "GRANDPA", "BROTHER"}
_NOT_NAMES = {
    "INT", "EXT", "CLOSE", "ON", "ANGLE", "POV", "INSERT", "SUPER", "TITLE", "TITLES", "CUT", "FADE", "BACK", "TO",
    "THE", "A", "AN", "WE", "SEE", "CONTINUED", "MORE", "FLASHBACK", "END", "BLACK", "LATER", "NIGHT", "DAY",
    "MONTAGE", "INTERCUT", "SERIES", "SHOTS", "OK", "OKAY", "TV", "I", "O.S.", "V.O.", "CONT'D", "BEGIN", "OVER",
}
_GROUP_CUES = {"ALL", "BOTH", "EVERYONE", "TOGETHER", "CROWD", "VOICES", "GROUP", "OTHERS", "THEY"}
_NAME = r"(?:[A-Z][A-Z0-9'’.\-]*\s+){0,3}[A-Z][A-Z0-9'’.\-]*[A-Z0-9]"
_INTRO_PAREN = re.compile(rf"(?<![\w'’])({_NAME})\s*\(([^()]{{1,240}})\)")
_INTRO_COMMA = re.compile(rf"(?<![\w'’])({_NAME}),\s+((?:(?:early|mid|late)[- ]?)?\d{{1,2}}s?\b[^.;]{{0,200}}|(?:a|an)\s[^.;]{{3,200}})")
_AGE = re.compile(r"^(?:(?:early|mid|late)[- ]?)?\d0s$|^\d{1,2}$|\byears? old\b|\b(?:teen(?:age|ager)?s?|elderly|middle-aged|ageless)\b|\bin (?:his|her|their) (?:early |mid |late )?\w+ties\b", re.IGNORECASE)
_HAIR = re.compile(r"\b(?:hair|haired|beard|bearded|mustache|moustache|stubble|bald|braid|braids|ponytail|bun|make-?up|lipstick|mascara|scar|scarred|tattoo|tattooed|freckles|freckled|dreadlocks|curls|grey-haired|gray-haired)\b", re.IGNORECASE)
_WARDROBE_PREFIX = re.compile(r"^(?:wearing|dressed in|clad in|in)\s+(?:a|an|the|his|her|their)?\s*", re.IGNORECASE)
_FEMALE_WORDS = re.compile(r"\b(?:woman|women|girl|lady|female|mother|grandmother|wife|daughter|sister|widow|she|her|herself)\b", re.IGNORECASE)
_MALE_WORDS = re.compile(r"\b(?:man|men|boy|guy|gentleman|male|father|grandfather|husband|son|brother|widower|he|him|his|himself)\b", re.IGNORECASE)
_POSSESSIVE_NEXT = re.compile(r"['’]s\s+([A-Za-z\-]+)")
_BODY_WORDS = {
    "eyes", "eye", "face", "hand", "hands", "voice", "head", "gaze", "arm", "arms", "fingers", "finger", "mouth", "lips",
    "shoulder", "shoulders", "back", "feet", "foot", "breath", "heart", "jaw", "smile", "expression", "body", "legs", "leg",
    "knees", "hair", "cheeks", "cheek", "brow", "forehead", "chest", "fist", "fists", "silhouette", "shadow", "reflection",
    "grip", "footsteps", "laugh", "scream", "knuckles", "pulse", "tears", "nose", "neck", "throat",
}
_PRONOUN = re.compile(r"\b(she|her|herself|he|his|himself)\b", re.IGNORECASE)


@dataclass
class CharacterDraft:
    """A character as found in the script, before ids are assigned."""

    key: str
    names: list[str]
    first_seen: tuple[int, int]
    description: str = ""
    identity: list[str] = field(default_factory=list)
    age: str = ""
    gender: str = ""
    wardrobe: str = ""
    hair_makeup: str = ""
    dialogue_lines: int = 0
    speaks: bool = False

    @property
    def display_name(self) -> str:
        return title_case(max(self.names, key=len))

    def identity_lock(self) -> str:
        """``Woman in her 40s, sharp-eyed`` style canonical identity."""
        possessive = {"woman": "her", "man": "his"}.get(self.gender, "their")
        head = self.gender.capitalize()
        if self.age:
            age = self.age if not self.age.isdigit() else f"age {self.age}"
            if re.match(r"^(?:(?:early|mid|late)[- ]?)?\d0s$", self.age, re.IGNORECASE):
                age = f"in {possessive} {self.age}"
            head = f"{head} {age}".strip() if head else age[:1].upper() + age[1:]
        parts = [p for p in [head, *self.identity, self.hair_makeup] if p]
        return ", ".join(parts)


@dataclass
class Cast:
    """The characters of a script in order of first appearance, with a
    matcher that finds them in action text."""

    drafts: list[CharacterDraft]
    _forms: dict[str, str] = field(default_factory=dict)
    _pattern: re.Pattern | None = None

    def by_key(self, key: str) -> CharacterDraft | None:
        return next((d for d in self.drafts if d.key == key), None)

    def key_for_cue(self, cue: str) -> str | None:
        return self._forms.get(cue) or self._forms.get(title_case(cue))

    def readable(self, text: str) -> str:
        """``DETECTIVE SARAH (40s, sharp-eyed) studies`` -> ``Detective
        Sarah studies``: introductions lose their description and names in
        capitals become the display form."""
        text = _INTRO_PAREN.sub(lambda m: m.group(1) if re.search(r"[a-z0-9]", m.group(2)) else m.group(0), text)
        if self._pattern is None:
            return text
        return self._pattern.sub(lambda m: title_case(m.group(0)) if m.group(0).isupper() else m.group(0), text)

    def present(self, text: str) -> list[str]:
        """Like :meth:`mentions`, but a possessive that names a thing
        (``Earl's denim jacket``) does not put Earl in the scene, while one
        that names the body (``Sarah's eyes widen``) does."""
        if self._pattern is None:
            return []
        found: dict[str, None] = {}
        for match in self._pattern.finditer(text):
            after = _POSSESSIVE_NEXT.match(text, match.end())
            if after and after.group(1).lower() not in _BODY_WORDS:
                continue
            found.setdefault(self._forms[match.group(0)], None)
        return list(found)

    def mentions(self, text: str) -> list[str]:
        """Keys of the characters named in ``text``, in order, once each."""
        if self._pattern is None:
            return []
        found: dict[str, None] = {}
        for match in self._pattern.finditer(text):
            found.setdefault(self._forms[match.group(0)], None)
        return list(found)

    def build_matcher(self) -> None:
        forms: dict[str, str] = {}
        token_owner: dict[str, set[str]] = {}
        for draft in self.drafts:
            for name in draft.names:
                forms.setdefault(name, draft.key)
                forms.setdefault(title_case(name), draft.key)
                for token in name.split():
                    if token not in _TITLE_WORDS and len(token.strip(".'’")) >= 3:
                        token_owner.setdefault(token, set()).add(draft.key)
        for token, owners in token_owner.items():
            if len(owners) == 1:
                owner = next(iter(owners))
                forms.setdefault(token, owner)
                forms.setdefault(title_case(token), owner)
        self._forms = forms
        if forms:
            alternatives = "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True))
            self._pattern = re.compile(rf"(?<![\w'’])(?:{alternatives})(?![\w])")


def _tokens(name: str) -> set[str]:
    return {t for t in name.split() if t not in _TITLE_WORDS} or set(name.split())


def _valid_name(name: str) -> bool:
    words = name.split()
    return bool(words) and not any(w in _NOT_NAMES for w in words) and sum(c.isalpha() for c in name) >= 2


def _match_cue(name: str, drafts: dict[str, CharacterDraft]) -> CharacterDraft | None:
    tokens, best, best_overlap = _tokens(name), None, 0
    for draft in drafts.values():
        for known in draft.names:
            other = _tokens(known)
            if tokens == other or tokens <= other or other <= tokens:
                overlap = len(tokens & other)
                if overlap > best_overlap:
                    best, best_overlap = draft, overlap
    return best


def _describe(draft: CharacterDraft, description: str) -> None:
    draft.description = description
    wardrobe, identity = [], []
    for part in (p.strip(" .") for p in re.split(r",|;|\band\b(?=\s+(?:wearing|in|dressed)\b)", description)):
        if not part:
            continue
        stripped = _WARDROBE_PREFIX.sub("", part)
        words = {head_noun(w.lower().strip(".")) for w in stripped.split()}
        if _WARDROBE_PREFIX.match(part) and (words & CLOTHING or part.lower().startswith(("wearing", "dressed", "clad"))):
            wardrobe.append(stripped)
        elif _AGE.search(part) and not draft.age and len(part.split()) <= 5:
            draft.age = part
        elif _HAIR.search(part):
            draft.hair_makeup = ", ".join(filter(None, [draft.hair_makeup, part]))
        else:
            identity.append(part)
    gender_words = [w for w in identity if re.fullmatch(r"(?:a |an )?(?:woman|man|girl|boy|lady|guy)", w, re.IGNORECASE)]
    draft.identity = [w for w in identity if w not in gender_words]
    draft.wardrobe = ", ".join(wardrobe)
    draft.gender = draft.gender or _gender_of(description)


def _gender_of(text: str) -> str:
    female, male = len(_FEMALE_WORDS.findall(text)), len(_MALE_WORDS.findall(text))
    if female > male:
        return "woman"
    if male > female:
        return "man"
    return ""


def _register_cues(parsed: ParsedScript) -> dict[str, CharacterDraft]:
    drafts: dict[str, CharacterDraft] = {}
    for s, scene in enumerate(parsed.scenes):
        for e, element in enumerate(scene.elements):
            if element.kind is not ElementKind.DIALOGUE or element.character in _GROUP_CUES or " AND " in element.character:
                continue
            draft = drafts.setdefault(element.character, CharacterDraft(element.character, [element.character], (s, e), speaks=True))
            draft.dialogue_lines += 1
    return drafts


def _register_intros(parsed: ParsedScript, drafts: dict[str, CharacterDraft]) -> None:
    for s, scene in enumerate(parsed.scenes):
        for e, element in enumerate(scene.elements):
            if element.kind is not ElementKind.ACTION:
                continue
            for pattern in (_INTRO_PAREN, _INTRO_COMMA):
                for match in pattern.finditer(element.text):
                    _register_intro(match, pattern is _INTRO_PAREN, (s, e), element.text, drafts)


def _register_intro(match: re.Match, paren: bool, where: tuple[int, int], paragraph: str, drafts: dict[str, CharacterDraft]) -> None:
    name, description = " ".join(match.group(1).split()), " ".join(match.group(2).split())
    if not _valid_name(name) or not re.search(r"[a-z0-9]", description):
        return
    draft = _match_cue(name, drafts)
    if draft is None:
        if not paren and not re.match(r"(?:(?:early|mid|late)[- ]?)?\d", description):
            return
        draft = drafts.setdefault(name, CharacterDraft(name, [name], where))
    elif name not in draft.names:
        draft.names.append(name)
    draft.first_seen = min(draft.first_seen, where)
    if not draft.description:
        titles = set(name.split())
        draft.gender = "woman" if titles & _FEMALE_TITLES else "man" if titles & _MALE_TITLES else ""
        _describe(draft, description)
        draft.description = f"{title_case(name)}, {description}"
        if not draft.gender:
            draft.gender = _pronoun_after(paragraph, match.end())


def _pronoun_after(paragraph: str, start: int) -> str:
    found = _PRONOUN.search(paragraph, start)
    if found is None:
        return ""
    return "woman" if found.group(1).lower() in ("she", "her", "herself") else "man"


def _fill_from_mentions(parsed: ParsedScript, cast: Cast) -> None:
    """Characters without an introduction get the first action sentence that
    names them as description, and a gender from the pronoun after it."""
    missing = {d.key for d in cast.drafts if not d.description}
    for scene in parsed.scenes:
        if not missing:
            return
        for element in scene.elements:
            if element.kind is not ElementKind.ACTION:
                continue
            named = cast.mentions(element.text)
            for key in named:
                if key not in missing:
                    continue
                draft = cast.by_key(key)
                sentence = next((s for s in sentences(element.text) if key in cast.mentions(s)), element.text)
                draft.description = sentence
                if len(named) == 1 and not draft.gender:
                    draft.gender = _pronoun_after(element.text, 0)
                missing.discard(key)


_LEADING_PRONOUN = re.compile(r"^\W*(she|he)\b", re.IGNORECASE)
# "her" and "him" are left out: in "Agnes watches him" the pronoun is someone else.
_OWN_FEMALE = re.compile(r"\b(?:she|herself)\b", re.IGNORECASE)
_OWN_MALE = re.compile(r"\b(?:he|his|himself)\b", re.IGNORECASE)
_ADDRESS = re.compile(r"\b(Mrs|Ms|Miss|Mr|Madam|Sir)\.?\s+([A-Z][A-Za-z'’\-]+)")


def _vote_by_titles(parsed: ParsedScript, cast: Cast, votes: dict[str, list[int]]) -> None:
    """``Are you Mrs. Morrow?`` in dialogue counts twice for Morrow."""
    for scene in parsed.scenes:
        for element in scene.elements:
            for title, name in _ADDRESS.findall(element.text):
                for key in cast.mentions(name):
                    if key in votes:
                        votes[key][0 if title.lower() in ("mrs", "ms", "miss", "madam") else 1] += 2


def _infer_genders(parsed: ParsedScript, cast: Cast) -> None:
    """Gender for characters still without one, by votes from the action:
    a sentence opening with she/he right after a sentence of the same
    paragraph that named one character, and pronouns in sentences that name
    exactly one character."""
    votes: dict[str, list[int]] = {d.key: [0, 0] for d in cast.drafts if not d.gender}
    if not votes:
        return
    for scene in parsed.scenes:
        for element in scene.elements:
            if element.kind is not ElementKind.ACTION:
                continue
            last: str | None = None
            for sentence in sentences(element.text):
                named = cast.mentions(sentence)
                leading = _LEADING_PRONOUN.match(sentence)
                if not named and leading and last in votes:
                    votes[last][0 if leading.group(1).lower() == "she" else 1] += 1
                if len(named) == 1 and named[0] in votes:
                    votes[named[0]][0] += len(_OWN_FEMALE.findall(sentence))
                    votes[named[0]][1] += len(_OWN_MALE.findall(sentence))
                last = named[0] if len(named) == 1 else None if named else last
    _vote_by_titles(parsed, cast, votes)
    for key, (female, male) in votes.items():
        if female != male:
            cast.by_key(key).gender = "woman" if female > male else "man"


def extract_cast(parsed: ParsedScript) -> Cast:
    """All characters of a parsed script, in order of first appearance."""
    drafts = _register_cues(parsed)
    _register_intros(parsed, drafts)
    cast = Cast(sorted(drafts.values(), key=lambda d: d.first_seen))
    cast.build_matcher()
    _fill_from_mentions(parsed, cast)
    _infer_genders(parsed, cast)
    return cast
