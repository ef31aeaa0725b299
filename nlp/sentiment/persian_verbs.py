"""Persian verb forms that matter for sentiment, generated from stems.

Persian negates a verb with a prefix (ن، نمی): "خوب نبود" (was not good), "نرسید" (did not
arrive), "دوست نداشتم" (did not like). To see a negation we must recognise the verb form, in
formal and colloquial spelling, with or without the half-space after می/نمی. Rather than list
thousands of forms, each verb gives its stems and the forms are generated: past (رسیدم),
imperfect (می‌رسیدم), present (می‌رسم / colloquial می‌رسه), subjunctive (برسه), participle
(رسیده) — each with its negated form (نرسیدم، نمی‌رسم، نرسیده).

Keys are written as the scorer's key normaliser leaves them: no half-space, آ written ا.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

PAST_ENDINGS = ("", "م", "ی", "یم", "ید", "ند", "ن", "ین")
PRESENT_ENDINGS = ("م", "ی", "د", "ه", "یم", "ید", "ند", "ن", "ین")
PARTICIPLE_ENDINGS = ("ه", "هام", "های", "هایم", "هاید", "هاند")


@dataclass(frozen=True, slots=True)
class Verb:
    """A verb by its stems. `valence`: the verb's own sentiment (چسبیدن "to hit the spot").
    `complaint`: said negated with nothing else to negate, it reports something missing or
    undone ("سس نداشت", "نرسید", "نیاوردن"), which in a review or post is a complaint."""

    infinitive: str
    past: tuple[str, ...]
    present: tuple[str, ...] = ()  # stems used after می/نمی
    subjunctive: tuple[str, ...] = ()  # stems used after ب/ن (برسه، نرسه); only where unambiguous
    valence: float = 0.0
    complaint: bool = False
    plain_present: bool = False  # the present goes without می (دارم، ندارم؛ باشه، نباشه)


@dataclass(frozen=True, slots=True)
class VerbForm:
    lemma: str
    negated: bool
    valence: float
    complaint: bool


VERBS: tuple[Verb, ...] = (
    Verb("بودن", ("بود",), ("باش",), complaint=True, plain_present=True),
    Verb("شدن", ("شد",), ("شو", "ش"), ("ش", "شو"), complaint=True),
    Verb("داشتن", ("داشت",), ("دار",), complaint=True, plain_present=True),
    Verb("کردن", ("کرد",), ("کن",), ("کن",), complaint=True),
    Verb("دادن", ("داد",), ("ده", "د"), ("ده", "د"), complaint=True),  # بده، بدم: "give", not "bad"
    Verb("امدن", ("امد", "اومد"), ("ای", "ا"), complaint=True),
    Verb("اوردن", ("اورد", "اوورد"), ("اور", "ار"), complaint=True),
    Verb("رسیدن", ("رسید",), ("رس",), ("رس",), complaint=True),
    Verb("فرستادن", ("فرستاد",), ("فرست",), ("فرست",), complaint=True),
    Verb("گذاشتن", ("گذاشت", "ذاشت"), ("گذار", "ذار"), ("ذار", "گذار"), complaint=True),
    Verb("زدن", ("زد",), ("زن",), ("زن",), complaint=True),
    Verb("گرفتن", ("گرفت",), ("گیر",), ("گیر",), complaint=True),
    Verb("خوردن", ("خورد",), ("خور",), ("خور",), complaint=True),
    Verb("پختن", ("پخت",), ("پز",), complaint=True),
    Verb("توانستن", ("توانست", "تونست"), ("توان", "تون"), ("توان", "تون"), complaint=True),
    Verb("کشیدن", ("کشید",), ("کش",), ("کش",)),
    Verb("بردن", ("برد",), ("بر",)),
    Verb("خواستن", ("خواست",), ("خواه", "خوا")),
    Verb("دانستن", ("دانست", "دونست"), ("دان", "دون")),
    Verb("دیدن", ("دید",), ("بین",)),
    Verb("گفتن", ("گفت",), ("گو", "گ")),
    Verb("خریدن", ("خرید",), ("خر",)),
    Verb("ماندن", ("ماند", "موند"), ("مان", "مون")),
    Verb("ارزیدن", ("ارزید",), ("ارز",), ("ارز",), valence=1.6),
    Verb("چسبیدن", ("چسبید",), ("چسب",), ("چسب",), valence=2.0),
    Verb("پسندیدن", ("پسندید",), ("پسند",), ("پسند",), valence=2.0),
)


def _negated_stems(stem: str) -> tuple[str, ...]:
    """ن before a stem; before ا it becomes نی, keeping the ا (formal نیامد، نیاورد) or merging
    with it (colloquial نیومد)."""
    return ("نی" + stem, "نی" + stem[1:]) if stem.startswith("ا") else ("ن" + stem,)


def _affirmative_and_negated(verb: Verb) -> Iterable[tuple[str, bool]]:
    for stem in verb.past:
        for ending in PAST_ENDINGS:
            yield stem + ending, False
            yield "می" + stem + ending, False
            yield "نمی" + stem + ending, True
            for neg in _negated_stems(stem):
                yield neg + ending, True
        for ending in PARTICIPLE_ENDINGS:
            yield stem + ending, False
            for neg in _negated_stems(stem):
                yield neg + ending, True
    for stem in verb.present:
        for ending in PRESENT_ENDINGS:
            yield "می" + stem + ending, False
            yield "نمی" + stem + ending, True
            if verb.plain_present:
                yield stem + ending, False
                yield "ن" + stem + ending, True
    for stem in verb.subjunctive:
        for ending in PRESENT_ENDINGS:
            yield "ب" + stem + ending, False
            for neg in _negated_stems(stem):
                yield neg + ending, True


def _copula() -> Iterable[tuple[str, bool]]:
    for ending in ("", "م", "ی", "یم", "ید", "ند", "ن", "ین"):
        yield "هست" + ending, False
        yield "نیست" + ending, True
    yield "است", False
    yield "ست", False


def build_verb_forms(verbs: Iterable[Verb] = VERBS) -> Mapping[str, VerbForm]:
    """form key -> VerbForm. Where two verbs share a form, the first listed wins."""
    forms: dict[str, VerbForm] = {}
    for verb in verbs:
        for form, negated in _affirmative_and_negated(verb):
            if len(form) >= 2:
                forms.setdefault(form, VerbForm(verb.infinitive, negated, verb.valence, verb.complaint))
    be = next(v for v in verbs if v.infinitive == "بودن")
    for form, negated in _copula():
        forms.setdefault(form, VerbForm(be.infinitive, negated, 0.0, True))
    return MappingProxyType(forms)


LEMMAS = frozenset(verb.infinitive for verb in VERBS)
