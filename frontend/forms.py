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


class StaffAuthenticationForm(AuthenticationForm):
    """The staff login: clerks (with a staff profile) and managers (statistics permission)."""

    def confirm_login_allowed(self, user: "User") -> None:
        super().confirm_login_allowed(user)
        is_manager = selectors.can_view_statistics(user)
        if selectors.clerk_profile(user) is None and not is_manager:
            raise ValidationError(
                _("This account is neither a clerk nor a manager of the citizen service."),
                code="not_clerk",
            )


class FeedbackForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=_("How satisfied are you with the consultation?"),
        choices=[
            (5, _("5 – very satisfied")),
            (4, _("4 – satisfied")),
            (3, _("3 – partly")),
            (2, _("2 – dissatisfied")),
            (1, _("1 – very dissatisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment (optional, please no personal data)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
