"""Reads for the operator's ``/metrics`` (docs/observability.md): the live queue per topic,
open consultations by channel, clerks by status. Three cheap queries, whatever the history:
the waiting rows come from the queue's partial index, the open ones from
``consult_open_idx`` (both only hold consultations that are not over), the clerks are few.
No names, no tokens: topics by slug, everything else counted.
"""

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, DurationField, ExpressionWrapper, F, Min, Sum, Value
from django.db.models.fields import DateTimeField

from consult.catalogue.models import Topic
from consult.consultations.models import Consultation
from consult.staff.models import StaffProfile


@dataclass(frozen=True)
class TopicQueue:
    slug: str
    waiting: int
    longest_wait_seconds: float
    average_wait_seconds: float


@dataclass(frozen=True)
class LiveFigures:
    topics: list[TopicQueue]
    active_by_channel: dict[str, int]
    questions_open: int
    clerks_by_status: dict[str, int] = field(default_factory=dict)


def live_figures(*, now: datetime) -> LiveFigures:
    """The queue of every active topic (also an empty one, and a topic closed while citizens
    still wait in it), the consultations in progress by channel, the written questions not
    yet answered, and the clerks by status."""
    waited = ExpressionWrapper(
        Value(now, output_field=DateTimeField()) - F("queued_at"), output_field=DurationField()
    )
    waiting = {
        row["topic__slug"]: row
        for row in Consultation.objects.filter(state=Consultation.State.WAITING)
        .values("topic__slug")
        .annotate(n=Count("id"), oldest=Min("queued_at"), total=Sum(waited))
        .order_by()
    }
    slugs = set(Topic.objects.filter(active=True).values_list("slug", flat=True)) | set(waiting)
    topics = []
    for slug in sorted(slugs):
        row = waiting.get(slug)
        n = row["n"] if row else 0
        topics.append(
            TopicQueue(
                slug=slug,
                waiting=n,
                longest_wait_seconds=max((now - row["oldest"]).total_seconds(), 0) if row else 0,
                average_wait_seconds=max(row["total"].total_seconds() / n, 0) if row else 0,
            )
        )
    active = dict.fromkeys(Consultation.Channel.values, 0)
    questions = 0
    for state, channel, n in (
        Consultation.objects.filter(state__in=[Consultation.State.ACTIVE, Consultation.State.ASKED])
        .values_list("state", "channel")
        .annotate(n=Count("id"))
        .order_by()
    ):
        if state == Consultation.State.ACTIVE:
            active[channel] = active.get(channel, 0) + n
        else:
            questions += n
    clerks = dict.fromkeys(StaffProfile.Status.values, 0)
    for status, n in StaffProfile.objects.values_list("status").annotate(n=Count("id")).order_by():
        clerks[status] = n
    return LiveFigures(
        topics=topics,
        active_by_channel=active,
        questions_open=questions,
        clerks_by_status=clerks,
    )
