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
Backend = Literal["postgresql", "fallback"]

# Words that say nothing about the service (beyond PostgreSQL's own German stop words, which
# the fallback does not have): the stems of "ich habe ... gekauft, was muss ich tun".
STOP_WORDS = frozenset(
    """
    ab aber alle als also am an auch auf aus bei beim bin bis bitte brauch brauche brauchen
    da damit dann das dass dem den der des die dies diese dieser doch du durch ein eine einem
    einen einer eines er es etwas für gibt habe haben hat hatte ich ihr im in ist ja jetzt
    kann kein keine man mein meine meinem meinen meiner mich mir mit möchte muss müssen nach
    neu neue neuen neuer nicht noch nun ob oder sich sie sind so soll tun um und uns unser
    unsere von vor was weil welche wenn wer wie will wir wird wo zu zum zur gern gerne hallo
    guten tag machen mache gemacht bekommen bekomme kriege kriegen geht gehen wohin wann wieso
    frage fragen hilfe infos information informationen
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


def expand(question_words: list[str]) -> dict[str, float]:
    """The question's words (weight 1) plus the other words of every synonym group one of
    them belongs to (weight SYNONYM_WEIGHT)."""
    result = dict.fromkeys(question_words, 1.0)
    stems = {stem(w) for w in question_words}
    for group in synonym_groups():
        if stems & {stem(w) for w in group}:
            for word in sorted(group):
                result.setdefault(word, SYNONYM_WEIGHT)
    return result


def search(question: str, *, limit: int = 5, backend: Backend | None = None) -> list[Hit]:
    """The best matching active services, best first (empty for an empty question).

    Each backend scores every (service, word) pair; words that match many services (e.g.
    "beantragen", which is in a third of the names) say little about which one is meant, so
    each word's scores are weighted by its inverse document frequency over the catalogue
    (BM25's idf), as a search engine would.
    """
    terms = expand(words(question))
    if not terms:
        return []
    chosen = backend or ("postgresql" if connection.vendor == "postgresql" else "fallback")
    if chosen == "postgresql":
        rows = _scores_postgresql(list(terms))
    else:
        rows = _scores_fallback(list(terms))
    total = _active().count()
    weights = list(terms.values())
    frequency = [sum(1 for _, scores in rows if scores[i] > 0) for i in range(len(weights))]
    idf = [math.log(1 + (total - df + 0.5) / (df + 0.5)) for df in frequency]
    hits = [
        Hit(
            service=service,
            score=sum(w * f * s for w, f, s in zip(weights, idf, scores, strict=True)),
        )
        for service, scores in rows
    ]
    hits = [h for h in hits if h.score > 0]
    hits.sort(key=lambda h: (-h.score, h.service.name))
    return hits[:limit]


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


# Field weights of the fallback, in the proportions of PostgreSQL's default A/B/C weights.
FIELD_WEIGHTS = (("name", 1.0), ("keywords", 0.4), ("description", 0.2))


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
