"""The one way a consultation is opened or changes state.

Every writer that moves a consultation (accept, leave, end, requeue, transfer, the switch to
video) calls ``transition`` inside its transaction, after ``lock`` took the rows in the one
order: the clerks' profiles by id, then the consultation. ``transition`` checks the move
against ``RULES`` (which states each log kind may follow; the state it leads to is
``STATE_AFTER`` of the log kind), writes it as a compare-and-set, forgets the statistics
roll-up of the days it touches, appends the log entry and publishes on commit what changed
for the topic's queue, the clerks' consoles and the wallboard. New consultations enter the
queue through ``open_consultation``.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction

from consult import events
from consult.consultations.log import append_log_entry
from consult.consultations.models import STATE_AFTER, Consultation, Message
from consult.errors import DomainError
from consult.queue.models import Offer
from consult.staff.models import StaffProfile
from consult.staff.names import citizen_facing_name
from consult.statistics import rollup

WAITING = Consultation.State.WAITING
ACTIVE = Consultation.State.ACTIVE
Kind = Message.Kind


@dataclass(frozen=True)
class Rule:
    """From which states a log kind may be written, and the refusal otherwise."""

    sources: frozenset[str]
    refusal: str
    detail: str


_NOT_ACTIVE = ("not_active", "This consultation is not active.")
RULES: dict[str, Rule] = {
    Kind.ACCEPTED: Rule(
        frozenset({WAITING, Consultation.State.ASKED}),  # asked: a written question taken
        "already_taken",
        "Another clerk has already taken this consultation.",
    ),
    Kind.ABANDONED: Rule(frozenset({WAITING}), "not_waiting", "This consultation is not waiting."),
    Kind.ENDED: Rule(frozenset({ACTIVE}), *_NOT_ACTIVE),
    Kind.REQUEUED: Rule(frozenset({ACTIVE}), *_NOT_ACTIVE),
    Kind.TRANSFERRED: Rule(frozenset({ACTIVE}), *_NOT_ACTIVE),
    Kind.VIDEO: Rule(frozenset({ACTIVE}), *_NOT_ACTIVE),
    # A waiting citizen whom nobody can take writes their question instead (questions.py).
    Kind.QUESTION: Rule(frozenset({WAITING}), "not_waiting", "This consultation is not waiting."),
}


def lock_profiles(*user_ids: int | None) -> dict[int, StaffProfile]:
    """Lock clerks' profile rows in id order and return them by user id. Every write that
    touches a clerk's profile and a consultation locks the profile first: one order
    everywhere means no deadlock."""
    ids = sorted({uid for uid in user_ids if uid is not None})
    if not ids:
        return {}
    rows = StaffProfile.objects.select_for_update().filter(user_id__in=ids).order_by("user_id")
    return {profile.user_id: profile for profile in rows}


class _Reassigned(Exception):
    """The consultation changed clerks between reading and locking it."""


def lock(
    *,
    consultation_id: int | None = None,
    public_token: str | None = None,
    clerks: Iterable[int | None] = (),
    own_clerk: bool = True,
) -> Consultation | None:
    """Lock ``clerks``' profiles and (with ``own_clerk``) the consultation's own clerk's, then
    the consultation (by id or by the citizen's token). Runs inside the caller's transaction.

    The consultation's clerk is read before the locks; should it change before the
    consultation's row is locked, the locks are given back (a savepoint's locks go with it)
    and taken again, so the order profile-before-consultation always holds.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock must run inside a transaction")
    if consultation_id is not None:
        rows = Consultation.objects.filter(pk=consultation_id)
    elif public_token:
        rows = Consultation.objects.filter(public_token=public_token)
    else:
        return None
    for _attempt in range(5):
        current = rows.values_list("clerk_id", flat=True).first() if own_clerk else None
        try:
            with transaction.atomic():
                locked = lock_profiles(*clerks, current)
                consultation = rows.select_for_update().first()
                if (
                    own_clerk
                    and consultation is not None
                    and consultation.clerk_id not in (None, *locked)
                ):
                    raise _Reassigned
        except _Reassigned:
            continue
        return consultation
    raise DomainError("try_again", "The consultation is changing; please retry.")


