"""The navigator: a question in the citizen's own words -> matching services and their topic.

Two backends, same interface (docs/catalogue.md):

* **PostgreSQL** (production): full-text search with the ``german`` configuration (Snowball
  stemming, German stop words). The document is a weighted vector of name (A), search words
  (B) and description (C). Every word of the question becomes a *prefix* query on its stem
  (``hund:*`` also finds the compound ``Hundesteuer``), the words are OR-ed (a sentence rarely
  contains every word of a service) and ranked by ``ts_rank``.
* **Fallback** (SQLite, the embedded default): the same words scored in Python over the
  active services (a municipal catalogue has hundreds, not millions, of entries): light
  German suffix stripping, umlaut folding, and exact / prefix / inside-a-compound matches
  weighted like the vector above.

Both expand the question with the maintained synonym groups of ``data/synonyms_de.txt``
("Auto" also searches "Kfz", "umziehen" also "Ummeldung").
"""

import functools
import math
import operator
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.db import connection
from django.db.models import QuerySet

from consult.catalogue.models import Service

SYNONYMS_FILE = Path(__file__).resolve().parent / "data" / "synonyms_de.txt"
MAX_QUERY_LENGTH = 300
MAX_WORDS = 20
MIN_PREFIX = 3  # shorter words are matched only exactly
# The keywords are the words citizens use for a service: a match there ranks above a synonym
# found in another service's name (0.6 * 1) and far above the description (0.2). PostgreSQL's
# default B weight is 0.4.
KEYWORD_WEIGHT = 0.7
PG_WEIGHTS = [0.1, 0.2, KEYWORD_WEIGHT, 1.0]  # D, C, B, A
Backend = Literal["postgresql", "fallback"]

# Words that say nothing about the service. PostgreSQL's German stop words (its snowball list,
# which drops them from a tsquery), so that both backends ignore the same words, plus the
# stems of "ich habe ... gekauft, was muss ich tun, wo darf ich das abgeben".
STOP_WORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen anderer
    anderes anderm andern anderr anders auch auf aus bei bin bis bist da damit dann der den
    des dem die das dass daß derselbe derselben denselben desselben demselben dieselbe
    dieselben dasselbe dazu dein deine deinem deinen deiner deines denn derer dessen dich dir
    du dies diese diesem diesen dieser dieses doch dort durch ein eine einem einen einer eines
    einig einige einigem einigen einiger einiges einmal er ihn ihm es etwas euer eure eurem
    euren eurer eures für gegen gewesen hab habe haben hat hatte hatten hier hin hinter ich
    mich mir ihr ihre ihrem ihren ihrer ihres euch im in indem ins ist jede jedem jeden jeder
    jedes jene jenem jenen jener jenes jetzt kann kein keine keinem keinen keiner keines können
    könnte machen man manche manchem manchen mancher manches mein meine meinem meinen meiner
    meines mit muss musste nach nicht nichts noch nun nur ob oder ohne sehr sein seine seinem
    seinen seiner seines selbst sich sie ihnen sind so solche solchem solchen solcher solches
    soll sollte sondern sonst über um und uns unsere unserem unseren unser unseres unter viel
    vom von vor während war waren warst was weg weil weiter welche welchem welchen welcher
    welches wenn werde werden wie wieder will wir wird wirst wo wollen wollte würde würden zu
    zum zur zwar zwischen
    ab beim bitte brauch brauche brauchen braucht gibt ja möchte möchten müssen neu neue neuen
    neuer neues alt alte alten alter altes tun uns wer gern gerne hallo guten tag mache gemacht
    bekommen bekomme kriege kriegen geht gehen wohin wann wieso warum frage fragen hilfe helfen
    infos information informationen darf dürfen lassen kommt kommen gebe geben finde finden
    gerade jemand heraus viele wurde worden sollen mehr immer schon seit heute morgen gestern
    bald wegen eigentlich einfach leider genau irgendwie irgendwo gefahren
    beantragen beantrage beantragt antrag anträge stellen erledigen
    """.split()
)
SUFFIXES = ("innen", "ern", "en", "er", "es", "em", "e", "n", "s")


@dataclass(frozen=True)
class Hit:
    service: Service
    score: float


def fold(text: str) -> str:
    """Lower case, ß as ss, umlauts and accents without their marks."""
    text = text.lower().replace("ß", "ss")
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def words(text: str) -> list[str]:
    """The question's words: letters and digits, folded, without stop words."""
    found = re.findall(r"[^\W_]+", fold(text[:MAX_QUERY_LENGTH]))
    return [w for w in found if fold(w) not in _folded_stop_words() and len(w) > 1][:MAX_WORDS]


