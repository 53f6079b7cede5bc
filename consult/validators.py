"""Contact details and free text, checked the same way everywhere: by the domain's writers
(as ``DomainError``), by the forms (as Django validators), by the wire protocol, and sized by
the model columns.

A base module: it imports no subdomain package.
"""

import re

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from consult.errors import DomainError, message_for

# The e-mail columns' length (RFC 5321's limit for a path; Django's EmailField default). Django's
# own address validator lets up to 320 characters through, which the columns cannot store.
MAX_EMAIL = 254
# The phone columns' length.
MAX_PHONE = 40
MIN_PHONE_DIGITS = 6
# Digits with the usual separators, optionally international or with the area code in
# brackets: "+49 30 1234-567", "(030) 1234567", "030/123 45 67".
PHONE = re.compile(r"\+?[0-9(][0-9 ()/.-]*[0-9]")


def storable(text: str) -> bool:
    """False for text no database stores: a NUL, or a lone surrogate (valid in JSON and in
    Python strings, not in UTF-8)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def single_line(text: str) -> str:
    """Runs of white space (line breaks too) as one space, none at either end: a short text
    such as a concern, shown on one line and counted as typed (a browser sends a line break
    of a text area as two characters)."""
    return " ".join(text.split())


def ensure_storable(text: str) -> None:
    """Raise ``DomainError`` ``invalid_characters`` for text no database stores."""
    if not storable(text):
        raise DomainError("invalid_characters", "The text contains NUL or a lone surrogate.")


def ensure_email(email: str) -> None:
    """Raise ``DomainError`` ``email_too_long`` or ``invalid_email`` unless ``email`` is an
    address that fits the columns."""
    if len(email) > MAX_EMAIL:
        raise DomainError(
            "email_too_long", f"E-mail addresses have at most {MAX_EMAIL} characters."
        )
    try:
        validate_email(email)
    except ValidationError:
        raise DomainError("invalid_email", "Not a valid e-mail address.") from None


def valid_phone(phone: str) -> bool:
    return (
        len(phone) <= MAX_PHONE
        and PHONE.fullmatch(phone) is not None
        and sum(c.isdigit() for c in phone) >= MIN_PHONE_DIGITS
    )


def ensure_phone(phone: str) -> None:
    """Raise ``DomainError`` ``invalid_phone`` unless ``phone`` is a phone number."""
    if not valid_phone(phone):
        raise DomainError("invalid_phone", "Not a valid phone number.")


def validate_email_address(value: str) -> None:
    """:func:`ensure_email` as a Django validator (forms), with the catalogue's text."""
    try:
        ensure_email(value)
    except DomainError as error:
        raise ValidationError(message_for(error.code), code=error.code) from None


def validate_phone(value: str) -> None:
    """:func:`ensure_phone` as a Django validator (forms), with the catalogue's text."""
    try:
        ensure_phone(value)
    except DomainError as error:
        raise ValidationError(message_for(error.code), code=error.code) from None


def validate_storable(value: str) -> None:
    """:func:`ensure_storable` as a Django validator (forms), with the catalogue's text."""
    try:
        ensure_storable(value)
    except DomainError as error:
        raise ValidationError(message_for(error.code), code=error.code) from None
