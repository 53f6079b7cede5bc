"""The citizen's rating of a consultation: whether they may rate (the one rule, asked by the
room page too) and the write."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from consult.consultations.models import Consultation
from consult.errors import DomainError
from consult.statistics import rollup

MAX_COMMENT = 2000
RATINGS = range(1, 6)


def can_rate(consultation: Consultation) -> bool:
    """May the citizen rate this consultation now? Once, after a conversation that took place:
    answered by a clerk and ended (not abandoned in the queue, not still going on)."""
    return (
        consultation.state == Consultation.State.ENDED
        and consultation.first_accepted_at is not None
        and consultation.rating is None
    )


def rate_consultation(
    *, public_token: str, rating: int, comment: str = "", now: datetime | None = None
) -> Consultation:
    """Once per consultation, after a conversation that took place (answered and ended)."""
    if rating not in RATINGS:
        raise DomainError("invalid_rating", "Ratings go from 1 to 5.")
    if len(comment) > MAX_COMMENT:
        raise DomainError("comment_too_long", "Comments are limited to 2,000 characters.")
    with transaction.atomic():
        consultation = (
            Consultation.objects.select_for_update().filter(public_token=public_token).first()
        )
        if consultation is None:
            raise DomainError("not_found", "No such consultation.")
        if consultation.rating is not None:
            raise DomainError("already_rated", "This consultation has been rated already.")
        if not can_rate(consultation):
            raise DomainError("not_rateable", "Only a conversation that took place can be rated.")
        consultation.rating = rating
        consultation.rating_comment = comment.strip()
        consultation.rated_at = now or timezone.now()
        consultation.save(update_fields=["rating", "rating_comment", "rated_at"])
        rollup.consultation_changed(consultation)  # a late rating changes a past day
    return consultation
