"""The answer inside an evidence sentence: the few words that answer the question ("**15일**").

When the model's reply cannot be shown, the answer leads with the evidence
sentence, and the span marked in it is what an employee reads first. The
span is found without a model: the question says what kind of thing it asks
for (a number, a date, a person, a place, or a thing); the sentence's
candidates of that kind (numbers with their units, dates, runs of names,
noun phrases: Kiwi's morphemes in Korean, the words' shapes in English) are
scored by being new (not the question's own words), being near the
question's words in the sentence, and being what the model's reply says
(the reply may point to the span; the span is always the passage's exact
words, never the model's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import islice
from typing import Literal

from storage import STOPWORDS, Analyzer

from ..language import Language

Kind = Literal["number", "date", "person", "place", "thing", "reason"]

REPLY_WEIGHT = 2.0  # a candidate the model's reply names, against its kind (1) and nearness (up to 1)
LENGTH_WEIGHT = 0.1  # per word, up to five

# What a question asks for, by its question words. Order matters where two match at one place: "how many
# years" is a number, "what year" a date.
_ASKS: dict[Language, list[tuple[Kind, re.Pattern]]] = {
    "en": [
        ("reason", re.compile(r"^\s*(why|how (is|are|was|were|do|does|did|can|could))\b|\bfor what reason\b", re.I)),
        ("date", re.compile(r"\b(when|what (year|date|day|month|century|decade|time period)|which (year|date|"
                            r"century|decade)|in what year)\b", re.I)),
        ("number", re.compile(r"\b(how (many|much|long|old|far|large|big|high|tall|often|fast|deep|wide)|"
                              r"what (percentage|percent|number|amount|proportion|share|fraction|size|rate)|"
                              r"what (is|are|was|were) the [^?]*\b(fees?|costs?|prices?|charges?|salary|wages?|"
                              r"budget|limits?|amount))\b", re.I)),
        ("person", re.compile(r"\b(who|whom|whose|which person|what person)\b", re.I)),
        ("place", re.compile(r"\b(where|what (city|country|state|place|region|town|continent)|which (city|"
                             r"country|state|place|region|town|continent))\b", re.I)),
    ],
    "ko": [
        ("reason", re.compile(r"왜|이유|어떻게|원인")),
        # A year or a time: asked with 언제, or by ending on it ("… 해는?", "… 시기는?").
        ("date", re.compile(r"언제|몇\s?년도|몇\s?년에|몇\s?월|몇\s?세기|(해|연도|년도|시기|날짜|날)(는|은|가|이)?\s*\??\s*$")),
        ("number", re.compile(r"몇|얼마|며칠|(요금|비용|가격|금액|한도|급여|수당)(은|는|이|가)?\s*(어떻게|무엇)")),
        ("person", re.compile(r"누구|누가|누군|어떤 사람|인물은")),
        ("place", re.compile(r"어디|어느 (곳|나라|도시|지역)")),
    ],
}

_MONTHS = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_NUMBER_WORDS = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|"
                 r"forty|fifty|hundred|thousand|million|billion|dozen|half)")
_EN_DATE = re.compile(rf"(?<![\d,.])\b(?:{_MONTHS}\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{3,4}}|\d{{1,2}}\s+{_MONTHS}\s+\d{{3,4}}|"
                      rf"{_MONTHS}\s+\d{{3,4}}|{_MONTHS}\s+\d{{1,2}}|(?:the\s+)?\d{{3,4}}s|\d{{1,2}}(?:st|nd|rd|th)"
                      rf"\s+century|\d{{3,4}}(?:\s?(?:BC|AD|BCE|CE))?)\b")
_EN_NUMBER = re.compile(rf"(?:[$€£₩¥]\s?)?\b(?:\d[\d,.]*|{_NUMBER_WORDS})(?:\s?(?:%|percent|per cent|million|"
                        rf"billion|thousand|hundred))?(?:\s+(?!of\b|and\b|the\b|to\b|in\b)[A-Za-z][a-z]+)?", re.I)
# A name: capitalised words, with the small words names hold ("Bank of England", "Leonardo da Vinci").
_EN_NAME = re.compile(r"\b[A-Z][\w'’-]*(?:\s+(?:(?:of|the|de|da|von|van|del|la|and)\s+)*[A-Z][\w'’-]*)*")
_EN_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")

# Korean: numbers with the bound noun or unit after them, names, noun runs.
_KO_UNIT_TAGS = ("NNB", "NNG", "SL")
_KO_NOUN_TAGS = ("NNG", "NNP", "SL", "XPN", "XSN", "SH")
_KO_NUMBER_LEADS = ("오전", "오후", "약", "총", "최대", "최소", "매년", "매월", "기원전")
_KO_DATE_UNITS = ("년", "월", "일", "세기", "년대", "시", "분기")


@dataclass(frozen=True)
class Span:
    start: int  # characters of the evidence sentence
    end: int
    text: str
    sentence: int = 0  # which of the answer's evidence sentences holds it
    said: bool = False  # the model's reply names these words too
    choices: int = 1  # distinct runs of the sentence that fit the question (1: no other could be it)


@dataclass(frozen=True)
class Candidate:
    start: int
    end: int
    kind: Kind


# Kinds whose answer is a number, a date or a name: evidence with none of that kind does not answer.
TYPED: tuple[Kind, ...] = ("number", "date", "person", "place")


def asked_for(question: str, language: Language) -> Kind:
    """By the question words: in English the first of them (the question leads with it: "Who led the troops
    when …" asks for a person), in Korean, where they come late, the first kind in the list above."""
    found = [(match.start() if language == "en" else 0, order, kind)
             for order, (kind, pattern) in enumerate(_ASKS[language]) if (match := pattern.search(question))]
    return min(found)[2] if found else "thing"


def answer_span(question: str, sentence: str, language: Language, analyzer: Analyzer,
                reply: str = "") -> Span | None:
    """The words of ``sentence`` that answer ``question``; None when none can be told apart."""
    kind = asked_for(question, language)
    if kind == "reason":
        return None  # a reason or a manner is a clause: the whole evidence sentence answers
    question_terms = set(analyzer.terms(question))
    if is_row(sentence):  # a table row or a form: the answer is a cell, or the row says it as a whole
        return field_span(sentence, kind, question, analyzer)
    fitting = fitting_candidates(question, sentence, language, analyzer)
    pointed = _pointed(sentence, reply, question_terms, analyzer)
    if pointed is not None and kind == "thing":
        fitting.append(Candidate(pointed.start, pointed.end, "thing"))
    if not fitting:
        return None
    anchors = _anchors(sentence, question_terms, analyzer)

    def said(candidate: Candidate) -> bool:
        return says(reply, sentence[candidate.start:candidate.end])

    def score(candidate: Candidate) -> float:
        value = REPLY_WEIGHT * said(candidate)  # the model's reply names it
        value += candidate.kind == kind  # exactly the kind asked for (a date for "when", not just any number)
        if anchors:
            value += 1.0 / (1.0 + min(_distance(candidate, a) for a in anchors) / 20)
        # Among the near-equal, the longer: "18% higher" over "18%", "Genoese traders" over "Genoese".
        return value + LENGTH_WEIGHT * min(len(sentence[candidate.start:candidate.end].split()), 5)

    best = max(fitting, key=score)
    if kind == "thing" and not said(best):
        return None  # "what ...": any noun could be it; without the reply's word for it, a guess
    choices = len({squeeze(sentence[c.start:c.end]) for c in fitting})
    phrase = language == "en" and best.kind not in ("number", "date")
    end = _whole_phrase(sentence, best) if phrase else best.end
    return Span(best.start, end, sentence[best.start:end], said=said(best), choices=choices)


# A table row or a form's fields as ingest writes them: "caption › name: value; name: value".
_FIELD = re.compile(r"(?:^|; |› )([^:;›]+?): ([^;]+?)(?=; |$)")


def is_row(sentence: str) -> bool:
    """Written by ingest as a table row or a form's fields ("name: value; name: value")."""
    return len(_FIELD.findall(sentence)) >= 2


def field_span(sentence: str, kind: Kind, question: str, analyzer: Analyzer) -> Span | None:
    """In a table row or a form, the cell that answers: the value of the one field whose name shares the
    most of the question's words ("한도" in "야근 식대 한도는?" -> "1회 12,000원"; a name the question
    holds whole, its spacing aside — "합 계" in "합계는?" — counts double), when its value says something
    the question does not (and holds a digit, for a number or a date); None when two names match alike."""
    question_terms = set(analyzer.terms(question))
    squeezed = squeeze(question)

    def match(field: re.Match) -> int:
        name = field.group(1)
        whole = 2 if len(squeeze(name)) > 1 and squeeze(name) in squeezed else 0
        return len(set(analyzer.terms(name)) & question_terms) + whole

    scored = sorted(((match(m), m) for m in _FIELD.finditer(sentence)), key=lambda pair: -pair[0])
    if not scored:
        return None
    best, value = scored[0]
    if not best or (len(scored) > 1 and scored[1][0] == best):
        return None
    text = value.group(2).strip()
    if not _new_terms(text, question_terms, analyzer) or (kind in ("number", "date") and not re.search(r"\d", text)):
        return None
    start = value.start(2) + len(value.group(2)) - len(value.group(2).lstrip())
    return Span(start, start + len(text), text, choices=1)


# Words a noun phrase does not run on through (beside the stop words): prepositions, auxiliaries.
_PHRASE_ENDS = {"from", "than", "were", "has", "have", "had", "been", "after", "before", "during", "over", "under",
                "about", "between", "while", "since", "until", "through", "against", "among", "per", "via"}


def _whole_phrase(sentence: str, candidate: Candidate, longest: int = 3) -> int:
    """Where the noun phrase the candidate begins ends: "Genoese traders", not "Genoese" (English); up to
    ``longest`` more words, up to punctuation, a function word or a past tense ("Lambert led": not the
    phrase's; "dumbbell-shaped" is)."""
    end = candidate.end
    for word in islice(_EN_WORD.finditer(sentence, candidate.end), longest):
        text = word.group().lower()
        if sentence[end:word.start()].strip() or text in STOPWORDS | _PHRASE_ENDS or \
                text.endswith("ed") and "-" not in text:
            break
        end = word.end()
    return _trim(sentence, candidate.start, end)


def fitting_candidates(question: str, sentence: str, language: Language, analyzer: Analyzer) -> list[Candidate]:
    """The runs of the sentence that could answer the question: of the kind it asks for, saying something it
    does not, counted in the unit it asks for."""
    kind = asked_for(question, language)
    question_terms = set(analyzer.terms(question))
    units = expected_units(question, language, analyzer)
    return [c for c in candidates(sentence, language, analyzer)
            if _fits(c.kind, kind) and _new_terms(sentence[c.start:c.end], question_terms, analyzer)
            and (units is None or _has_unit(_with_next_words(sentence, c), units, analyzer))]


def _distance(candidate: Candidate, anchor: int) -> int:
    if anchor < candidate.start:
        return candidate.start - anchor
    return max(0, anchor - candidate.end)


def _pointed(sentence: str, reply: str, question_terms: set[str], analyzer: Analyzer) -> Span | None:
    """The longest run of the sentence's words that the reply also says, without the question's words at
    its ends; None when the reply shares no new word with the sentence."""
    words = list(re.finditer(r"[^\s,;:()“”\"]+", sentence))
    said = squeeze(reply)
    if not said:
        return None
    best: tuple[int, int] | None = None
    for i in range(len(words)):
        for j in range(i, len(words)):
            text = sentence[words[i].start():words[j].end()]
            if squeeze(text) not in said:
                break
            if best is None or words[j].end() - words[i].start() > best[1] - best[0]:
                best = (i, j)
    if best is None:
        return None
    i, j = best
    # Trim the question's own words and stop words from both ends: the span is what is new.
    def is_filler(word: str) -> bool:
        terms = set(analyzer.terms(word))
        return not terms or terms <= question_terms
    while i <= j and is_filler(words[i].group()):
        i += 1
    while j >= i and is_filler(words[j].group()):
        j -= 1
    if i > j:
        return None
    start, end = words[i].start(), _trim(sentence, words[i].start(), words[j].end())
    return Span(start, end, sentence[start:end])


# What an amount of money is written with.
_MONEY = re.compile(r"[$€£₩¥]|\b(dollars?|pounds?|euros?|won|yen|francs?|marks?|guineas?|shillings?|pence|"
                    r"cents?|usd|krw|gbp|eur)\b|원|달러|엔|유로|위안|파운드|프랑", re.I)
_MONEY_WORDS = re.compile(r"\b(price|cost|costs|pay|paid|fee|fees|tuition|salary|wage|wages|worth|value|spend|"
                          r"spent|sell|sold|budget|endowment|fare|fine|charge)\b|가격|요금|비용|금액|연봉|"
                          r"이적료|입장료|재산|값|월급|수당|예산|출고가", re.I)
_DURATION = {"second", "minut", "hour", "day", "week", "month", "year", "decad", "centuri"}


def expected_units(question: str, language: Language, analyzer: Analyzer) -> set[str] | None:
    """What a number that answers must be counted in: money for a price, the counter after 몇 ("몇 층": 층),
    the thing after "how many" ("how many soldiers": soldier), a duration for "how long"; None: any."""
    if re.search(r"\bhow much\b|얼마", question, re.I) and _MONEY_WORDS.search(question):
        return {"money"}
    if language == "ko":
        morphemes = analyzer.morphemes(question)
        counters = [after.form for before, after in zip(morphemes, morphemes[1:]) if before.form == "몇"]
        return {counters[0]} if counters and counters[0] not in ("년", "월", "일") else None
    many = re.search(r"\bhow many ([a-z]+)", question, re.I)
    if many:
        return set(analyzer.terms(many.group(1))) or None
    if re.search(r"\bhow long (did|does|do|is|was|will|has|have)\b", question, re.I):
        return set(_DURATION) | {"long"}
    return None


def _with_next_words(sentence: str, candidate: Candidate, count: int = 2) -> str:
    """The candidate and the words after it, where its unit may stand ("1,000 British soldiers", "ten of the
    fraternities")."""
    if re.match(r"\s+of\b", sentence[candidate.end:]):
        count += 2
    rest = re.match(r"(?:\s*\S+){0,%d}" % count, sentence[candidate.end:])
    return sentence[candidate.start:candidate.end + (rest.end() if rest else 0)]


def _has_unit(text: str, units: set[str], analyzer: Analyzer) -> bool:
    if units == {"money"}:
        return bool(_MONEY.search(text))
    return any(unit in text for unit in units) or bool(set(analyzer.terms(text)) & units)


_QUESTION_WORDS = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "in", "on", "at", "the",
                   "a", "an", "of", "is", "was", "are", "were", "do", "does", "did", "i", "name"}


