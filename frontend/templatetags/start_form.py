"""``{% concern_field key %}``: the start form's optional concern, a text area with its limit
as a visible hint. ``key`` makes the ids unique where a page has several start forms (one
per topic on the start page)."""

from typing import Any

from django import template

from consult.consultations.models import MAX_CONCERN

register = template.Library()


@register.inclusion_tag("frontend/includes/concern_field.html")
def concern_field(key: str, described_by: str = "") -> dict[str, Any]:
    """``described_by``: the id of what the field is about (e.g. the topic's heading)."""
    element_id = f"concern-{key}"
    return {
        "id": element_id,
        "max_length": MAX_CONCERN,
        "described_by": " ".join(filter(None, [described_by, f"{element_id}-hint"])),
    }
