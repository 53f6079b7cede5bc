"""Contact details are checked by one definition (consult/validators.py): the domain, the
forms and the columns agree, so an address the column cannot store is a form error, not a 500."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from consult import validators
from consult.appointments.models import Appointment
from consult.catalogue import callbacks
from consult.catalogue.models import CallbackRequest
from consult.errors import DomainError
from frontend.appointment_forms import slot_value
from frontend.forms import CallbackRequestForm
from tests.appointment_helpers import available, local, next_weekday

# A valid address of 259 characters: Django's own validator lets up to 320 through.
LOCAL = "a" * 64
LONG_EMAIL = f"{LOCAL}@{'b' * 63}.{'c' * 63}.{'d' * 63}.de"


def test_the_long_address_is_otherwise_valid():
    from django.core.validators import validate_email

    assert len(LONG_EMAIL) == 259
    validate_email(LONG_EMAIL)  # Django alone would accept it


@pytest.mark.parametrize(
    "phone",
    ["030 1234567", "+49 30 1234-567", "(030) 1234567", "030/123 45 67", "0151.2345678"],
)
def test_phone_numbers_as_people_write_them(phone):
    assert validators.valid_phone(phone)
    validators.ensure_phone(phone)
    validators.validate_phone(phone)


@pytest.mark.parametrize(
    "phone", ["12", "call me maybe", "030 12a4567", "12345", "+", "030-", "1" * 41]
)
def test_what_is_not_a_phone_number(phone):
    assert not validators.valid_phone(phone)
    with pytest.raises(DomainError) as raised:
        validators.ensure_phone(phone)
    assert raised.value.code == "invalid_phone"
    with pytest.raises(ValidationError) as invalid:
        validators.validate_phone(phone)
    assert invalid.value.code == "invalid_phone"


def test_e_mail_addresses_up_to_the_column_length():
    fits = f"{LOCAL}@{'b' * 63}.{'c' * 63}.{'d' * 58}.de"
    assert len(fits) == validators.MAX_EMAIL
    validators.ensure_email(fits)
    for address, code in [
        (LONG_EMAIL, "email_too_long"),
        ("not-an-address", "invalid_email"),
        ("", "invalid_email"),
    ]:
        with pytest.raises(DomainError) as raised:
            validators.ensure_email(address)
        assert raised.value.code == code
        with pytest.raises(ValidationError) as invalid:
            validators.validate_email_address(address)
        assert invalid.value.code == code


@pytest.mark.django_db
def test_the_columns_and_forms_have_the_validators_length():
    assert Appointment._meta.get_field("email").max_length == validators.MAX_EMAIL
    assert CallbackRequest._meta.get_field("email").max_length == validators.MAX_EMAIL
    assert CallbackRequest._meta.get_field("phone").max_length == validators.MAX_PHONE
    form = CallbackRequestForm()
    assert f'maxlength="{validators.MAX_EMAIL}"' in str(form["email"])
    assert f'maxlength="{validators.MAX_PHONE}"' in str(form["phone"])


@pytest.mark.django_db
def test_a_too_long_address_is_a_form_error_on_the_request_form(client, topic):
    response = client.post(
        "/requests/new/", {"topic": topic.slug, "question": "Frage", "email": LONG_EMAIL}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html
    assert "Diese E-Mail-Adresse ist zu lang (höchstens 254 Zeichen)." in html
    assert CallbackRequest.objects.count() == 0
    # One error for the field: not a second one from Django's own (320-character) limit.
    form = CallbackRequestForm({"topic": topic.slug, "question": "Frage", "email": LONG_EMAIL})
    assert form.errors["email"] == ["Diese E-Mail-Adresse ist zu lang (höchstens 254 Zeichen)."]


@pytest.mark.django_db
def test_the_domain_refuses_a_too_long_address_before_the_database_does(topic):
    with pytest.raises(DomainError) as raised:
        callbacks.leave_callback_request(topic_slug=topic.slug, question="Frage", email=LONG_EMAIL)
    assert raised.value.code == "email_too_long"
    assert CallbackRequest.objects.count() == 0


@pytest.mark.django_db
def test_a_too_long_address_is_a_form_error_on_the_booking_form(client, topic, make_clerk):
    available(make_clerk("anna", [topic]), 0, "09:00", "10:00")
    day = next_weekday(0)
    response = client.post(
        reverse("appointments:book", args=[topic.slug]),
        {
            "day": day.isoformat(),
            "slot": slot_value(local(day, "09:15")),
            "name": "Erika",
            "email": LONG_EMAIL,
        },
    )
    assert response.status_code == 200  # the form again, with what to correct
    assert "Diese E-Mail-Adresse ist zu lang (höchstens 254 Zeichen)." in response.content.decode()
    assert not Appointment.objects.exists()
