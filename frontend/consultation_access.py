"""Which consultation a request may touch: the citizen's by their token, the clerk's only while
it is assigned to them (also after it ended). Everything else is 404 (403 for a signed-in
user without a staff profile)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest

from consult.consultations import selectors
from consult.consultations.models import Consultation
from consult.staff import selectors as staff_selectors


def citizens(token: str) -> Consultation:
    consultation = selectors.consultation_by_token(token)
    if consultation is None:
        raise Http404
    return consultation


def clerks(request: HttpRequest, pk: int) -> Consultation:
    if not request.user.is_authenticated or staff_selectors.clerk_profile(request.user) is None:
        raise PermissionDenied
    consultation = selectors.clerk_consultation(consultation_id=pk, clerk=request.user)
    if consultation is None:
        raise Http404
    return consultation
