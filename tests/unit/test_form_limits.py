"""Every public form's length limit is its column's (issue 16, finding 3): a value the form
accepts always fits the database, so no anonymous request ends in a DataError (500).

The table names, for each form field that is stored, the model field it is stored in; a form
field with a length limit that is missing here fails the test, so a new field gets a row."""

import pytest
from django import forms

from consult.appointments.models import Appointment
from consult.catalogue.models import CallbackRequest
from consult.consultations.models import Consultation
from frontend import appointment_forms
from frontend import forms as public_forms

STORED_IN = {
    (public_forms.CallbackRequestForm, "question"): (CallbackRequest, "question"),
    (public_forms.CallbackRequestForm, "name"): (CallbackRequest, "name"),
    (public_forms.CallbackRequestForm, "email"): (CallbackRequest, "email"),
    (public_forms.CallbackRequestForm, "phone"): (CallbackRequest, "phone"),
    (public_forms.CallbackDoneForm, "note"): (CallbackRequest, "note"),
    (public_forms.FeedbackForm, "comment"): (Consultation, "rating_comment"),
    (public_forms.StartConsultationForm, "concern"): (Consultation, "concern"),
    (appointment_forms.BookingForm, "name"): (Appointment, "name"),
    (appointment_forms.BookingForm, "email"): (Appointment, "email"),
    (appointment_forms.BookingForm, "phone"): (Appointment, "phone"),
    (appointment_forms.BookingForm, "concern"): (Appointment, "concern"),
}
# Limited but not stored as typed: looked up or parsed, never written.
NOT_STORED = {
    (public_forms.StartConsultationForm, "service"),  # a catalogue slug, looked up
    (public_forms.NavigatorForm, "q"),  # a search
    (appointment_forms.SlotForm, "slot"),  # parsed into a time
    (appointment_forms.BookingForm, "slot"),
}
FORMS = [
    public_forms.StartConsultationForm,
    public_forms.FeedbackForm,
    public_forms.NavigatorForm,
    public_forms.CallbackRequestForm,
    public_forms.CallbackDoneForm,
    appointment_forms.SlotForm,
    appointment_forms.BookingForm,
]


def limited_fields(form_class):
    for name, field in form_class.base_fields.items():
        if isinstance(field, forms.CharField) and field.max_length is not None:
            yield name, field.max_length


@pytest.mark.parametrize("form_class", FORMS, ids=lambda f: f.__name__)
def test_every_limited_form_field_fits_its_column(form_class):
    for name, form_limit in limited_fields(form_class):
        if (form_class, name) in NOT_STORED:
            continue
        assert (form_class, name) in STORED_IN, f"{form_class.__name__}.{name}: add it to the table"
        model, column = STORED_IN[form_class, name]
        column_limit = model._meta.get_field(column).max_length
        assert form_limit <= column_limit, f"{form_class.__name__}.{name}"


def test_the_table_names_real_fields():
    for (form_class, name), (model, column) in STORED_IN.items():
        assert name in form_class.base_fields
        assert model._meta.get_field(column).max_length is not None
