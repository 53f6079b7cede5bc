"""Navigator benchmark: hit@1 and hit@3 over German questions in plain citizen language.

    make bench-navigator   (python -m tests.bench.navigator_bench with DATABASE_URL set)

The questions and the service each should find are in navigator_questions.json, in words
citizens use, not the catalogue's: the "tuning" set (60) was written before the navigator
was tuned and then used to tune it (stop words, synonyms, idf weighting); the "held-out" set
(12) was written afterwards and never tuned on, so it shows how far the tuning generalises.
The demo catalogue is imported into a fresh database (``test_<name>``, dropped afterwards);
both backends answer every question: PostgreSQL full-text search and the Python fallback
used on SQLite (which runs the same way on any database). Prints figures and misses; never asserts.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection  # noqa: E402

from consult import demo  # noqa: E402
from consult.catalogue import navigator  # noqa: E402
from consult.catalogue.importer import import_catalogue_file  # noqa: E402
from consult.catalogue.models import Topic  # noqa: E402

QUESTIONS = Path(__file__).with_name("navigator_questions.json")


def evaluate(backend: navigator.Backend, questions: list[dict[str, str]]) -> None:
    hit1 = hit3 = 0
    misses = []
    timings = []
    for item in questions:
        started = time.perf_counter()
        found = [h.service.slug for h in navigator.search(item["question"], backend=backend)]
        timings.append((time.perf_counter() - started) * 1000)
        hit1 += found[:1] == [item["expected"]]
        hit3 += item["expected"] in found[:3]
        if item["expected"] not in found[:3]:
            misses.append(f"    {item['question']!r}: expected {item['expected']}, got {found[:3]}")
    n = len(questions)
    print(
        f"{backend:>10}: hit@1 {hit1}/{n} = {hit1 / n:.0%}   hit@3 {hit3}/{n} = {hit3 / n:.0%}"
        f"   median {statistics.median(timings):.1f} ms per question"
    )
    print("\n".join(misses) if misses else "    (no misses in the top 3)")


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to PostgreSQL (the fallback is measured in the same run).")
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        for order, (slug, name, description) in enumerate(demo.TOPICS):
            Topic.objects.create(slug=slug, name=name, description=description, sort_order=order)
        result = import_catalogue_file(path=demo.CATALOGUE_FILE)
        print(f"{len(questions)} questions, {result.created} services in the demo catalogue")
        navigator.search("warm up")
        for part in ("tuning", "held-out", None):
            chosen = [q for q in questions if part is None or q["set"] == part]
            print(f"\n{part or 'all'} ({len(chosen)} questions)")
            for backend in ("postgresql", "fallback"):
                evaluate(backend, chosen)  # type: ignore[arg-type]
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