def question_names(question: str, language: Language, analyzer: Analyzer) -> list[str]:
    """The names a question is about (capitalised words after its first in English, Kiwi's proper
    nouns in Korean): passages that hold none of one cannot answer it."""
    if language == "ko":
        return [m.form for m in analyzer.morphemes(question) if m.tag == "NNP" and len(m.form) > 1]
    words = re.findall(r"\b[A-Z][\w-]*", question)[1:] if question[:1].isupper() else \
        re.findall(r"\b[A-Z][\w-]*", question)
    return [w for w in words if w.lower() not in _QUESTION_WORDS]


def _fits(found: Kind, asked: Kind) -> bool:
    """A candidate can answer: of the kind asked, or of its near kind (a year for "when"; "15일" is
    a count of days as often as a date; a name for "who" or "where")."""
    near = ({"number", "date"}, {"person", "place"})
    return found == asked or any({found, asked} <= pair for pair in near)


def _new_terms(text: str, question_terms: set[str], analyzer: Analyzer) -> bool:
    """The candidate says something the question does not (numbers count as new words)."""
    terms = set(analyzer.terms(text))
    return bool(terms - question_terms) if terms else bool(re.search(r"\d", text))


def _anchors(sentence: str, question_terms: set[str], analyzer: Analyzer) -> list[int]:
    """Where the question's words stand in the sentence (character offsets)."""
    anchors = []
    for match in re.finditer(r"\S+", sentence):
        if set(analyzer.terms(match.group())) & question_terms:
            anchors.append(match.start())
    return anchors


