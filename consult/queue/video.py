"""Writes and reads for continuing a chat as a video call: the clerk invites, the citizen
answers, and a call may only run in an active video consultation.

The invitation is a column (``Consultation.video_invited_at``), so the answer is checked
against the database, not against what a consumer remembers: an answer without an open
invitation is refused (``not_invited``) and changes nothing. An invitation made before the
consultation's latest accept (``accepted_at``) was made to an earlier conversation (the
consultation was requeued or transferred since) and counts as not open.
"""

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from consult.consultations.log import append_log_entry
from consult.consultations.models import Consultation, Message
from consult.errors import DomainError
from consult.queue import selectors
from consult.queue.transitions import lock, transition


def invitation_open(consultation: Consultation) -> bool:
    """An active chat with an invitation made since its latest accept."""
    return (
        consultation.video_invited_at is not None
        and consultation.accepted_at is not None
        and consultation.video_invited_at >= consultation.accepted_at
        and consultation.state == Consultation.State.ACTIVE
        and consultation.channel == Consultation.Channel.CHAT
    )


def invite_to_video(
    *, consultation_id: int, clerk: AbstractBaseUser, now: datetime | None = None
) -> Consultation:
    """The clerk asks the citizen to continue their active chat as a video call.

    Only the clerk's own active chat (``not_active``), not a video consultation already
    (``already_video``), and only while the clerk has no other conversation open: a video
    call takes the clerk exclusively, as in routing (``close_other_conversations``). Asking
    again while an invitation is open renews it.
    """
    now = now or timezone.now()
    with transaction.atomic():
        consultation = lock(consultation_id=consultation_id, clerks=[clerk.pk])
        if (
            consultation is None
            or consultation.clerk_id != clerk.pk
            or consultation.state != Consultation.State.ACTIVE
        ):
            raise DomainError("not_active", "This consultation is not your active conversation.")
        if consultation.channel == Consultation.Channel.VIDEO:
            raise DomainError("already_video", "This is a video consultation already.")
        if not selectors.video_possible(consultation_id=consultation.pk):
            raise DomainError("close_other_conversations", "Close your other conversations first.")
        consultation.video_invited_at = now
        consultation.save(update_fields=["video_invited_at"])
    return consultation


def answer_video_invitation(
    *, consultation_id: int, accept: bool, now: datetime | None = None
) -> Consultation:
    """The citizen answers the open invitation; either answer closes it.

    No keeps the chat. Yes switches the channel to video with a ``video`` log entry (both
    parties learn it from the log), refused with ``video_not_possible`` (the invitation
    stays open) when the clerk has opened another conversation since inviting. Without an
    open invitation the answer is refused with ``not_invited``; so a second yes after the
    switch is refused too (the first one closed the invitation) and changes nothing.
    """
    now = now or timezone.now()
    with transaction.atomic():
        consultation = lock(consultation_id=consultation_id)
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        if not invitation_open(consultation):
            raise DomainError("not_invited", "There is no open invitation to a video call.")
        if not accept:
            consultation.video_invited_at = None
            consultation.save(update_fields=["video_invited_at"])
            return consultation
        if not selectors.video_possible(consultation_id=consultation.pk):
            raise DomainError("video_not_possible", "The clerk has other conversations open.")
        transition(
            consultation,
            kind=Message.Kind.VIDEO,
            now=now,
            channel=Consultation.Channel.VIDEO,
            video_invited_at=None,
        )
    return consultation


def ensure_call_allowed(*, consultation_id: int) -> None:
    """A call (peer-to-peer or through the media relay) may start only in an active video
    consultation: ``not_video`` / ``not_active`` otherwise (``not_found`` if there is none)."""
    row = Consultation.objects.filter(pk=consultation_id).values_list("channel", "state").first()
    if row is None:
        raise DomainError("not_found", "No such consultation.")
    channel, state = row
    if channel != Consultation.Channel.VIDEO:
        raise DomainError("not_video", "This is not a video consultation.")
    if state != Consultation.State.ACTIVE:
        raise DomainError("not_active", "The consultation is not active.")


def record_relay_moved(*, consultation_id: int, now: datetime | None = None) -> Message | None:
    """The media worker that relayed this call died and the call moves to another one: a
    ``relay_moved`` log entry tells both parties (their consumers make the browsers connect to
    the relay anew). Nothing is written, and ``None`` returned, unless the consultation is
    still an active video call (it may have ended while its worker was dying)."""
    now = now or timezone.now()
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update()
            .filter(
                pk=consultation_id,
                state=Consultation.State.ACTIVE,
                channel=Consultation.Channel.VIDEO,
            )
            .first()
        )
        if consultation is None:
            return None
        return append_log_entry(
            consultation=consultation,
            kind=Message.Kind.RELAY_MOVED,
            sender=Message.Sender.SYSTEM,
            body="",
            now=now,
        )
