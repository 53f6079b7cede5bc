"""``{% error_messages %}``: the one catalogue of error texts (``consult.errors.MESSAGES``) in
the active language, as a JSON script element for the pages' scripts (``i18n.js``)."""

from django import template
from django.utils.html import json_script
from django.utils.safestring import SafeString

from consult.errors import GENERIC, MESSAGES

register = template.Library()

ELEMENT_ID = "error-messages"


@register.simple_tag
def error_messages() -> SafeString:
    """``{"messages": {code: text}, "unknown": text}`` (``unknown``: what ``message_for``
    says for a code without an entry)."""
    texts = {code: str(text) for code, text in MESSAGES.items()}
    return json_script({"messages": texts, "unknown": str(GENERIC)}, ELEMENT_ID)