def says(reply: str, words: str) -> bool:
    """The reply holds these words whole, not inside a longer word or number ("U" of "U.S." is not in
    "United", "1" not in "2018"); case aside, and in Korean spacing aside (particles follow their word)."""
    if re.search(r"[가-힣]", words):
        target = squeeze(words)
        edges = (r"(?<!\d)" if target[:1].isdigit() else "", r"(?!\d)" if target[-1:].isdigit() else "")
        return bool(target) and re.search(edges[0] + re.escape(target) + edges[1], squeeze(reply)) is not None
    target = " ".join(words.lower().split())
    spaced = " ".join(reply.lower().split())
    return bool(target) and re.search(rf"(?<![a-z0-9]){re.escape(target)}(?![a-z0-9])", spaced) is not None


def squeeze(text: str) -> str:
    """The text as the span's comparisons see it: no spacing, one case."""
    return re.sub(r"\s+", "", text).lower()


def candidates(sentence: str, language: Language, analyzer: Analyzer) -> list[Candidate]:
    """Every run of the sentence that could answer a question: numbers with their units, dates, names,
    noun phrases (the same run may come as two kinds: a name as person and place)."""
    if language == "ko":
        return _korean_candidates(sentence, analyzer)
    found = [Candidate(m.start(), m.end(), "date") for m in _EN_DATE.finditer(sentence)]
    found += [Candidate(m.start(), _trim(sentence, m.start(), m.end()), "number")
              for m in _EN_NUMBER.finditer(sentence)]
    names = [(_past_leading_stopwords(sentence, m.start(), m.end()), m.end())
             for m in _EN_NAME.finditer(sentence)]
    names = [(start, end) for start, end in names if start > 0 or " " in sentence[start:end]]
    found += [Candidate(start, end, "person") for start, end in names]
    found += [Candidate(start, end, "place") for start, end in names]
    found += [Candidate(start, end, "thing") for start, end in _phrases(sentence)]
    return found


