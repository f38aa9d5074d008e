"""Evidence-like text for the search benchmark, made from word lists of our own.

Four languages in three scripts (English and French in Latin with accents, Arabic with
and without harakat, Ukrainian in Cyrillic). Each language has a head of common words we
wrote, in rough order of frequency, and a long tail of made-up names (places, people,
units) built from the script's syllables, so that some words are in most items, some in
a few thousand, and most in a handful, as in a real case. Words are drawn by Zipf's law.
"""

from __future__ import annotations

import numpy as np


def _words(text: str) -> list[str]:
    return text.split()


ENGLISH = _words(
    """
the of and in a to was on hospital at by were strike attack from with airstrike medical
it as after hit killed people two city its area civilians staff building damage injured
east night reported said ward centre clinic ambulance three bombing barrel bomb doctors
patients emergency entrance video photo shows smoke children school market missile
shelling regime forces morning local sources near destroyed severe damaged roof floor
generator operating theatre paediatric surgical maternity nurse volunteers rescue white
helmets crater debris rubble witnesses footage satellite imagery before street district
neighbourhood siege evacuation corridor convoy aid warehouse pharmacy supplies oxygen
blood bank intensive care unit
"""
)

FRENCH = _words(
    """
le la les de des du et à en un une hôpital frappe attaque aérienne été bombardement
ville quartier civils blessés tués médecins infirmières urgence entrée école marché
fumée décombres témoins vidéo photo montre nuit matin détruit endommagé toit étage
générateur bloc opératoire maternité pédiatrie secours ambulance dépôt pharmacie
approvisionnement évacuation siège cratère façade sous-sol électricité réanimation
"""
)

ARABIC = _words(
    """
في من على مستشفى قصف غارة جوية الطيران حلب الشرقية مدني مدنيين جرحى قتلى أطباء ممرضين
الإسعاف الطوارئ مدخل مدرسة سوق دخان أنقاض شهود فيديو صورة تظهر ليلا صباحا دمار كامل
أضرار السقف الطابق مولد غرفة العمليات الولادة الأطفال الدفاع المدني الخوذ البيضاء حفرة
برميل متفجر صاروخ حصار إخلاء قافلة مساعدات مستودع صيدلية أكسجين العناية المركزة
"""
)

UKRAINIAN = _words(
    """
в на і з у лікарня удар обстріл авіаудар ракета місто район цивільні поранені загиблі
лікарі медсестри швидка допомога відділення пологовий будинок школа ринок дим уламки
свідки відео фото показує вночі вранці зруйновано пошкоджено дах поверх генератор
операційна реанімація евакуація облога
"""
)

SYLLABLES = {
    "latin": _words(
        "ba ka ra ma sa ta na la da za ha ya bi ki ri mi si ti ni li di zi hu yu ou é è"
    ),
    "arabic": _words("با كا را ما سا تا نا لا دا زا ها يا بي كي ري مي سي تي ني لي دي زو هو يو"),
    "cyrillic": _words("ба ка ра ма са та на ла да за ха я бі кі рі мі сі ті ні лі ді зо хо ю"),
}
HARAKAT = "\u064e\u064f\u0650\u0651\u0652"

# (name, head words, script of its tail, share of the items)
LANGUAGES = (
    ("en", ENGLISH, "latin", 0.5),
    ("ar", ARABIC, "arabic", 0.3),
    ("fr", FRENCH, "latin", 0.1),
    ("uk", UKRAINIAN, "cyrillic", 0.1),
)
TAIL = 30_000  # made-up words a language
KINDS = ("social_post", "article", "dataset_row", "photo", "video")
KIND_SHARES = (0.5, 0.15, 0.25, 0.05, 0.05)
SENSITIVITIES = ("public", "restricted", "confidential")
SENSITIVITY_SHARES = (0.85, 0.1, 0.05)


class Corpus:
    """Draws items' words; `vocabularies[language]` lists each language's words by rank."""

    def __init__(self, seed: int = 7):
        self.random = np.random.default_rng(seed)
        self.vocabularies = {}
        self.weights = {}
        for name, head, script, _ in LANGUAGES:
            tail = self._made_up(SYLLABLES[script], TAIL, set(head))
            words = np.array(head + tail, dtype=object)
            ranks = np.arange(1, len(words) + 1)
            weights = 1.0 / (ranks + 2.7) ** 1.07
            self.vocabularies[name] = words
            self.weights[name] = weights / weights.sum()

    def _made_up(self, syllables: list[str], count: int, taken: set[str]) -> list[str]:
        words: list[str] = []
        seen = set(taken)
        while len(words) < count:
            parts = self.random.choice(syllables, size=self.random.integers(2, 5))
            word = "".join(parts)
            if word not in seen:
                seen.add(word)
                words.append(word)
        return words

    def texts(self, language: str, count: int, low: int, high: int) -> list[str]:
        """`count` texts of `low` to `high` words of `language`."""
        lengths = self.random.integers(low, high, size=count)
        drawn = self.random.choice(
            self.vocabularies[language], size=int(lengths.sum()), p=self.weights[language]
        )
        if language == "ar":
            drawn = self._with_harakat(drawn)
        ends = np.cumsum(lengths)
        return [" ".join(drawn[end - n : end]) for end, n in zip(ends, lengths, strict=True)]

    def _with_harakat(self, words: np.ndarray) -> np.ndarray:
        """One word in ten written with a haraka, as some writers do."""
        marked = self.random.random(len(words)) < 0.1
        marks = self.random.choice(list(HARAKAT), size=len(words))
        out = words.copy()
        for index in np.flatnonzero(marked):
            word = out[index]
            out[index] = word[:1] + marks[index] + word[1:]
        return out

    def languages(self, count: int) -> np.ndarray:
        names = [name for name, *_ in LANGUAGES]
        return self.random.choice(names, size=count, p=[share for *_, share in LANGUAGES])

    def choice(self, values, shares, count: int) -> np.ndarray:
        return self.random.choice(values, size=count, p=shares)
