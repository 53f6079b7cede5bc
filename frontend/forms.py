from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consult import selectors
from consult.models import Consultation

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class StartConsultationForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"))
    channel = forms.ChoiceField(
        label=_("Channel"), choices=Consultation.Channel.choices, initial="chat"
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        topic_field.choices = [(t.slug, t.name) for t in selectors.active_topics()]


class ClerkAuthenticationForm(AuthenticationForm):
    """The console login: only users with a staff profile (clerks) get in."""

    def confirm_login_allowed(self, user: "User") -> None:
        super().confirm_login_allowed(user)
        if selectors.clerk_profile(user) is None:
            raise ValidationError(
                _("This account is not set up as a clerk. Managers use the administration."),
                code="not_clerk",
            )
