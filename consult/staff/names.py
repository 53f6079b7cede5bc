"""The name a citizen sees for a clerk, as the city allows (settings.CLERK_DISPLAY_NAME).

``"full"``: first and last name; ``"first"``: the first name; ``"none"``: no name (the pages
then say "Sachbearbeitung"). A user account without the name asked for falls back to the
profile's display name, which the clerk chose to be shown (docs/identity.md).
"""

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser

from consult.staff.models import StaffProfile


def citizen_facing_name(*, user: AbstractBaseUser, profile: StaffProfile | None = None) -> str:
    """The clerk's name for citizens; empty when the city shows none."""
    mode = settings.CLERK_DISPLAY_NAME
    if mode == "none":
        return ""
    first = str(getattr(user, "first_name", "") or "").strip()
    last = str(getattr(user, "last_name", "") or "").strip()
    name = f"{first} {last}".strip() if mode == "full" else first
    if name:
        return name
    if profile is None:
        profile = StaffProfile.objects.filter(user_id=user.pk).first()
    return profile.display_name if profile is not None else ""


def citizen_facing_names(user_ids: set[int]) -> dict[int, str]:
    """:func:`citizen_facing_name` for several clerks at once (transcripts)."""
    profiles = StaffProfile.objects.select_related("user").filter(user_id__in=user_ids)
    return {p.user_id: citizen_facing_name(user=p.user, profile=p) for p in profiles}
