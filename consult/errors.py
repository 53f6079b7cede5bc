"""Errors the domain reports to callers, and the one catalogue of their texts.

``code`` is stable and documented in docs/protocol.md. What a person reads comes from
:data:`MESSAGES` through :func:`message_for`, for every code the domain (``DomainError``) and
the wire protocol (``ClientError``, error frames) raise: the pages show it, and the pages with
sockets hand the same texts to the scripts (``{% error_messages %}``). ``detail`` is English
for developers and logs, never shown.
"""

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code
        self.detail = detail or code


# One text for frames a well-behaved page never sends (a stale or tampered script).
_UNREADABLE = _("Your browser sent something the server could not read. Please reload the page.")
_VIDEO_SETUP = _("The video call could not be set up. Please rejoin the video call.")
GENERIC = _("Something went wrong. Please try again.")

MESSAGES: dict[str, Promise] = {
    # The wire protocol (signaling/protocol.py, signaling/base.py)
    "malformed_json": _UNREADABLE,
    "binary_not_supported": _UNREADABLE,
    "unknown_type": _UNREADABLE,
    "missing_field": _UNREADABLE,
    "unknown_field": _UNREADABLE,
    "invalid_field": _UNREADABLE,
    "frame_too_large": _("Your message is too large to send."),
    "rate_limited": _("You are sending too fast. Please wait a moment."),
    "try_again": _("A temporary error occurred. Please try again."),
    # Consultations, queue and transfers
    "not_found": _("Not found, or no longer available to you."),
    "unknown_topic": _("This topic does not exist or is closed."),
    "topic_closed": _("This topic is closed at the moment."),
    "topic_unstaffed": _("Nobody is available for this topic at the moment."),
    "invalid_channel": _("Please choose chat or video."),
    "unknown_service": _("This service does not belong to the chosen topic."),
    "concern_too_long": _("Please describe your concern in at most 200 characters."),
    "not_active": _("This conversation is not active."),
    "already_closed": _("This consultation is already closed."),
    "invalid_outcome": _("Please choose an outcome."),
    "not_clerk": _("Only clerks of the citizen service can do this."),
    "invalid_status": _("Please choose one of the listed statuses."),
    "not_available": _("Set your status to available to accept consultations."),
    "already_taken": _("Another clerk has already taken this consultation."),
    "at_capacity": _("You have no room for another consultation now."),
    "not_offered": _("This request is no longer offered to you."),
    "clerk_unavailable": _("That colleague cannot take this consultation now."),
    "clerk_busy": _("That colleague has no room at the moment."),
    # Chat
    "empty_message": _("Please enter a message."),
    "message_too_long": _("Your message is too long (at most 4,000 characters)."),
    "invalid_sender": _UNREADABLE,
    # Hand-over notes (consult/consultations/notes.py)
    "empty_note": _("Please enter a note."),
    "note_too_long": _("Your note is too long (at most 2,000 characters)."),
    # Text snippets (consult/chat/snippets.py)
    "snippet_title_missing": _("Please give the snippet a title."),
    "snippet_title_too_long": _("The title is too long (at most 80 characters)."),
    "snippet_too_long": _("The snippet's text is too long (at most 2,000 characters)."),
    "snippet_empty": _("Please enter a text or choose a catalogue service."),
    "snippet_service_unknown": _("This service is not in the catalogue (any more)."),
    # Documents in the chat (consult/chat/documents.py; the limits are filled in)
    "document_type": _(
        "This file cannot be shared. Allowed are %(types)s files; the type is checked from "
        "the content, not the name."
    ),
    "document_too_large": _("This file is too large. Files up to %(size)s can be shared."),
    "document_empty": _("This file is empty."),
    "too_many_documents": _(
        "No more files can be shared in this consultation (at most %(count)s)."
    ),
    "document_infected": _(
        "The virus scanner found something harmful in this file. It was not shared."
    ),
    "scan_failed": _(
        "This file could not be checked for viruses right now. Please try again later."
    ),
    "written_question": _(
        "A written question cannot be transferred: answer it, or end it with the outcome "
        "“referred elsewhere” and say in your answer where the citizen gets help."
    ),
    # Video and recording
    "not_video": _("This is a chat consultation without video."),
    "already_video": _("This conversation is a video call already."),
    "not_invited": _("This invitation to a video call is no longer open."),
    "video_not_possible": _("A video call is not possible at the moment. The chat goes on."),
    "close_other_conversations": _(
        "Close your other conversations first: a video call takes your full attention."
    ),
    "invalid_sdp": _VIDEO_SETUP,
    "sdp_too_large": _VIDEO_SETUP,
    "invalid_candidate": _VIDEO_SETUP,
    "relay_failed": _("The server could not connect the video call. The chat goes on."),
    "relay_unavailable": _(
        "The video relay is not available at the moment. The chat goes on; please try the "
        "video call again in a few minutes."
    ),
    "invalid_purpose": _("Please state the purpose of the recording (at most 300 characters)."),
    "invalid_party": _UNREADABLE,
    "recording_running": _("A recording is already asked for or running."),
    "not_requested": _("This recording is no longer waiting for an answer."),
    "not_recording": _("Nothing is being recorded."),
    # Rating
    "invalid_rating": _("Please choose a rating from 1 to 5."),
    "comment_too_long": _("Your comment is too long (at most 2,000 characters)."),
    "not_rateable": _("Only a conversation that took place can be rated."),
    "already_rated": _("You have already rated this consultation."),
    # Contact details (consult/validators.py), callback requests
    "invalid_name": _("Please enter your name (at most 120 characters)."),
    "invalid_email": _("Please enter a valid e-mail address."),
    "email_too_long": _("This e-mail address is too long (at most 254 characters)."),
    "invalid_phone": _("Please enter a phone number with digits only, e.g. 030 1234567."),
    "no_contact": _("Please give an e-mail address or a phone number so we can answer you."),
    "empty_question": _("Please describe your question."),
    "too_long": _("Your text is too long."),
    "invalid_characters": _("Your text contains characters that cannot be saved."),
    "already_done": _("This request has already been done."),
    # Appointments
    "slot_taken": _("This time is no longer free. Please choose another."),
    "not_changeable": _("This appointment can no longer be changed."),
    "not_joinable": _("This appointment is no longer open."),
    "too_early": _("You can join shortly before your appointment."),
}


def message_for(code: str) -> str:
    """The text for a person, in the active language (a general one for an unknown code)."""
    return str(MESSAGES.get(code, GENERIC))
