"""A staff user's open sockets follow their access: logging out, deactivation, deletion, a new
password or other topics close every socket of that user, in every process (the channel
layer's group ``staff.<id>``). The browser then reconnects (or reloads the page) with what its
session still allows: nothing after a logout or a new password elsewhere, the new topics after
a change of topics.

The receivers below only notice the change and call ``access_changed``: every path that makes
it (the console's logout, the admin, ``manage.py changepassword``, the shell) is covered.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_save

from consult import events
from consult.staff.models import StaffProfile

_PENDING = "_access_change"


def access_changed(*, user_id: int, reason: str) -> None:
    """Close the user's sockets once the current transaction (if any) has committed."""
    events.publish(events.staff_group(user_id), events.AccessChanged(user=user_id, reason=reason))


def _logged_out(sender: Any, *, user: Any = None, **kwargs: Any) -> None:
    if user is not None and user.pk is not None:
        access_changed(user_id=user.pk, reason="logout")


def _note_user_change(sender: Any, *, instance: Any, **kwargs: Any) -> None:
    """Before a user is saved: did their password or their being active change?"""
    if instance.pk is None:
        return
    old = sender.objects.filter(pk=instance.pk).values("password", "is_active").first()
    if old is None:
        return
    if old["is_active"] and not instance.is_active:
        setattr(instance, _PENDING, "deactivated")
    elif old["password"] != instance.password:
        setattr(instance, _PENDING, "password")


def _user_saved(sender: Any, *, instance: Any, **kwargs: Any) -> None:
    reason = instance.__dict__.pop(_PENDING, None)
    if reason is not None:
        access_changed(user_id=instance.pk, reason=reason)


def _user_deleted(sender: Any, *, instance: Any, **kwargs: Any) -> None:
    access_changed(user_id=instance.pk, reason="deleted")


def _profile_deleted(sender: Any, *, instance: StaffProfile, **kwargs: Any) -> None:
    access_changed(user_id=instance.user_id, reason="deleted")


def _topics_changed(
    sender: Any, *, instance: Any, action: str, reverse: bool, pk_set: Any, **kwargs: Any
) -> None:
    if action not in ("post_add", "post_remove", "pre_clear"):
        return
    if not reverse:  # profile.topics.add/remove/clear/set
        access_changed(user_id=instance.user_id, reason="topics")
        return
    # topic.staff.add/remove/clear: the profiles named, or (clear) every profile of the topic
    profiles = StaffProfile.objects.filter(pk__in=pk_set if pk_set else instance.staff.values("pk"))
    for user_id in profiles.values_list("user_id", flat=True):
        access_changed(user_id=user_id, reason="topics")


def connect_receivers() -> None:
    user_model = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="staff.access.logout")
    pre_save.connect(_note_user_change, sender=user_model, dispatch_uid="staff.access.pre")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="staff.access.post")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="staff.access.del")
    post_delete.connect(_profile_deleted, sender=StaffProfile, dispatch_uid="staff.access.pdel")
    m2m_changed.connect(
        _topics_changed, sender=StaffProfile.topics.through, dispatch_uid="staff.access.topics"
    )
