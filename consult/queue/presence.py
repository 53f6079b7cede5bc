"""Whether the citizen is there: the times their sockets were last known open.

The web processes note, for every citizen socket they hold, that the citizen is there (when it
opens, when it closes, and every few seconds while it is open: ``signaling/socket_leases.py``),
in the database, so every process and the sweep read the same. A waiting citizen not seen for
``CITIZEN_GRACE_SECONDS`` (a closed tab, a lost network) leaves the queue as abandoned; a
reload or a short loss within the grace keeps the place. A consultation whose citizen never
opened a socket (no browser, e.g. a test or an import) is not judged by presence.
docs/queueing.md, "Citizen presence".
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from consult import events
from consult.consultations.models import Consultation
from consult.queue.transitions import citizen_left, lock

OPEN_STATES = (Consultation.State.WAITING, Consultation.State.ACTIVE)


def note_citizens_seen(*, consultation_ids: Iterable[int], now: datetime | None = None) -> int:
    """The citizens of these consultations have a socket open now (one statement). Rows
    another transaction holds are skipped, not waited for: many rows locked in no particular
    order could deadlock with a transition; the next round notes them."""
    ids = list(consultation_ids)
    if not ids:
        return 0
    rows = Consultation.objects.filter(pk__in=ids, state__in=OPEN_STATES)
    with transaction.atomic():
        if len(ids) > 1:
            rows = Consultation.objects.filter(
                pk__in=rows.select_for_update(skip_locked=True).values("pk")
            )
        return rows.update(citizen_seen_at=now or timezone.now())


def citizen_connection_changed(
    *, consultation_id: int, connected: bool, announce: bool, now: datetime | None = None
) -> None:
    """A socket of the citizen opened, or their last one closed (the grace starts now): noted,
    and (``announce``: during a conversation) the clerk's chat is told. Nobody else may learn
    it: while the citizen waits nobody is told."""
    note_citizens_seen(consultation_ids=[consultation_id], now=now)
    if announce:
        events.publish(
            events.consultation_group(consultation_id),
            events.CitizenPresence(connected=connected),
        )


def abandon_gone_citizens(*, now: datetime) -> int:
    """Waiting consultations whose citizen has been gone longer than the grace leave the
    queue as abandoned (by the citizen, as if they had pressed "leave")."""
    since = now - timedelta(seconds=settings.CITIZEN_GRACE_SECONDS)
    gone = Consultation.objects.filter(
        state=Consultation.State.WAITING, citizen_seen_at__lt=since
    ).values_list("pk", flat=True)
    abandoned = 0
    for consultation_id in list(gone[:500]):
        with transaction.atomic():
            consultation = lock(consultation_id=consultation_id)
            if (
                consultation is None
                or consultation.state != Consultation.State.WAITING
                or consultation.citizen_seen_at is None
                or consultation.citizen_seen_at >= since  # came back meanwhile
            ):
                continue
            citizen_left(consultation, now=now)
            abandoned += 1
    return abandoned