@cache
def _folded_stop_words() -> frozenset[str]:
    return frozenset(fold(w) for w in STOP_WORDS)


def stem(word: str) -> str:
    """A light German stemmer (one suffix off, at least four letters left)."""
    if word.endswith("ung") or len(word) <= 4:
        return word
    if word.endswith("ungen"):
        return word[:-2]
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


@cache
def synonym_groups() -> tuple[frozenset[str], ...]:
    groups = []
    for line in SYNONYMS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0]
        group = frozenset(fold(w.strip()) for w in line.split(",") if w.strip())
        if len(group) > 1:
            groups.append(group)
    return tuple(groups)


SYNONYM_WEIGHT = 0.6  # a word the citizen did not type counts a little less
PART_WEIGHT = 0.8  # a part of a compound the citizen typed ("Angel" of "Angelschein")
MIN_PART = 4  # compound parts have at least four letters
LINKS = ("", "s", "n", "en", "e", "es")  # German linking elements (Fugen): "Hunde|steuer"


@dataclass(frozen=True)
class Term:
    """One word searched for: a word of the question, a part of one of its compounds or a
    synonym of either; ``source`` is the question word it stands for."""

    text: str
    weight: float
    source: int


def expand(question_words: list[str]) -> dict[str, float]:
    """The question's words (weight 1) plus the other words of every synonym group one of
    them belongs to (weight SYNONYM_WEIGHT)."""
    result: dict[str, float] = {}
    for term in _terms(question_words, vocabulary=frozenset()):
        result[term.text] = max(result.get(term.text, 0.0), term.weight)
    return result


def _terms(question_words: list[str], *, vocabulary: frozenset[str]) -> list[Term]:
    """Every word to search for, each tied to the question word it comes from: the word
    itself, the parts of a compound the catalogue does not know as a whole (split into
    words of ``vocabulary``), and the synonyms of both."""
    found: dict[tuple[str, int], float] = {}
    for index, word in enumerate(question_words):
        own = [(word, 1.0)] + [(p, PART_WEIGHT) for p in split_compound(word, vocabulary)]
        for text, weight in own:
            found[(text, index)] = max(found.get((text, index), 0.0), weight)
            for group in _groups_of(stem(text)):
                for other in sorted(group):
                    synonym_weight = min(weight, SYNONYM_WEIGHT)
                    found[(other, index)] = max(found.get((other, index), 0.0), synonym_weight)
    return [Term(text=t, weight=w, source=i) for (t, i), w in found.items()]


def _groups_of(word_stem: str) -> list[frozenset[str]]:
    return [g for g in synonym_groups() if word_stem in {stem(w) for w in g}]


def split_compound(word: str, vocabulary: frozenset[str]) -> list[str]:
    """The parts of a German compound the catalogue does not know as a whole: both parts when
    both are words of the catalogue ("angelschein" -> "angel", "schein"; "hundeanmeldung" -> "hund",
    "anmeldung"), else nothing. Tries the longest first part first and allows a linking
    element (Fugen-s, -n, -en, -e, -es) between the parts. (Taking the last part alone
    when the first is unknown, "Blinden|hund", was tried: it made "Arbeitslosen|geld" and
    "Erb|schein" confident answers.)"""
    if len(word) < 2 * MIN_PART or stem(word) in vocabulary or word in vocabulary:
        return []
    for cut in range(len(word) - MIN_PART, MIN_PART - 1, -1):
        head, tail = word[:cut], word[cut:]
        if stem(tail) not in vocabulary and tail not in vocabulary:
            continue
        for link in LINKS:
            if link and not head.endswith(link):
                continue
            first = head[: len(head) - len(link)] if link else head
            if len(first) >= MIN_PART and (first in vocabulary or stem(first) in vocabulary):
                return [first, tail]
    return []


