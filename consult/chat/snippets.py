"""Text snippets for clerks: writes of personal snippets and the reads for the reply box.

A clerk is offered the snippets of the topics they serve plus their own; they write, change
and delete only their own (topic snippets are the managers', in the admin). A snippet with a
catalogue service inserts the service's facts as the catalogue has them at that moment, so
the citizen reads exactly what the service page says. Nothing here sends anything: the text
goes into the reply box, and the clerk sends it (or not).
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import F, Q, QuerySet
from django.utils.translation import gettext as _

from consult.catalogue.models import Service, Topic
from consult.chat.models import MAX_SNIPPET_BODY, MAX_SNIPPET_TITLE, Snippet
from consult.errors import DomainError
from consult.validators import storable


def _clean(*, title: str, body: str, service_id: int | None) -> tuple[str, str, Service | None]:
    title, body = title.strip(), body.strip()
    if not title:
        raise DomainError("snippet_title_missing", "A snippet needs a title.")
    if len(title) > MAX_SNIPPET_TITLE:
        raise DomainError("snippet_title_too_long", "The title is too long.")
    if len(body) > MAX_SNIPPET_BODY:
        raise DomainError("snippet_too_long", "The text is too long.")
    if not (storable(title) and storable(body)):
        raise DomainError("invalid_characters", "The snippet cannot be stored.")
    service = None
    if service_id is not None:
        service = Service.objects.filter(pk=service_id, active=True).first()
        if service is None:
            raise DomainError("snippet_service_unknown", "No such service.")
    if not body and service is None:
        raise DomainError("snippet_empty", "A snippet needs a text or a service.")
    return title, body, service


def save_personal_snippet(
    *,
    clerk: AbstractBaseUser,
    title: str,
    body: str,
    service_id: int | None = None,
    snippet_id: int | None = None,
) -> Snippet:
    """Write a new personal snippet, or change one of the clerk's own (``snippet_id``)."""
    title, body, service = _clean(title=title, body=body, service_id=service_id)
    if snippet_id is None:
        return Snippet.objects.create(owner_id=clerk.pk, title=title, body=body, service=service)
    snippet = Snippet.objects.filter(pk=snippet_id, owner_id=clerk.pk).first()
    if snippet is None:
        raise DomainError("not_found", "This snippet is not yours.")
    snippet.title, snippet.body, snippet.service = title, body, service
    snippet.save(update_fields=["title", "body", "service"])
    return snippet


def delete_personal_snippet(*, clerk: AbstractBaseUser, snippet_id: int) -> None:
    deleted, _rows = Snippet.objects.filter(pk=snippet_id, owner_id=clerk.pk).delete()
    if not deleted:
        raise DomainError("not_found", "This snippet is not yours.")


def personal_snippets(clerk: AbstractBaseUser) -> QuerySet[Snippet]:
    return Snippet.objects.filter(owner_id=clerk.pk).select_related("service")


def snippets_for_clerk(clerk: AbstractBaseUser) -> QuerySet[Snippet]:
    """The topic snippets of the topics the clerk serves, then the clerk's own."""
    served = Topic.objects.filter(staff__user_id=clerk.pk).values("pk")
    return (
        Snippet.objects.filter(Q(owner_id=clerk.pk) | Q(topic_id__in=served))
        .select_related("topic", "service")
        .order_by(F("owner_id").asc(nulls_first=True), "title", "pk")
    )


def service_facts(service: Service, *, page_url: str) -> str:
    """The catalogue's facts of a service as plain text, with the labels of its page."""
    lines = [service.name, _("Required documents") + ":"]
    documents = service.required_documents or [_("None")]
    lines += [f"- {document}" for document in documents]
    if service.fees:
        lines.append(_("Fees") + f": {service.fees}")
    if service.processing_time:
        lines.append(_("Processing time") + f": {service.processing_time}")
    lines.append(_("More on the service page") + f": {page_url}")
    return "\n".join(lines)


def serialize_snippets(
    snippets: QuerySet[Snippet], *, page_url: Callable[[Service], str]
) -> list[dict[str, Any]]:
    """Each snippet with the whole text it inserts and where it comes from (a topic or the
    clerk's own)."""
    listed = []
    for snippet in snippets:
        parts = [snippet.body] if snippet.body else []
        if snippet.service is not None and snippet.service.active:
            parts.append(service_facts(snippet.service, page_url=page_url(snippet.service)))
        if not parts:  # only an inactive service: nothing to insert
            continue
        listed.append(
            {
                "id": snippet.pk,
                "title": snippet.title,
                "source": snippet.topic.name if snippet.topic else _("personal"),
                "text": "\n\n".join(parts),
            }
        )
    return listed
