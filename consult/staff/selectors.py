"""Reads about clerks and managers: profile, topics served, who may see statistics."""

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

from consult.staff.models import StaffProfile


def clerk_profile(user: AbstractBaseUser | AnonymousUser) -> StaffProfile | None:
    if not user.is_authenticated:
        return None
    return StaffProfile.objects.prefetch_related("topics").filter(user_id=user.pk).first()


STATISTICS_PERMISSION = "consult.view_statistics"


def can_view_statistics(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Managers: the statistics permission (the demo's group "Leitung" has it)."""
    has_perm = getattr(user, "has_perm", None)
    return bool(user.is_authenticated and has_perm and has_perm(STATISTICS_PERMISSION))


def clerk_topic_ids(clerk: AbstractBaseUser) -> list[int]:
    return list(
        StaffProfile.topics.through.objects.filter(staffprofile__user_id=clerk.pk)
        .order_by("topic_id")
        .values_list("topic_id", flat=True)
    )