@dataclass(frozen=True)
class Answer:
    """The navigator's answer: the best services and how sure it is that the best one is
    what the citizen means (``confidence``, 0 to 1; see ``CONFIDENCE_THRESHOLD``)."""

    hits: list[Hit]
    confidence: float

    @property
    def confident(self) -> bool:
        return bool(self.hits) and self.confidence >= CONFIDENCE_THRESHOLD


# Calibrated on the benchmark's tuning sets (docs/catalogue.md, "Confidence").
CONFIDENCE_THRESHOLD = 0.5
# ts_rank of one word found once in a field of weight A: PostgreSQL's scores divided by this
# are on the fallback's scale (1 for the name, 0.4 for the keywords, 0.2 for the description).
PG_UNIT = 0.6079271
TIE_BREAK = 0.05
# For the confidence a keyword match counts fully, a description match (0.2) 0.4.
KEYWORD_BOOST = 2.0


def search(question: str, *, limit: int = 5, backend: Backend | None = None) -> list[Hit]:
    """The best matching active services, best first (empty for an empty question)."""
    return answer(question, limit=limit, backend=backend).hits


def answer(question: str, *, limit: int = 5, backend: Backend | None = None) -> Answer:
    """The best matching active services, best first, and the confidence in the first.

    Each backend scores every (service, word) pair; words that match many services (e.g.
    "anmelden", which is in a fifth of the names) say little about which one is meant, so
    each word's scores are weighted by its inverse document frequency over the catalogue
    (BM25's idf), as a search engine would.
    """
    question_words = words(question)
    if not question_words:
        return Answer(hits=[], confidence=0.0)
    terms = _terms(question_words, vocabulary=_vocabulary())
    texts = sorted({t.text for t in terms})
    chosen = backend or ("postgresql" if connection.vendor == "postgresql" else "fallback")
    if chosen == "postgresql":
        raw_rows = _scores_postgresql(texts)
        unit = PG_UNIT
    else:
        raw_rows = _scores_fallback(texts)
        unit = 1.0
    total = _active().count()
    frequency = {t: sum(1 for _, scores in raw_rows if scores[i] > 0) for i, t in enumerate(texts)}
    idf = {t: _idf(total, df) for t, df in frequency.items()}
    scored = []
    for service, scores in raw_rows:
        raw = {t: s / unit for t, s in zip(texts, scores, strict=True)}
        strength = {t: min(1.0, r) for t, r in raw.items()}
        # Per question word its best term, so a word and its synonyms count once; then, to
        # break ties, a little of everything found (a word in name, keywords and description
        # of one service, several synonyms of it).
        best = [0.0] * len(question_words)
        for term in terms:
            value = term.weight * idf[term.text] * strength[term.text]
            best[term.source] = max(best[term.source], value)
        everything = sum(term.weight * idf[term.text] * raw[term.text] for term in terms)
        scored.append((sum(best) + TIE_BREAK * everything, service, strength))
    scored.sort(key=lambda row: (-row[0], row[1].name))
    hits = [Hit(service=service, score=score) for score, service, _ in scored if score > 0]
    if not hits:
        return Answer(hits=[], confidence=0.0)
    return Answer(
        hits=hits[:limit],
        confidence=_confidence(question_words, terms, idf, scored[0][2], total=total),
    )


