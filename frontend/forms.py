from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, ProhibitNullCharactersValidator
from django.utils.translation import gettext_lazy as _

from consult import validators
from consult.catalogue import callbacks
from consult.catalogue import selectors as catalogue_selectors
from consult.consultations.models import LIVE_CHANNELS, MAX_CONCERN
from consult.errors import message_for
from consult.queue import questions
from consult.staff import selectors
from consult.statistics import feedback

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class EmailAddressField(forms.EmailField):
    """An e-mail address as the domain takes it (``consult.validators``): the columns' length,
    with the catalogue's texts."""

    default_validators = [validators.validate_email_address]

    def __init__(self, **kwargs: Any) -> None:
        # No length validator of Django's (320 by default): ours reports a long address, once.
        super().__init__(max_length=None, **kwargs)
        self.max_length = validators.MAX_EMAIL
        self.widget.attrs["maxlength"] = str(validators.MAX_EMAIL)


class PhoneField(forms.CharField):
    """A phone number as the domain takes it (``consult.validators``)."""

    default_validators = [validators.validate_phone]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=None, **kwargs)
        self.max_length = validators.MAX_PHONE
        self.widget.attrs["maxlength"] = str(validators.MAX_PHONE)


class ConcernField(forms.CharField):
    """The citizen's short concern as the domain stores it: on one line, at most
    ``MAX_CONCERN`` characters, only characters a database stores (one message each)."""

    default_validators = [validators.validate_storable]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(max_length=MAX_CONCERN, **kwargs)
        # Django's own NUL check would say the same as ours, in other words.
        self.validators = [
            v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)
        ]

    def to_python(self, value: Any) -> str:
        return validators.single_line(super().to_python(value) or "")


class StartConsultationForm(forms.Form):
    topic = forms.ChoiceField(label=_("Topic"))
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in LIVE_CHANNELS],
        initial="chat",
    )
    # The service page the citizen came from (its documents are shown in the waiting room;
    # the domain checks that it belongs to the topic).
    service = forms.SlugField(required=False, max_length=100)
    concern = ConcernField(
        label=_("Your concern (optional)"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        topic_field.choices = [(t.slug, t.name) for t in catalogue_selectors.active_topics()]


class StaffAuthenticationForm(AuthenticationForm):
    """The staff login: clerks (with a staff profile) and managers (statistics permission)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Django sets the field's max_length after the field made its validators: add the
        # check, so an over-long name gets a reason instead of a login attempt.
        username = self.fields["username"]
        if isinstance(username, forms.CharField) and username.max_length is not None:
            username.validators.append(MaxLengthValidator(username.max_length))

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
        max_length=feedback.MAX_COMMENT,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NavigatorForm(forms.Form):
    q = forms.CharField(
        label=_("What is your concern?"),
        max_length=300,
        help_text=_("In your own words, e.g. “I bought a dog” or “register my new flat”."),
    )


class CallbackRequestForm(forms.Form):
    """A request left out of hours; the domain checks the same rules again."""

    topic = forms.ChoiceField(label=_("Topic"))
    question = forms.CharField(
        label=_("Your question"),
        max_length=callbacks.MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    name = forms.CharField(
        label=_("Name (optional)"), max_length=callbacks.MAX_NAME, required=False
    )
    email = EmailAddressField(label=_("E-mail address"), required=False)
    phone = PhoneField(label=_("Phone number"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        topic_field.choices = [(t.slug, t.name) for t in catalogue_selectors.active_topics()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("email") and not cleaned.get("phone") and not self.has_error("email"):
            if not self.has_error("phone"):
                raise ValidationError(message_for("no_contact"), code="no_contact")
        return cleaned


class QuestionFields(forms.Form):
    """A written question and the optional address for the notice that it is answered
    (consult/queue/questions.py checks them again)."""

    question = forms.CharField(
        label=_("Your question"),
        max_length=questions.MAX_QUESTION,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    email = EmailAddressField(
        label=_("E-mail address for a notice (optional)"),
        required=False,
        help_text=_(
            "We write only that the answer is there, with the link to it; never the question "
            "or the answer."
        ),
    )


class QuestionForm(QuestionFields):
    """A written question on a topic, answered later."""

    topic = forms.ChoiceField(label=_("Topic"))
    service = forms.SlugField(required=False, max_length=100, widget=forms.HiddenInput)
    field_order = ["topic", "service", "question", "email"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        topic_field = self.fields["topic"]
        assert isinstance(topic_field, forms.ChoiceField)  # noqa: S101 - narrows the type
        topic_field.choices = [(t.slug, t.name) for t in catalogue_selectors.active_topics()]


class WriteInsteadForm(QuestionFields):
    """In the waiting room, when nobody can take the conversation now: the question instead
    (the same consultation becomes a written one)."""

    prefix = "instead"


class CallbackDoneForm(forms.Form):
    note = forms.CharField(
        label=_("Note (optional)"),
        max_length=callbacks.MAX_NOTE,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