def _past_leading_stopwords(sentence: str, start: int, end: int) -> int:
    """Where a capitalised run really starts: not at the sentence's first word when that is a stop word
    ("Then Guy Lambert" is "Guy Lambert")."""
    while (word := _EN_WORD.match(sentence, start)) and word.end() < end and word.group().lower() in STOPWORDS:
        start = _EN_WORD.search(sentence, word.end()).start()  # the run's next word
    return start


def _trim(sentence: str, start: int, end: int) -> int:
    """A number's span without trailing punctuation."""
    while end > start and sentence[end - 1] in ".,;: ":
        end -= 1
    return end


def _phrases(sentence: str, longest: int = 5) -> list[tuple[int, int]]:
    """Runs of up to ``longest`` words between stop words and punctuation (noun-phrase-like)."""
    spans, run = [], []
    for word in _EN_WORD.finditer(sentence):
        gap = sentence[run[-1].end():word.start()] if run else ""
        if word.group().lower() in STOPWORDS or re.search(r"[,;:()\"“”.]", gap) or len(run) == longest:
            if run:
                spans.append((run[0].start(), _trim(sentence, run[0].start(), run[-1].end())))
            run = [] if word.group().lower() in STOPWORDS else [word]
        else:
            run.append(word)
    if run:
        spans.append((run[0].start(), _trim(sentence, run[0].start(), run[-1].end())))
    return spans


