"""Telling the consoles of a topic's clerks that something they list changed (callback
requests, written questions): each console fetches a fresh snapshot on commit."""

from consult import events
from consult.staff.models import StaffProfile


def refresh_topic_consoles(*, topic_id: int) -> None:
    for user_id in StaffProfile.objects.filter(topics=topic_id).values_list("user_id", flat=True):
        events.publish_clerk_changed(user_id)