def _idf(total: int, df: int) -> float:
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def _confidence(
    question_words: list[str],
    terms: list[Term],
    idf: dict[str, float],
    strength: dict[str, float],
    *,
    total: int,
) -> float:
    """How much of the question the best service explains: each question word counts with
    its specificity (its idf; for a word found only through a synonym or its compound's parts,
    the best of their idf times their weight; a word the catalogue does not know at all counts
    as the rarest), and is explained as far as its best term matches the service
    (a word found in the name or the keywords fully, in the description or inside a compound
    of the keywords partly: the field weights times KEYWORD_BOOST, capped at 1; times the
    term's weight). The keywords are the words citizens use for the service, so a match there
    is as telling as one in the name for whether the service is meant, though it ranks lower.
    """
    unknown = _idf(total, 0)
    specificity = [0.0] * len(question_words)
    explained = [0.0] * len(question_words)
    for term in terms:
        if idf[term.text] >= unknown:
            continue  # found nowhere
        if term.text == question_words[term.source]:
            specificity[term.source] = idf[term.text]  # the word as typed: its own idf
    for term in terms:
        if idf[term.text] < unknown and term.text != question_words[term.source]:
            if idf[question_words[term.source]] >= unknown:  # else the typed word decides
                rarity = term.weight * idf[term.text]
                specificity[term.source] = max(specificity[term.source], rarity)
        found = min(1.0, KEYWORD_BOOST * strength[term.text])
        explained[term.source] = max(explained[term.source], term.weight * found * idf[term.text])
    weights = [s or unknown for s in specificity]
    return sum(explained) / sum(weights)


@functools.lru_cache(maxsize=4)
def _vocabulary_of(texts: tuple[str, ...]) -> frozenset[str]:
    found: set[str] = set()
    for text in texts:
        for word in re.findall(r"[^\W_]+", fold(text)):
            if len(word) >= MIN_PART:
                found.update((word, stem(word)))
    return frozenset(found)


def _vocabulary() -> frozenset[str]:
    """The words of the active services' names and keywords (for splitting compounds)."""
    rows = _active().values_list("name", "keywords")
    return _vocabulary_of(tuple(sorted(f"{name} {keywords}" for name, keywords in rows)))


def _active() -> QuerySet[Service]:
    return Service.objects.filter(active=True, topic__active=True).select_related("topic", "office")


def _scores_postgresql(terms: list[str]) -> list[tuple[Service, list[float]]]:
    """ts_rank of every matching service for every word, in one query."""
    vector = (
        SearchVector("name", weight="A", config="german")
        + SearchVector("keywords", weight="B", config="german")
        + SearchVector("description", weight="C", config="german")
    )
    # Raw tsquery syntax: each word is letters/digits only (see words()), so it is safe.
    queries = [
        SearchQuery(f"{t}:*" if len(t) >= MIN_PREFIX else t, search_type="raw", config="german")
        for t in terms
    ]
    any_word = functools.reduce(operator.or_, queries)
    rows = (
        _active()
        .annotate(
            document=vector, **{f"rank_{i}": SearchRank(vector, q) for i, q in enumerate(queries)}
        )
        .filter(document=any_word)  # type: ignore[misc]  # the stubs miss the annotation
    )
    return [(s, [float(getattr(s, f"rank_{i}")) for i in range(len(terms))]) for s in rows]


# Field weights of the fallback, in the proportions of the A/B/C weights given to PostgreSQL.
FIELD_WEIGHTS = (("name", 1.0), ("keywords", KEYWORD_WEIGHT), ("description", 0.2))


def _scores_fallback(terms: list[str]) -> list[tuple[Service, list[float]]]:
    stems = [stem(t) for t in terms]
    rows = []
    for service in _active():
        fields = [
            (weight, {stem(w) for w in re.findall(r"[^\W_]+", fold(getattr(service, field)))})
            for field, weight in FIELD_WEIGHTS
        ]
        scores = [sum(weight * _match(s, tokens) for weight, tokens in fields) for s in stems]
        if any(scores):
            rows.append((service, scores))
    return rows


def _match(term: str, tokens: set[str]) -> float:
    """1 for the same stem, 0.8 for a prefix ("hund" in "hundesteuer"), 0.5 for a word
    inside a compound ("steuer" in "hundesteuer")."""
    if term in tokens:
        return 1.0
    if len(term) >= MIN_PREFIX and any(t.startswith(term) for t in tokens):
        return 0.8
    if len(term) >= 5 and any(term in t for t in tokens):
        return 0.5
    return 0.0