def _korean_candidates(sentence: str, analyzer: Analyzer) -> list[Candidate]:
    morphemes = analyzer.morphemes(sentence)
    found: list[Candidate] = []
    i = 0
    while i < len(morphemes):
        m = morphemes[i]
        if m.tag in ("SN", "NR"):
            # A number, its units and multipliers, and following number-unit pairs (1979년 3월 5일, 1397억원).
            end, j, is_date = m.end, i + 1, False
            while j < len(morphemes) and morphemes[j].start - end <= 1:
                nxt, previous = morphemes[j], morphemes[j - 1]
                if nxt.tag in (*_KO_UNIT_TAGS, "NR") and previous.tag in ("SN", "NR"):
                    is_date |= nxt.form in _KO_DATE_UNITS
                elif not (nxt.tag in ("SN", "NR") and previous.tag in _KO_UNIT_TAGS):
                    break
                end, j = nxt.end, j + 1
            start = found.pop().start if found and found[-1].end == m.start - 1 and \
                sentence[found[-1].start:found[-1].end] in _KO_NUMBER_LEADS else m.start
            found.append(Candidate(start, end, "date" if is_date else "number"))
            i = j
            continue
        if m.tag in _KO_NOUN_TAGS:
            j = i
            while j + 1 < len(morphemes) and morphemes[j + 1].tag in _KO_NOUN_TAGS \
                    and morphemes[j + 1].start - morphemes[j].end <= 1:
                j += 1
            run = morphemes[i:j + 1]
            kind: Kind = "person" if any(r.tag == "NNP" for r in run) else "thing"
            found.append(Candidate(m.start, run[-1].end, kind))
            if kind == "person":
                found.append(Candidate(m.start, run[-1].end, "place"))
            i = j + 1
            continue
        i += 1
    return found
