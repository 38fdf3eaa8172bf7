"""Template filters of the count pages, and the link from a count correction to its count."""

import re

from django import template
from django.urls import reverse

from hardfin.quantities import fmt

register = template.Library()

#: The note every count correction carries (counts.services.count_post).
COUNT_NOTE = re.compile(r"^Count (\d+)$")


@register.filter
def qty(value) -> str:
    """A quantity as people write it (``100``, ``2.5``), or an empty string."""
    return "" if value is None else fmt(value)


@register.filter
def signed_qty(value) -> str:
    if value is None:
        return ""
    return ("+" if value > 0 else "") + fmt(value)


@register.filter
def count_url(movement) -> str:
    """The count page of a count correction (reason ``count_correction``, note ``Count {id}``), or
    an empty string for any other movement. Reads only what the history already loaded."""
    reason = getattr(movement, "reason", None)
    if reason is None or reason.code != "count_correction":
        return ""
    match = COUNT_NOTE.match(movement.note or "")
    return reverse("counts:sheet", args=[match.group(1)]) if match else ""
