"""Quoted speech: who said it, what, and when the text says it was said.

Three shapes cover most reporting: `Speaker: “quote”`, `“quote,” said Speaker` /
`“quote,” Speaker said`, and `Speaker said (that) … “quote”` (also `…, claiming that “quote”`,
where the speaker is the sentence's subject). Quotes of fewer than three words are mostly
scare quotes (“indiscriminate”, “high hopes”) and are left out.
"""

from __future__ import annotations

import re

from siteline.ingest.model import FoundDate, Statement

_QUOTE = re.compile(r"[“\"](?P<quote>[^“”\"\n]{3,800}?)[”\"]")
_VERBS = (
    r"said|says|say|told|tells|stated|states|claimed|claims|added|adds|insisted|insists|denied|"
    r"denies|warned|warns|wrote|writes|tweeted|declared|declares|announced|announces|asserted|"
    r"explained|argued|argues|noted|notes|responded|replied|commented|acknowledged|admitted|"
    r"repeated|repeats|reiterated|reiterates|maintained|maintains|stressed|stresses"
)
_PARTICIPLES = (
    r"claiming|saying|adding|insisting|noting|warning|arguing|stating|declaring|asserting"
)
_NAME = r"(?:[A-Z][\w.'’-]*|al-\w+|bin|of|the|de|van)(?:\s+(?:[A-Z][\w.'’-]*|al-\w+|bin|of|the|de|van)){0,5}"
_COLON = re.compile(rf"(?P<speaker>{_NAME})\s*:\s*$")
_AFTER = re.compile(
    rf"^[,.]?[”\"]?\s*(?:(?:{_VERBS})\s+(?P<after>(?:the\s+|a\s+|an\s+)?[^,.;“”\"]{{2,80}}?)|"
    rf"(?P<before>(?:the\s+|a\s+|an\s+)?[^,.;“”\"]{{2,80}}?)\s+(?:{_VERBS}))\s*(?:[,.;]|$|\s+(?:who|which|on|in|at|that|to|after|when)\b)"
)
_VERB_BEFORE = re.compile(rf"\b(?:{_VERBS}|{_PARTICIPLES}|according to)\b", re.I)
_SENTENCE = re.compile(r"(?<=[.!?”\"])\s+(?=[A-Z“\"])|\n+")
_LIKELY_VERB = re.compile(
    r"^(?:\w+ed|\w+s|is|are|was|were|has|have|had|will|would|can|could|said|told|met|"
    rf"made|took|gave|{_VERBS}|{_PARTICIPLES})$"
)


def find_statements(text: str, dates: list[FoundDate]) -> list[Statement]:
    statements: list[Statement] = []
    for sentence_start, sentence in _sentences(text):
        for quote in _QUOTE.finditer(sentence):
            words = quote.group("quote").split()
            if len(words) < 3:
                continue
            speaker = _speaker(sentence, quote)
            if not speaker:
                continue
            start, end = sentence_start + quote.start(), sentence_start + quote.end()
            speaker = _resolve_pronoun(speaker, statements)
            statements.append(
                Statement(
                    speaker=speaker,
                    quote=quote.group("quote").strip().rstrip(",").strip(),
                    date=_when(sentence_start, sentence, quote.start(), dates),
                    context=sentence.strip(),
                    start=start,
                    end=end,
                )
            )
    return statements


_PRONOUNS = {"he", "she", "they", "it", "we", "i"}


def _resolve_pronoun(speaker: str, earlier: list[Statement]) -> str:
    """'He said' after 'Barazi said' is Barazi: news names a speaker, then refers back.

    A speaker ending in a pronoun ("In separate comments to al-Mayadeen he") is that
    pronoun; it becomes the last speaker named before it, if there was one.
    """
    last_word = speaker.split()[-1].lower()
    if last_word not in _PRONOUNS:
        return speaker
    for statement in reversed(earlier):
        if statement.speaker.split()[-1].lower() not in _PRONOUNS:
            return statement.speaker
    return speaker.split()[-1]


def _sentences(text: str):
    position = 0
    for boundary in _SENTENCE.finditer(text):
        yield position, text[position : boundary.start()]
        position = boundary.end()
    yield position, text[position:]


def _speaker(sentence: str, quote: re.Match) -> str | None:
    before = sentence[: quote.start()]
    colon = _COLON.search(before)
    if colon:
        return colon.group("speaker").strip()
    after = _AFTER.match(sentence[quote.end() :])
    if after:
        return (after.group("after") or after.group("before")).strip()
    verbs = list(_VERB_BEFORE.finditer(before))
    if not verbs:
        return None
    verb = verbs[-1]
    if verb.group().lower() == "according to":
        return _words(sentence[verb.end() : quote.start()])
    if re.fullmatch(_PARTICIPLES, verb.group(), re.I):
        return _subject(before)
    # "Its coordinator, Mara Selt, said": the last clause that holds words names the speaker.
    clauses = [c for c in re.split(r"[,;:]\s*", before[: verb.start()]) if c.strip()]
    return _words(clauses[-1]) if clauses else None


def _subject(before: str) -> str | None:
    """The sentence's subject: the words before its first verb, after an opening phrase."""
    text = before
    opening = re.match(r"^[^,]{0,40},\s+", text)
    if opening:
        text = text[opening.end() :]
    words = []
    for word in text.split():
        if _LIKELY_VERB.match(word) and words:
            break
        words.append(word)
        if len(words) > 8:
            return None
    return _words(" ".join(words))


def _words(text: str) -> str | None:
    text = re.sub(r"^(?:and|but|that|then|as)\s+", "", text.strip(), flags=re.I)
    text = text.strip(" ,.;:")
    return text if text and len(text.split()) <= 10 else None


def _when(sentence_start: int, sentence: str, quote_at: int, dates: list[FoundDate]):
    """A date in the sentence's opening phrase or right after the speech verb ('said Monday')."""
    opening = re.match(r"^\s*[^,]{0,40},", sentence)
    limit = sentence_start + (opening.end() if opening else 0)
    for date in dates:
        if sentence_start <= date.start < limit:
            return date.value
    verb = _VERB_BEFORE.search(sentence, 0, quote_at)
    if verb:
        near = sentence_start + verb.end()
        for date in dates:
            if near <= date.start <= near + 3:
                return date.value
    return None
