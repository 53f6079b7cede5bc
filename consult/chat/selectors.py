"""Reads of the chat: a shared document, only within the consultation the caller was given
(the party check is the caller's: the citizen's token, the clerk's own consultation)."""

from consult.consultations.models import Document


def shared_document(*, consultation_id: int, document_id: int) -> Document | None:
    return Document.objects.filter(pk=document_id, consultation_id=consultation_id).first()