def open_consultation(
    *,
    topic_id: int,
    channel: str,
    now: datetime,
    priority: int = Consultation.Priority.NORMAL,
    booked: bool = False,
    service_id: int | None = None,
    concern: str = "",
    preferred_clerk_id: int | None = None,
) -> Consultation:
    """A new consultation joins its topic's queue (the caller dispatches after commit).
    ``preferred_clerk_id`` (a user id) is offered it first (``routing.dispatch``)."""
    consultation = Consultation.objects.create(
        topic_id=topic_id,
        channel=channel,
        created_at=now,
        queued_at=now,
        priority=priority,
        booked=booked,
        service_id=service_id,
        concern=concern,
        preferred_clerk_id=preferred_clerk_id,
    )
    events.publish_queue_changed(topic_id)
    return consultation


def transition(
    consultation: Consultation,
    *,
    kind: str,
    now: datetime,
    body: str = "",
    author_id: int | None = None,
    sender: str = Message.Sender.SYSTEM,
    **changes: Any,
) -> Message:
    """Move a locked consultation by one log kind (see ``RULES``), changing ``changes`` too.

    Any ringing offer ends: accepted by the new clerk, withdrawn otherwise. Returns the log
    entry; its frame carries the state that follows it.
    """
    rule = RULES[kind]
    before_topic, before_clerk = consultation.topic_id, consultation.clerk_id
    target = STATE_AFTER[kind]
    moved = Consultation.objects.filter(pk=consultation.pk, state__in=rule.sources).update(
        state=target, offered_to=None, offer_expires_at=None, **changes
    )
    if moved != 1:
        raise DomainError(rule.refusal, rule.detail)
    consultation.refresh_from_db()
    _close_offers(consultation.pk, now, accepted_by=consultation.clerk_id)
    rollup.consultation_changed(consultation)
    entry = append_log_entry(
        consultation=consultation,
        kind=kind,
        sender=sender,
        author_id=author_id,
        body=body,
        now=now,
    )
    for topic_id in dict.fromkeys([before_topic, consultation.topic_id]):
        events.publish_queue_changed(topic_id)
    if before_clerk is not None and before_clerk != consultation.clerk_id:
        became_free(before_clerk, now)
    for clerk_id in dict.fromkeys([before_clerk, consultation.clerk_id]):
        if clerk_id is not None:
            events.publish_clerk_changed(clerk_id)
    return entry


def clerk_joins(
    consultation: Consultation, *, profile: StaffProfile, now: datetime, **changes: Any
) -> Message:
    """A clerk takes a locked consultation (an accept, or a written question taken): the
    ``accepted`` entry names them to the citizen."""
    return transition(
        consultation,
        kind=Kind.ACCEPTED,
        now=now,
        author_id=profile.user_id,
        body=citizen_facing_name(user=profile.user, profile=profile),
        clerk_id=profile.user_id,
        accepted_at=now,
        **changes,
    )


def became_free(user_id: int, now: datetime) -> None:
    """After a clerk's load dropped: if they are now idle, they are idle since now."""
    if not Consultation.objects.filter(clerk_id=user_id, state=ACTIVE).exists():
        StaffProfile.objects.filter(user_id=user_id).update(idle_since=now)
    events.publish_wallboard_changed()


def _close_offers(consultation_id: int, now: datetime, *, accepted_by: int | None) -> None:
    """End the pending offers of a consultation: accepted by ``accepted_by``, withdrawn else;
    the consoles that rang stop ringing."""
    pending = Offer.objects.filter(consultation_id=consultation_id, outcome=Offer.Outcome.PENDING)
    ringing = set(pending.values_list("clerk_id", flat=True))
    if not ringing:
        return
    for clerk_id in ringing - {accepted_by}:
        events.publish_clerk_changed(clerk_id)
    if accepted_by in ringing:
        pending.filter(clerk_id=accepted_by).update(outcome=Offer.Outcome.ACCEPTED, decided_at=now)
    pending.update(outcome=Offer.Outcome.WITHDRAWN, decided_at=now)


def citizen_left(consultation: Consultation, *, now: datetime) -> Message:
    """The citizen left a locked open consultation (pressed "leave", or stayed away longer than
    the grace): a waiting one is abandoned, an active one ends; by the citizen either way."""
    waiting = consultation.state == WAITING
    return transition(
        consultation,
        kind=Kind.ABANDONED if waiting else Kind.ENDED,
        now=now,
        body=Consultation.EndedBy.CITIZEN,
        ended_at=now,
        ended_by=Consultation.EndedBy.CITIZEN,
    )
