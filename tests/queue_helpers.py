"""Shared set-up for queue tests: citizens already in the queue."""

from datetime import datetime
from typing import Any

from django.db import transaction

from consult.consultations.models import Consultation
from consult.queue.transitions import open_consultation


def left_waiting(topic: Any, *, now: datetime, channel: str = "chat") -> Consultation:
    """A citizen already waiting, e.g. one who started while a clerk was there and still
    waits after the topic's last clerk left (a start is refused while nobody is there:
    consult/catalogue/hours.py), or one of many filling a queue fast. Joins the queue the one
    way every start does (``open_consultation``), without the start's reachability check;
    nothing is dispatched."""
    with transaction.atomic():
        return open_consultation(topic_id=topic.pk, channel=channel, now=now)
