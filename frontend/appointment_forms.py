from datetime import UTC, datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from consult.appointments.slots import Slot
from consult.errors import message_for

from .forms import ConcernField, EmailAddressField, PhoneField

SLOT_FORMAT = "%Y%m%dT%H%MZ"


def slot_value(starts_at: datetime) -> str:
    """A slot in a form: its UTC start, compact (also usable in element ids)."""
    return starts_at.astimezone(UTC).strftime(SLOT_FORMAT)


class SlotForm(forms.Form):
    """Choose one of the free slots of a day (radio buttons rendered by the template)."""

    slot = forms.CharField(label=_("Time"), max_length=20)

    def __init__(self, *args: Any, slots: list[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.slots = slots
        self.free = {slot_value(slot.starts_at) for slot in slots}

    def clean_slot(self) -> datetime:
        value = self.cleaned_data["slot"]
        try:
            starts_at = datetime.strptime(value, SLOT_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            raise ValidationError(_("Please choose a time from the list.")) from None
        if value not in self.free:
            raise ValidationError(message_for("slot_taken"), code="slot_taken")
        return starts_at


class BookingForm(SlotForm):
    name = forms.CharField(label=_("Your name"), max_length=120)
    email = EmailAddressField(
        label=_("E-mail address"),
        help_text=_("We send the confirmation and your personal link there."),
    )
    phone = PhoneField(label=_("Phone (optional)"), required=False)
    concern = ConcernField(
        label=_("Your concern in a few words (optional)"),
        required=False,
        help_text=_("So that your clerk can prepare. At most 200 characters."),
    )
