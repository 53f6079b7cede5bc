"""Navigator benchmark: does the navigator find the service a citizen means, and does it say
so plainly when the catalogue has none?

    make bench-navigator   (python -m tests.bench.navigator_bench with DATABASE_URL set)
    python -m tests.bench.navigator_bench --calibrate   (the figures for other thresholds)

The questions are in navigator_questions.json, in words citizens use, not the catalogue's,
each with the service it should find, or ``null`` when the catalogue has no fitting service.
Sets: "tuning" (60) was written before the navigator was tuned and then used to tune it
(stop words, synonyms, idf weighting); "held-out" (12) afterwards and never tuned on. With the
city-sized catalogue (issue 17) came "after-catalogue-tuning" (74, written once the catalogue
was final, used to calibrate the confidence rule) and "after-catalogue-held-out" (59, written
and committed at the same time, before any calibration, and never tuned on).

Figures per set and backend: on answerable questions hit@1 and hit@3 (the expected service
first, or among the first three), and how often the answer is confident (the topic box is
shown); on out-of-catalogue questions the share that correctly gets no confident answer.
The demo catalogue is imported into a fresh database (``test_<name>``, dropped afterwards);
both backends answer every question: PostgreSQL full-text search and the Python fallback
used on SQLite (which runs the same way on any database). Prints figures and misses; never
asserts.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup()

from django.db import connection  # noqa: E402

from consult import demo  # noqa: E402
from consult.catalogue import navigator  # noqa: E402
from consult.catalogue.importer import import_catalogue_file  # noqa: E402
from consult.catalogue.models import Topic  # noqa: E402

QUESTIONS = Path(__file__).with_name("navigator_questions.json")
SETS = ("tuning", "held-out", "after-catalogue-tuning", "after-catalogue-held-out")
CALIBRATION_SETS = ("tuning", "after-catalogue-tuning")


def answers(
    backend: navigator.Backend, questions: list[dict[str, Any]]
) -> list[tuple[dict[str, Any], list[str], float, float]]:
    """Per question: the question, the slugs found, the confidence and milliseconds."""
    result = []
    for item in questions:
        started = time.perf_counter()
        found = navigator.answer(item["question"], backend=backend)
        elapsed = (time.perf_counter() - started) * 1000
        result.append((item, [h.service.slug for h in found.hits], found.confidence, elapsed))
    return result


def figures(
    rows: list[tuple[dict[str, Any], list[str], float, float]], threshold: float
) -> dict[str, Any]:
    answerable = [r for r in rows if r[0]["expected"]]
    outside = [r for r in rows if not r[0]["expected"]]
    return {
        "n": len(answerable),
        "hit1": sum(found[:1] == [item["expected"]] for item, found, _, _ in answerable),
        "hit3": sum(item["expected"] in found[:3] for item, found, _, _ in answerable),
        "sure": sum(bool(found) and c >= threshold for _, found, c, _ in answerable),
        "sure_right": sum(
            bool(found) and c >= threshold and found[0] == item["expected"]
            for item, found, c, _ in answerable
        ),
        "m": len(outside),
        "unsure": sum(not found or c < threshold for _, found, c, _ in outside),
    }


def share(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / whole:.0%}" if whole else "-"


def report(backend: str, rows: list[tuple[dict[str, Any], list[str], float, float]]) -> None:
    threshold = navigator.CONFIDENCE_THRESHOLD
    f = figures(rows, threshold)
    print(
        f"{backend:>10}: answerable: hit@1 {share(f['hit1'], f['n'])}, "
        f"hit@3 {share(f['hit3'], f['n'])}, confident {share(f['sure'], f['n'])} "
        f"(wrong service among them: {f['sure'] - f['sure_right']});"
        f"  out of catalogue without a confident answer {share(f['unsure'], f['m'])};"
        f"  median {statistics.median(r[3] for r in rows):.1f} ms"
    )
    for item, found, confidence, _ in rows:
        expected = item["expected"]
        sure = bool(found) and confidence >= threshold
        if expected and expected not in found[:3]:
            print(f"    miss {item['question']!r}: expected {expected}, got {found[:3]}")
        elif not expected and sure:
            print(f"    confident although out of catalogue {item['question']!r}: {found[:1]}")
        elif expected and not sure:
            print(f"    found but not confident ({confidence:.2f}) {item['question']!r}")


def calibrate(all_rows: dict[str, list[tuple[dict[str, Any], list[str], float, float]]]) -> None:
    print(
        f"\ncalibration on {', '.join(CALIBRATION_SETS)}: threshold -> confident on answerable"
        " / out of catalogue without a confident answer"
    )
    for backend, rows in all_rows.items():
        chosen = [r for r in rows if r[0]["set"] in CALIBRATION_SETS]
        print(f"  {backend}:")
        for step in range(20, 75, 5):
            f = figures(chosen, step / 100)
            print(
                f"    {step / 100:.2f}: {share(f['sure_right'], f['n'])} confident and right,"
                f" {share(f['unsure'], f['m'])} out of catalogue unsure"
            )


def main() -> None:
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL to PostgreSQL (the fallback is measured in the same run).")
    questions = json.loads(QUESTIONS.read_text(encoding="utf-8"))
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        for order, (slug, name, description) in enumerate(demo.TOPICS):
            Topic.objects.create(slug=slug, name=name, description=description, sort_order=order)
        result = import_catalogue_file(path=demo.CATALOGUE_FILE)
        outside = sum(not q["expected"] for q in questions)
        print(
            f"{len(questions)} questions ({outside} out of catalogue), {result.created} services"
            f" in the demo catalogue, confidence threshold {navigator.CONFIDENCE_THRESHOLD}"
        )
        navigator.search("warm up")
        all_rows = {b: answers(b, questions) for b in ("postgresql", "fallback")}  # type: ignore[arg-type]
        for part in (*SETS, None):
            print(
                f"\n{part or 'all'} ({sum(part in (None, q['set']) for q in questions)} questions)"
            )
            for backend, rows in all_rows.items():
                report(backend, [r for r in rows if part in (None, r[0]["set"])])
        if "--calibrate" in sys.argv:
            calibrate(all_rows)
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
