"""Counts the text states: "73 attacks on health in last 6 months", "12 civilians killed".

Only counts of things an investigation of attacks counts (attacks, strikes, people, the dead
and wounded, facilities) are taken, so that ages, prices and page numbers stay out.
"""

from __future__ import annotations

import re

from siteline.ingest.model import Figure

_COUNTED = (
    r"attacks?|strikes?|air\s?strikes?|raids?|bombings?|bombs?|barrel\s+bombs?|missiles?|rockets?|"
    r"shells?|explosions?|people|persons|civilians?|children|child|women|men|patients?|doctors?|"
    r"nurses?|medics?|health\s+workers?|staff|hospitals?|facilities|facility|clinics?|schools?|"
    r"dead|killed|deaths?|wounded|injured|casualties|victims?|fighters?|soldiers?|rebels?|"
    r"refugees?|buildings?|homes?|houses?|incidents?|violations?"
)
_PERIOD = (
    r"(?:in|over|during|within|for)\s+(?:the\s+)?(?:last|past|first|previous|next)\s+"
    r"(?:\d+|two|three|four|five|six|seven|eight|nine|ten|twelve)\s+(?:days?|weeks?|months?|years?)"
    r"|(?:in|during|since|over)\s+(?:the\s+)?(?:last|past)\s+(?:day|week|month|year)"
)
_FIGURE = re.compile(
    rf"(?<![\w.,/-])(?P<value>\d{{1,3}}(?:,\d{{3}})+|\d{{1,7}})\+?\s+"
    rf"(?P<what>(?:[a-z][a-z-]*\s+){{0,2}}?(?:{_COUNTED})\b"
    rf"(?:\s+(?:on|against|in|at|of)\s+(?!(?:the\s+)?(?:last|past)\b)(?:the\s+)?[a-z][a-z-]+)?)"
    rf"(?:\s+(?P<period>{_PERIOD}))?"
)
_NOT_COUNTS = re.compile(r"^(?:years?|months?|days?|weeks?|percent|per|times|am|pm)\b")


def find_figures(text: str) -> list[Figure]:
    figures = []
    for match in _FIGURE.finditer(text):
        what = " ".join(match.group("what").split())
        if _NOT_COUNTS.match(what):
            continue
        period = match.group("period")
        if period:
            period = re.sub(r"^(?:in|over|during|within|for|since)\s+(?:the\s+)?", "", period)
        figures.append(
            Figure(
                text=match.group().strip(),
                value=int(match.group("value").replace(",", "")),
                what=what,
                period=period,
                start=match.start(),
                end=match.end(),
            )
        )
    return figures
