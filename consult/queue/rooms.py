"""The live view of a topic's queue, computed once for everyone who waits in it.

One computation gives every waiting citizen's place and estimate (one simulation of the whole
queue, ``estimates.estimate_queue``), the queue's length and oldest request, and the wait of
someone starting now (the start page). It is kept in the cache (Redis when configured, shared
by every process): after a queue change the first waiting room that asks recomputes it, and
every other room reads the same view (``topic_view(..., fresh_since=...)``). docs/queueing.md,
"One view per change".
"""

import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone

from consult import events
from consult.consultations.models import Consultation
from consult.queue.estimates import NEWCOMER, Estimate, estimate_queue

# Estimates drift as time passes: a view older than this is recomputed by its next reader.
MAX_AGE_SECONDS = 15
# While one process computes a topic's view, the others wait up to this long for it.
COMPUTE_WAIT_SECONDS = 2.0


def _key(topic_id: int) -> str:
    return f"queue.view.{topic_id}"


def _lock_key(topic_id: int) -> str:
    return f"queue.view.computing.{topic_id}"


def _estimate_fields(estimate: Estimate | None) -> dict[str, int | None]:
    return {
        "estimate": estimate.seconds if estimate else None,
        "estimate_low": estimate.low if estimate else None,
        "estimate_high": estimate.high if estimate else None,
    }


def compute_topic_view(topic_id: int, now: datetime | None = None) -> dict[str, Any]:
    """The view of one topic's queue: plain data, places keyed by the consultation id as
    text (the view may travel as msgpack, whose maps want text keys). About eight queries.

    ``computed_at`` is taken before the first read: a change committed later is newer than
    the view, so its readers compute it again."""
    computed_at = timezone.now().timestamp()
    now = now or timezone.now()
    waiting = list(
        Consultation.objects.filter(topic_id=topic_id, state=Consultation.State.WAITING)
        .order_by("-priority", "queued_at", "pk")
        .values_list("pk", "created_at")
    )
    estimates = estimate_queue(topic_id, now, newcomer=True)
    return {
        "topic": topic_id,
        "computed_at": computed_at,
        "places": {
            str(pk): {"position": n, "waiting": len(waiting), **_estimate_fields(estimates.get(pk))}
            for n, (pk, _created) in enumerate(waiting, start=1)
        },
        "waiting": len(waiting),
        "oldest": min(c for _, c in waiting).isoformat() if waiting else None,
        "newcomer": _estimate_fields(estimates.get(NEWCOMER)),
    }


def refresh_topic_view(topic_id: int, now: datetime | None = None) -> dict[str, Any]:
    """Compute a topic's view and keep it in the cache for everyone."""
    view = compute_topic_view(topic_id, now)
    cache.set(_key(topic_id), view, timeout=MAX_AGE_SECONDS * 4)
    return view


def topic_views(topic_ids: Iterable[int], *, fresh_since: float = 0.0) -> dict[int, dict[str, Any]]:
    """The views of these topics from the cache; computed where missing, older than
    ``MAX_AGE_SECONDS``, computed before the queue's last change (``events.publish_queue_changed``
    notes its time), or before ``fresh_since`` (a caller's own timestamp)."""
    ids = list(topic_ids)
    keys = [_key(t) for t in ids] + [events.queue_changed_key(t) for t in ids]
    found = cache.get_many(keys)
    oldest = max(fresh_since, timezone.now().timestamp() - MAX_AGE_SECONDS)
    views = {}
    for topic_id in ids:
        view = found.get(_key(topic_id))
        changed = found.get(events.queue_changed_key(topic_id), 0.0)
        needed = max(oldest, changed)
        if view is None or view["computed_at"] < needed:
            view = _refresh_once(topic_id, needed)
        views[topic_id] = view
    return views


def _refresh_once(topic_id: int, needed: float) -> dict[str, Any]:
    """Compute the view unless another process already does (then take theirs, if it is
    new enough): one simulation per change for the whole deployment, not one per process."""
    deadline = time.monotonic() + COMPUTE_WAIT_SECONDS
    while True:
        if cache.add(_lock_key(topic_id), 1, timeout=COMPUTE_WAIT_SECONDS):
            try:
                return refresh_topic_view(topic_id)
            finally:
                cache.delete(_lock_key(topic_id))
        if time.monotonic() > deadline:  # the other one is stuck or gone
            return refresh_topic_view(topic_id)
        time.sleep(0.01)
        view: dict[str, Any] | None = cache.get(_key(topic_id))
        if view is not None and view["computed_at"] >= needed:
            return view


def topic_view(topic_id: int, *, fresh_since: float = 0.0) -> dict[str, Any]:
    return topic_views([topic_id], fresh_since=fresh_since)[topic_id]


def place_in(view: dict[str, Any], consultation_id: int) -> dict[str, Any] | None:
    """A citizen's slice of the view: place, queue length, estimate (None: not waiting)."""
    place: dict[str, Any] | None = view["places"].get(str(consultation_id))
    return place
